/*
 * config: npdlink's settings, their defaults, the file format, checks.
 *
 * The file is lines of `key = value`; `#` starts a comment line; blank
 * lines are ignored; a value runs to the end of the line, spaces trimmed.
 * `permissions` is a comma-separated list of tax service codes. Errors name
 * the file and line. The command line calls config_set() with the same
 * keys, so both share one set of rules.
 */
#ifndef NPD_CONFIG_H
#define NPD_CONFIG_H

#include <stddef.h>

#include "api.h"

#define CONFIG_STR 512
#define CONFIG_MAX_PERMS 16

struct config {
    char base_url[CONFIG_STR]; /* https://demo.bank131.ru */
    char project_id[CONFIG_STR];
    char key_file[CONFIG_STR];  /* the partner's private key (PEM) */
    char ca_file[CONFIG_STR];   /* "" = system store */
    char mytax_url[CONFIG_STR]; /* https://lknpd.nalog.ru/settings/partners/ */
    char paths[API_CALL_COUNT][CONFIG_STR];
    char audit_file[CONFIG_STR]; /* "" = no audit file */
    char *permissions[CONFIG_MAX_PERMS];
    size_t npermissions;
    long connect_timeout_ms;
    long total_timeout_ms;
    int sandbox; /* run against the built-in sandbox */
};

void config_defaults(struct config *c);

/* Sets one key from text; -1 with a reason for an unknown key or a bad
 * value. */
int config_set(struct config *c, const char *key, const char *value, char *err,
               size_t errlen);

/* Reads a file; a missing file is an error only when required is set.
 * Errors read "path:line: reason". */
int config_load_file(struct config *c, const char *path, int required,
                     char *err, size_t errlen);

/* Checks that a production run has what it needs (project id, key file)
 * and that the base URL is https, or http only to a loopback address. */
int config_validate(const struct config *c, char *err, size_t errlen);

void config_free(struct config *c);

#endif
