/*
 * lang: binds the catalogue and switches between English and Russian.
 */
#include "lang.h"

#include <limits.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "intl.h"

#ifndef NPD_LOCALEDIR
#define NPD_LOCALEDIR "/usr/local/share/locale"
#endif

#define LANG_DOMAIN "npdlink"

/* glibc's counter of loaded catalogues: bumping it makes gettext() drop
 * the translations it remembers, as its manual describes for programs
 * that change LANGUAGE while running. */
extern int _nl_msg_cat_cntr;

static enum lang_id lang_now = LANG_EN;

/* The locale directory next to this program when it holds our Russian
 * catalogue (a build tree), else "". */
static void lang_beside_exe(char *out, size_t n)
{
    char self[PATH_MAX], mo[PATH_MAX + 64];
    ssize_t len = readlink("/proc/self/exe", self, sizeof(self) - 1);
    char *slash;

    out[0] = '\0';
    if (len <= 0)
        return;

    self[len] = '\0';
    slash = strrchr(self, '/');
    if (slash == NULL)
        return;
    *slash = '\0';

    snprintf(mo, sizeof(mo), "%s/locale/ru/LC_MESSAGES/%s.mo", self,
             LANG_DOMAIN);
    /* A directory name too long to hold is treated as not there. */
    if (access(mo, R_OK) == 0 && snprintf(out, n, "%s/locale", self) >= (int)n)
        out[0] = '\0';
}

/* Russian when the first setting gettext would read names it. */
static enum lang_id lang_from_env(void)
{
    static const char *const vars[] = {"LANGUAGE", "LC_ALL", "LC_MESSAGES",
                                       "LANG"};

    for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
        const char *v = getenv(vars[i]);

        if (v != NULL && v[0] != '\0')
            return strncmp(v, "ru", 2) == 0 ? LANG_RU : LANG_EN;
    }
    return LANG_EN;
}

void lang_init(void)
{
    char dir[PATH_MAX];
    const char *msgs = setlocale(LC_MESSAGES, NULL);

    lang_beside_exe(dir, sizeof(dir));
    bindtextdomain(LANG_DOMAIN, dir[0] != '\0' ? dir : NPD_LOCALEDIR);
    bind_textdomain_codeset(LANG_DOMAIN, "UTF-8");
    textdomain(LANG_DOMAIN);

    /* gettext ignores LANGUAGE under the "C" locale, which is what a
     * missing ru_RU.UTF-8 falls back to; C.UTF-8 is built into glibc. */
    if (msgs == NULL || strcmp(msgs, "C") == 0 || strcmp(msgs, "POSIX") == 0)
        setlocale(LC_MESSAGES, "C.UTF-8");

    lang_set(lang_from_env());
}

void lang_set(enum lang_id id)
{
    lang_now = id;
    setenv("LANGUAGE", id == LANG_RU ? "ru" : "en", 1);
    ++_nl_msg_cat_cntr;
}

void lang_toggle(void)
{
    lang_set(lang_now == LANG_RU ? LANG_EN : LANG_RU);
}

enum lang_id lang_current(void)
{
    return lang_now;
}

const char *lang_code(void)
{
    return lang_now == LANG_RU ? "RU" : "EN";
}
