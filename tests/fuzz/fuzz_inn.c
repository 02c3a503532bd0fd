/*
 * fuzz_inn: inn_check() and inn_mask() on arbitrary text.
 *
 * The input becomes a NUL-terminated string in a buffer of its exact size
 * (an embedded NUL just ends it early). The check digits are recomputed
 * here from the published weights, apart from core/inn.c, and inn_mask()
 * writes into a heap buffer of exactly 13 bytes so that AddressSanitizer
 * catches any byte written past it.
 */
#include "inn.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_inn_require(int ok)
{
    if (!ok)
        abort();
}

static int fuzz_inn_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

/* The weighted sum of the first n digits, mod 11, then mod 10. */
static int fuzz_inn_control(const char *s, const int *w, size_t n)
{
    long sum = 0;

    for (size_t i = 0; i < n; i++)
        sum += (long)(s[i] - '0') * w[i];
    return (int)(sum % 11 % 10);
}

/* 1 when s is 12 digits whose 11th and 12th digits are right. */
static int fuzz_inn_valid(const char *s)
{
    static const int w11[] = {7, 2, 4, 10, 3, 5, 9, 4, 6, 8};
    static const int w12[] = {3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8};

    if (strlen(s) != INN_LEN || !fuzz_inn_digits(s, INN_LEN))
        return 0;
    return fuzz_inn_control(s, w11, 10) == s[10] - '0' &&
           fuzz_inn_control(s, w12, 11) == s[11] - '0';
}

static void fuzz_inn_check(const char *text)
{
    enum inn_verdict v = inn_check(text);

    fuzz_inn_require(v >= INN_OK && v <= INN_BAD_CHECK12);
    fuzz_inn_require((v == INN_OK) == fuzz_inn_valid(text));
    fuzz_inn_require((v == INN_EMPTY) == (text[0] == '\0'));
    fuzz_inn_require(inn_verdict_text(v) != NULL);
}

/* Only an input of exactly 12 characters keeps its first two and last
 * two; every other character of the output is '*'. */
static void fuzz_inn_mask(const char *text)
{
    size_t len = strlen(text);
    size_t want = len > INN_LEN ? INN_LEN : len;
    char *out = malloc(INN_LEN + 1);

    if (out == NULL)
        return;
    inn_mask(text, out);

    fuzz_inn_require(memchr(out, '\0', INN_LEN + 1) != NULL);
    fuzz_inn_require(strlen(out) == want);
    for (size_t i = 0; i < want; i++) {
        int kept = len == INN_LEN && (i < 2 || i >= INN_LEN - 2);

        fuzz_inn_require(out[i] == (kept ? text[i] : '*'));
    }
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);

    if (text == NULL)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';

    fuzz_inn_check(text);
    fuzz_inn_mask(text);

    inn_wipe(text, size + 1);
    free(text);
    return 0;
}
