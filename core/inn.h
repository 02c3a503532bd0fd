/*
 * inn: the taxpayer number (INN) rules, checked locally before any request.
 *
 * An INN is text: a leading zero matters, so it is never a number. A person
 * has 12 digits with two check digits (d11 over d1..d10, d12 over d1..d11);
 * a company has 10 digits with one. Pure functions, no allocation.
 */
#ifndef NPD_INN_H
#define NPD_INN_H

#include <stddef.h>

#define INN_LEN 12

enum inn_verdict {
    INN_OK,          /* 12 digits, both check digits right */
    INN_EMPTY,       /* nothing typed */
    INN_NOT_DIGITS,  /* something other than 0-9 */
    INN_TOO_SHORT,   /* fewer than 12 digits, and not a 10-digit INN */
    INN_TOO_LONG,    /* more than 12 digits */
    INN_COMPANY,     /* 10 digits: a company's INN, not a person's */
    INN_BAD_CHECK11, /* the 11th digit does not match digits 1-10 */
    INN_BAD_CHECK12, /* the 11th is right, the 12th does not match 1-11 */
};

/* Checks text (NUL-terminated, no trimming) against the INN rules. */
enum inn_verdict inn_check(const char *text);

/* One plain-English sentence for the agent; never NULL, never names digits
 * of the INN itself. Marked for translation by the caller. */
const char *inn_verdict_text(enum inn_verdict v);

/* Writes the INN with all but the first two and last two characters
 * replaced by '*' into out (size >= 13). Shorter input is masked whole. */
void inn_mask(const char *inn, char out[INN_LEN + 1]);

/* Masks, in place, every run of exactly 10 to 12 digits in s (an INN, a
 * company's INN, or an id built from one), keeping its first two and
 * last two digits. For text that may echo an INN on its way to a file,
 * where the INN itself is not known; an INN inside a longer run of digits
 * is left as it is. */
void inn_mask_runs(char *s);

/* Overwrites n bytes in a way the compiler may not drop. */
void inn_wipe(void *buf, size_t n);

#endif
