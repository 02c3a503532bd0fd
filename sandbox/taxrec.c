/*
 * taxrec: the records and the comparison. See taxrec.h.
 */
#include "taxrec.h"

#include <string.h>

#define TAXREC_MAX 256

static const char *const taxrec_inns[] = {
    "500000000276", "500000000340", "500000000413",
    "500000000597", "500000000734",
};

static const char *const taxrec_record[TAXREC_COUNT] = {
    [TAXREC_LAST] = "Иванов",
    [TAXREC_FIRST] = "Иван",
    [TAXREC_MIDDLE] = "Иванович",
    [TAXREC_PHONE] = "+79990000000",
};

int taxrec_known(const char *inn)
{
    for (size_t i = 0; i < sizeof(taxrec_inns) / sizeof(taxrec_inns[0]); i++)
        if (strcmp(taxrec_inns[i], inn) == 0)
            return 1;
    return 0;
}

/* Lower case of the two-byte Cyrillic capitals А..Я and Ё, in place;
 * any other byte stays as it is. */
static void taxrec_fold_cyrillic(unsigned char *a, unsigned char *b)
{
    if (*a != 0xd0)
        return;
    if (*b >= 0x90 && *b <= 0x9f) {
        *b += 0x20;
    } else if (*b >= 0xa0 && *b <= 0xaf) {
        *a = 0xd1;
        *b -= 0x20;
    } else if (*b == 0x81) {
        *a = 0xd1;
        *b = 0x91;
    }
}

/* s trimmed of spaces and case-folded into out; or, for a phone, only
 * its digits. */
static void taxrec_norm(const char *s, int phone, char out[TAXREC_MAX])
{
    size_t n = 0, len;
    unsigned char *o = (unsigned char *)out;

    while (*s == ' ')
        s++;
    len = strlen(s);
    while (len > 0 && s[len - 1] == ' ')
        len--;

    for (size_t i = 0; i < len && n + 2 < TAXREC_MAX; i++) {
        unsigned char c = (unsigned char)s[i];

        if (phone && (c < '0' || c > '9'))
            continue;
        o[n++] = c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
        if (n >= 2)
            taxrec_fold_cyrillic(&o[n - 2], &o[n - 1]);
    }
    out[n] = '\0';
}

int taxrec_same(enum taxrec_field f, const char *given)
{
    char a[TAXREC_MAX], b[TAXREC_MAX];

    if ((unsigned)f >= TAXREC_COUNT || given == NULL)
        return 0;
    taxrec_norm(taxrec_record[f], f == TAXREC_PHONE, a);
    taxrec_norm(given, f == TAXREC_PHONE, b);
    return strcmp(a, b) == 0;
}
