/*
 * main: the start shared by the screen and `npdlink check` (tui/cli.c):
 * the settings in their layers, the sandbox, and a ready engine.
 */
#ifndef NPD_TUI_MAIN_H
#define NPD_TUI_MAIN_H

#include <getopt.h>
#include <stddef.h>

#include "config.h"
#include "engine.h"

#define MAIN_FLAGS 16
#define MAIN_EXIT_USAGE 2
#define MAIN_EXIT_FAIL 1

/* A setting given as a flag; applied after every file. */
struct main_flag {
    const char *option;
    const char *key;
    const char *value;
};

struct main_args {
    int sandbox;
    int print_config; /* print the settings in effect and exit */
    const char *config_file;
    const char *audit_summary; /* --audit-summary FILE: print its totals */
    const char *date;          /* with it, --date YYYY-MM-DD */
    struct main_flag flags[MAIN_FLAGS];
    size_t nflags;
};

/* The options both front ends take for the settings, for the start of
 * their getopt_long() tables. */
/* One option a line, as in a table; the formatter would fold it. */
/* clang-format off */
#define MAIN_SETTINGS_OPTIONS                            \
    {"sandbox", no_argument, NULL, 'S'},                 \
    {"config", required_argument, NULL, 'c'},            \
    {"base-url", required_argument, NULL, 'b'},          \
    {"project-id", required_argument, NULL, 'p'},        \
    {"key-file", required_argument, NULL, 'k'},          \
    {"ca-file", required_argument, NULL, 'a'},           \
    {"mytax-url", required_argument, NULL, 'm'},         \
    {"audit-file", required_argument, NULL, 'A'}
/* clang-format on */

/* Records the flag whose getopt value is opt (named as in opts) to be
 * applied after every settings file. -1 when opts has no such option or
 * MAIN_FLAGS are taken. */
int main_flag_add(struct main_args *a, const struct option *opts, int opt,
                  const char *arg);

/* The settings key of a flag's getopt value ('b' base_url, 'p'
 * project_id, 'k' key_file, 'a' ca_file, 'm' mytax_url, 'A' audit_file);
 * NULL for any other. */
const char *main_key_of(int opt);

/* Loads every layer of settings, starts the sandbox when --sandbox or
 * sandbox = yes in any layer asks for it, checks the settings, and makes
 * the engine. 0, or MAIN_EXIT_USAGE for a settings mistake and
 * MAIN_EXIT_FAIL when something could not start, with the reason in err. */
int main_setup(const struct main_args *a, struct config *cfg, struct engine **e,
               char *err, size_t errlen);

/* A refused command-line argument as it may be shown: NULL when it holds
 * a digit, so a mistyped INN never reaches the terminal or a log. Both
 * front ends word their own message around it. */
const char *main_option_shown(const char *arg);

/* Stops the sandbox main_setup() started; safe to call more than once. */
void main_sandbox_stop(void);

#endif
