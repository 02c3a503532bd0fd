/*
 * inn: check digits, plain-words verdicts, masking and wiping.
 */
#include "inn.h"

#include <string.h>

#define INN_COMPANY_LEN 10

/* Marks a verdict as a msgid for the "npdlink" catalogue (xgettext
 * --keyword=N_). core never translates: the screen passes what
 * inn_verdict_text() returns through gettext when it draws it. */
#define N_(s) s

static const int inn_w11[] = {7, 2, 4, 10, 3, 5, 9, 4, 6, 8};
static const int inn_w12[] = {3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8};
static const int inn_w10[] = {2, 4, 10, 3, 5, 9, 4, 6, 8};

/* The check digit over the first n digits with weights w: the weighted
 * sum mod 11, then mod 10. */
static int inn_digit(const char *d, const int *w, size_t n)
{
    int sum = 0;

    for (size_t i = 0; i < n; i++)
        sum += (d[i] - '0') * w[i];
    return sum % 11 % 10;
}

static int inn_all_digits(const char *text, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (text[i] < '0' || text[i] > '9')
            return 0;
    return 1;
}

/* A 10-digit string counts as a company's INN only when its own check
 * digit holds; otherwise it is more likely a person's INN typed short. */
static int inn_is_company(const char *d)
{
    return inn_digit(d, inn_w10, 9) == d[9] - '0';
}

enum inn_verdict inn_check(const char *text)
{
    size_t len;

    if (text == NULL || text[0] == '\0')
        return INN_EMPTY;

    len = strlen(text);
    if (!inn_all_digits(text, len))
        return INN_NOT_DIGITS;
    if (len > INN_LEN)
        return INN_TOO_LONG;
    if (len == INN_COMPANY_LEN && inn_is_company(text))
        return INN_COMPANY;
    if (len < INN_LEN)
        return INN_TOO_SHORT;

    if (inn_digit(text, inn_w11, 10) != text[10] - '0')
        return INN_BAD_CHECK11;
    if (inn_digit(text, inn_w12, 11) != text[11] - '0')
        return INN_BAD_CHECK12;
    return INN_OK;
}

const char *inn_verdict_text(enum inn_verdict v)
{
    switch (v) {
    case INN_OK:
        return N_("The INN is well formed: both check digits match.");
    case INN_EMPTY:
        return N_("No INN was entered: type the customer's 12 digits.");
    case INN_NOT_DIGITS:
        return N_("An INN has digits only: remove letters, spaces and "
                  "other signs.");
    case INN_TOO_SHORT:
        return N_("Too few digits: a person's INN has exactly 12.");
    case INN_TOO_LONG:
        return N_("Too many digits: a person's INN has exactly 12.");
    case INN_COMPANY:
        return N_("This 10-digit INN belongs to a company, not a person: "
                  "ask the customer for their personal 12-digit INN.");
    case INN_BAD_CHECK11:
        return N_("The 11th digit does not match the first ten digits: one "
                  "of digits 1-11 was mistyped.");
    case INN_BAD_CHECK12:
        return N_("The 12th digit does not match the first eleven digits: "
                  "one of digits 1-12 was mistyped.");
    }
    return N_("The INN could not be checked.");
}

void inn_mask(const char *inn, char out[INN_LEN + 1])
{
    size_t len = inn == NULL ? 0 : strnlen(inn, INN_LEN + 1);
    int whole = len != INN_LEN;

    if (len > INN_LEN)
        len = INN_LEN;
    memset(out, '*', len);
    out[len] = '\0';

    /* Only an INN of exactly 12 characters shows its ends: in anything
     * shorter those four characters would give away too much. */
    if (!whole) {
        memcpy(out, inn, 2);
        memcpy(out + INN_LEN - 2, inn + INN_LEN - 2, 2);
    }
}

void inn_mask_runs(char *s)
{
    size_t run = 0;

    for (size_t i = 0;; i++) {
        if (s[i] >= '0' && s[i] <= '9') {
            run++;
            continue;
        }
        for (size_t k = 2; run >= 10 && run <= 12 && k + 2 < run; k++)
            s[i - run + k] = '*';
        run = 0;
        if (s[i] == '\0')
            return;
    }
}

void inn_wipe(void *buf, size_t n)
{
    if (buf != NULL)
        explicit_bzero(buf, n);
}
