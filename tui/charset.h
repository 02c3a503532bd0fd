/*
 * charset: what the terminal can be sent, chosen from the locale.
 *
 * A UTF-8 locale gets UTF-8: dashes, arrows, Cyrillic and the QR's block
 * characters. Any other locale gets plain ASCII, which every character
 * set in use shares, so nothing turns into garbage on a terminal that
 * is not UTF-8: text is transliterated and the QR code is drawn with
 * coloured spaces only.
 */
#ifndef NPD_TUI_CHARSET_H
#define NPD_TUI_CHARSET_H

/* Sets the locale from the environment and picks the character set.
 * A locale that is named UTF-8 but is not installed here still gets
 * UTF-8 (through C.UTF-8). Call before any other locale-dependent code. */
void charset_init(void);

/* 1 when the terminal takes UTF-8, 0 when only ASCII goes out. */
int charset_utf8(void);

/* A malloc'd copy of the UTF-8 text s in ASCII: transliterated where the
 * locale knows how ("—" to "-", Cyrillic to Latin letters), else '?' per
 * character. NULL when out of memory. */
char *charset_ascii(const char *s);

#endif
