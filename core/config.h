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
    char audit_file[CONFIG_STR];  /* "": npdlink picks state/audit.jsonl */
    int audit_syslog;             /* audit events to syslog too; default 1 */
    char ledger_file[CONFIG_STR]; /* "": state/checks.db, none in sandbox */
    /* member names of the personal data check (see docs/config.md) */
    char personal_info_inn_field[CONFIG_STR];
    char personal_info_name_fields[CONFIG_STR];
    char personal_info_phone_field[CONFIG_STR];
    char *permissions[CONFIG_MAX_PERMS];
    size_t npermissions;
    long connect_timeout_ms;
    long total_timeout_ms;
    int sandbox;         /* start the built-in sandbox and run against it,
                            as --sandbox does, from any layer */
    int kiosk;           /* no way out to a shell (docs/kiosk.md) */
    long idle_timeout_s; /* 0 = off; -1 = unset: see config_idle_s() */
    int qr_mode;         /* enum config_qr_mode */
};

/* How the QR code is drawn: half blocks, full blocks two cells wide, or
 * coloured spaces two cells wide. */
enum config_qr_mode {
    CONFIG_QR_HALF,
    CONFIG_QR_LARGE,
    CONFIG_QR_COLOUR,
    CONFIG_QR_MODES
};

#define CONFIG_KIOSK_IDLE_S 120 /* idle timeout when kiosk sets none */

/* The idle timeout in effect, in seconds: idle_timeout_s when set, else
 * CONFIG_KIOSK_IDLE_S in kiosk mode and 0 (off) outside it. */
long config_idle_s(const struct config *c);

/* "half", "large" or "colour". */
const char *config_qr_mode_name(int mode);

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

/* Applies the environment, envp being a NULL-terminated array of
 * "NAME=value" like environ. Each key has a variable NPDLINK_<KEY>, the
 * key in capitals with '.' as '_' (NPDLINK_BASE_URL, NPDLINK_PATH_LINK),
 * except sandbox: NPDLINK_SANDBOX names the sandbox program and is left
 * alone. Any other NPDLINK_ variable is an error; errors start with the
 * variable's name. */
int config_load_env(struct config *c, char *const *envp, char *err,
                    size_t errlen);

/* The settings as lines of the file format, every key once, for
 * --print-config. The project id is masked to its last 4 characters and
 * its line commented out, so a pasted copy never carries a wrong id.
 * Returns a malloc'd string, NULL when out of memory. */
char *config_dump(const struct config *c);

void config_free(struct config *c);

#endif
