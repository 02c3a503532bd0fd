/*
 * charset: UTF-8 or ASCII output, and iconv's transliteration to ASCII.
 */
#include "charset.h"

#include <errno.h>
#include <iconv.h>
#include <langinfo.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int charset_is_utf8;

/* The value setlocale() would read for LC_CTYPE. */
static const char *charset_wanted(void)
{
    static const char *const vars[] = {"LC_ALL", "LC_CTYPE", "LANG"};

    for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
        const char *v = getenv(vars[i]);

        if (v != NULL && v[0] != '\0')
            return v;
    }
    return "";
}

static int charset_named_utf8(const char *name)
{
    const char *dot = strchr(name, '.');

    if (dot == NULL)
        return 0;
    return strncasecmp(dot + 1, "utf-8", 5) == 0 ||
           strncasecmp(dot + 1, "utf8", 4) == 0;
}

void charset_init(void)
{
    const char *set;

    /* A missing locale leaves "C"; when its name promised UTF-8, the
     * terminal was set up for UTF-8 and glibc's built-in C.UTF-8 serves. */
    if (setlocale(LC_ALL, "") == NULL && charset_named_utf8(charset_wanted()))
        setlocale(LC_CTYPE, "C.UTF-8");

    set = nl_langinfo(CODESET);
    charset_is_utf8 = set != NULL && strcmp(set, "UTF-8") == 0;
}

int charset_utf8(void)
{
    return charset_is_utf8;
}

/* Skips one UTF-8 character that iconv could not convert, leaving '?';
 * continuation bytes are those of the form 10xxxxxx. */
static void charset_skip(char **in, size_t *inleft, char **out, size_t *outleft)
{
    do {
        (*in)++;
        (*inleft)--;
    } while (*inleft > 0 && ((unsigned char)**in & 0xc0) == 0x80);

    if (*outleft > 0) {
        *(*out)++ = '?';
        (*outleft)--;
    }
}

/* Converts with cd; a transliteration takes at most a few bytes per
 * input byte, so 4 * len + 1 is always enough. */
static void charset_convert(iconv_t cd, const char *s, char *buf, size_t cap)
{
    char *in = (char *)s, *out = buf;
    size_t inleft = strlen(s), outleft = cap - 1;

    while (inleft > 0 && outleft > 0) {
        if (iconv(cd, &in, &inleft, &out, &outleft) != (size_t)-1)
            break;
        if (errno == E2BIG)
            break;
        charset_skip(&in, &inleft, &out, &outleft);
    }
    *out = '\0';
}

char *charset_ascii(const char *s)
{
    size_t cap = 4 * strlen(s) + 8;
    char *buf = malloc(cap);
    iconv_t cd;

    if (buf == NULL)
        return NULL;

    cd = iconv_open("ASCII//TRANSLIT", "UTF-8");
    if (cd == (iconv_t)-1) {
        size_t n = 0;

        for (; *s != '\0'; s++)
            if (((unsigned char)*s & 0xc0) != 0x80)
                buf[n++] = (unsigned char)*s < 0x80 ? *s : '?';
        buf[n] = '\0';
        return buf;
    }

    charset_convert(cd, s, buf, cap);
    iconv_close(cd);
    return buf;
}
