/*
 * perm: tax service permission codes in plain words for the consent screen.
 */
#ifndef NPD_PERM_H
#define NPD_PERM_H

/* The default codes asked for, NULL-terminated. */
extern const char *const perm_default[];

/* A plain-English sentence for a code; NULL for a code it does not know. */
const char *perm_describe(const char *code);

#endif
