/*
 * lang: the language of the screens, English or Russian, through gettext.
 *
 * The catalogue domain is "npdlink". English text is the msgid, so English
 * needs no catalogue; Russian comes from ru/LC_MESSAGES/npdlink.mo.
 */
#ifndef NPD_TUI_LANG_H
#define NPD_TUI_LANG_H

enum lang_id {
    LANG_EN,
    LANG_RU,
};

/* Binds the catalogue (next to the program, else the installed one) and
 * picks the language from LANGUAGE, LC_ALL, LC_MESSAGES and LANG, in
 * gettext's order. Call after the locale is set, before any text. */
void lang_init(void);

/* Sets the language at once; the next gettext() call answers in it. */
void lang_set(enum lang_id id);

/* Switches English to Russian and back. */
void lang_toggle(void);

enum lang_id lang_current(void);

/* "EN" or "RU", for the header. */
const char *lang_code(void);

#endif
