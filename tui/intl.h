/*
 * intl: marks screen text for translation. English text is the msgid; the
 * catalogue domain is "npdlink", bound by lang_init().
 */
#ifndef NPD_TUI_INTL_H
#define NPD_TUI_INTL_H

#include <libintl.h>

#define _(s) gettext(s)

/* Marks a string for the catalogue where it is translated later. */
#define N_(s) (s)

#endif
