/*
 * config: defaults, one set of rules for every key, the file reader, and
 * the checks a production run needs.
 *
 * Keys (the same in the file and through config_set):
 *
 *   base_url            Bank 131 server, http:// or https://; a trailing
 *                       '/' is dropped. Default https://demo.bank131.ru.
 *   project_id          X-PARTNER-PROJECT value given by the bank.
 *   key_file            the partner's private key, PEM, mode 600.
 *   ca_file             CA bundle to trust instead of the system store.
 *   mytax_url           address put in the QR code, http:// or https://.
 *   path.check          request paths, each starting with '/', appended
 *   path.status         to base_url; defaults in docs/config.md.
 *   path.token
 *   path.link
 *   path.link_status
 *   path.personal_info
 *   audit_file          append-only audit log; empty for none.
 *   audit_syslog        yes/no: audit events to syslog too; default yes.
 *   ledger_file         check times shared by every npdlink on the host
 *                       (see core/ledger.h); empty for none.
 *   permissions         comma-separated codes of A-Z and '_', at most
 *                       CONFIG_MAX_PERMS, no repeats; codes this program
 *                       has no description for are allowed.
 *   connect_timeout_ms  1..120000, default 10000.
 *   total_timeout_ms    1..600000, default 30000; config_validate checks
 *                       that it is not below connect_timeout_ms.
 *   sandbox             yes/no, true/false or 1/0.
 *   kiosk               yes/no: no way out to a shell; default no.
 *   idle_timeout_s      0 (off) to 86400; unset: 120 in kiosk mode, else
 *                       off (config_idle_s()).
 *   qr_mode             half, large or colour; default half.
 *   personal_info.inn_field    member names of the personal data check's
 *   personal_info.name_fields  body: one name each, and for the name
 *   personal_info.phone_field  either three (last, first, middle) or one.
 *
 * There is no key to turn TLS verification off, on purpose: a key that
 * looks like one is refused with a reason rather than as merely unknown.
 * No value may hold control characters or exceed CONFIG_STR - 1 bytes.
 *
 * config_load_env maps NPDLINK_<KEY> onto the same rules; config_dump
 * writes the keys back in the file format for --print-config.
 */
#include "config.h"
#include "err.h"

#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "perm.h"

#define CONFIG_CONNECT_MAX 120000L
#define CONFIG_TOTAL_MAX 600000L

enum config_kind {
    CONFIG_TEXT,
    CONFIG_URL,
    CONFIG_PATH,
    CONFIG_PERMS,
    CONFIG_CONNECT,
    CONFIG_TOTAL,
    CONFIG_SANDBOX,
    CONFIG_BOOL,    /* an int field, yes/no */
    CONFIG_MEMBER,  /* a JSON member name: one name, no ',' */
    CONFIG_MEMBERS, /* one or three member names, ','-separated */
    CONFIG_QR,      /* qr_mode: half, large or colour */
    CONFIG_IDLE,    /* idle_timeout_s: 0 to CONFIG_IDLE_MAX seconds */
};

#define CONFIG_IDLE_MAX 86400L

struct config_key {
    const char *name;
    enum config_kind kind;
    size_t off; /* of the char[CONFIG_STR] for text, URL and path keys */
};

#define CONFIG_FIELD(f) offsetof(struct config, f)
#define CONFIG_PATH_AT(call)                                                   \
    (offsetof(struct config, paths) + (size_t)(call)*CONFIG_STR)

static const struct config_key config_keys[] = {
    {"base_url", CONFIG_URL, CONFIG_FIELD(base_url)},
    {"project_id", CONFIG_TEXT, CONFIG_FIELD(project_id)},
    {"key_file", CONFIG_TEXT, CONFIG_FIELD(key_file)},
    {"ca_file", CONFIG_TEXT, CONFIG_FIELD(ca_file)},
    {"mytax_url", CONFIG_URL, CONFIG_FIELD(mytax_url)},
    {"path.check", CONFIG_PATH, CONFIG_PATH_AT(API_CHECK)},
    {"path.status", CONFIG_PATH, CONFIG_PATH_AT(API_STATUS)},
    {"path.token", CONFIG_PATH, CONFIG_PATH_AT(API_TOKEN)},
    {"path.link", CONFIG_PATH, CONFIG_PATH_AT(API_LINK)},
    {"path.link_status", CONFIG_PATH, CONFIG_PATH_AT(API_LINK_STATUS)},
    {"path.personal_info", CONFIG_PATH, CONFIG_PATH_AT(API_PERSONAL_INFO)},
    {"audit_file", CONFIG_TEXT, CONFIG_FIELD(audit_file)},
    {"audit_syslog", CONFIG_BOOL, CONFIG_FIELD(audit_syslog)},
    {"ledger_file", CONFIG_TEXT, CONFIG_FIELD(ledger_file)},
    {"permissions", CONFIG_PERMS, 0},
    {"connect_timeout_ms", CONFIG_CONNECT, 0},
    {"total_timeout_ms", CONFIG_TOTAL, 0},
    {"sandbox", CONFIG_SANDBOX, 0},
    {"kiosk", CONFIG_BOOL, CONFIG_FIELD(kiosk)},
    {"idle_timeout_s", CONFIG_IDLE, 0},
    {"qr_mode", CONFIG_QR, 0},
    {"personal_info.inn_field", CONFIG_MEMBER,
     CONFIG_FIELD(personal_info_inn_field)},
    {"personal_info.name_fields", CONFIG_MEMBERS,
     CONFIG_FIELD(personal_info_name_fields)},
    {"personal_info.phone_field", CONFIG_MEMBER,
     CONFIG_FIELD(personal_info_phone_field)},
};

static const char *const config_default_paths[API_CALL_COUNT] = {
    [API_CHECK] = "/api/v1/npd/check",
    [API_STATUS] = "/api/v1/npd/request/status",
    [API_TOKEN] = "/api/v1/token",
    [API_LINK] = "/api/v1/self_employed_widget/link",
    [API_LINK_STATUS] = "/api/v1/self_employed_widget/link/status",
    [API_PERSONAL_INFO] = "/api/v1/npd/taxpayer/check_personal_info",
};

static void config_copy(char *dst, const char *src)
{
    snprintf(dst, CONFIG_STR, "%s", src);
}

static void config_free_perms(char **perms, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(perms[i]);
        perms[i] = NULL;
    }
}

void config_defaults(struct config *c)
{
    memset(c, 0, sizeof(*c));
    config_copy(c->base_url, "https://demo.bank131.ru");
    config_copy(c->mytax_url, "https://lknpd.nalog.ru/settings/partners/");
    for (int i = 0; i < API_CALL_COUNT; i++)
        config_copy(c->paths[i], config_default_paths[i]);
    c->connect_timeout_ms = 10000;
    c->audit_syslog = 1;
    c->total_timeout_ms = 30000;
    c->idle_timeout_s = -1;
    config_copy(c->personal_info_inn_field, "tax_reference");
    config_copy(c->personal_info_name_fields,
                "last_name,first_name,middle_name");
    config_copy(c->personal_info_phone_field, "phone");

    /* Out of memory here leaves a shorter list, which config_validate
     * reports as empty at worst. */
    for (size_t i = 0; perm_default[i] != NULL && i < CONFIG_MAX_PERMS; i++) {
        c->permissions[i] = strdup(perm_default[i]);
        if (c->permissions[i] == NULL)
            break;
        c->npermissions++;
    }
}

void config_free(struct config *c)
{
    if (c == NULL)
        return;
    config_free_perms(c->permissions, c->npermissions);
    c->npermissions = 0;
}

static const struct config_key *config_find(const char *name)
{
    for (size_t i = 0; i < sizeof(config_keys) / sizeof(config_keys[0]); i++)
        if (strcmp(config_keys[i].name, name) == 0)
            return &config_keys[i];
    return NULL;
}

/* A key that reads like a switch for certificate checks. */
static int config_is_tls_switch(const char *name)
{
    static const char *const words[] = {"verify", "insecure", "tls", "ssl",
                                        "cert"};

    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
        if (strcasestr(name, words[i]) != NULL)
            return 1;
    return 0;
}

static int config_has_ctrl(const char *s)
{
    for (; *s != '\0'; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return 1;
    return 0;
}

static int config_has_scheme(const char *url)
{
    return strncmp(url, "https://", 8) == 0 || strncmp(url, "http://", 7) == 0;
}

/* The host of an http:// or https:// URL as libcurl reads it, which is
 * the host libcurl will connect to (a bracketed IPv6 address keeps its
 * brackets). CURLUE_OK, or why not: CURLUE_NO_HOST, CURLUE_OUT_OF_MEMORY,
 * or what libcurl found wrong. A third slash after the scheme, which
 * libcurl would skip, names no host. */
static CURLUcode config_url_host(const char *url, char *host, size_t len)
{
    CURLU *u = NULL;
    char *h = NULL;
    CURLUcode uc = CURLUE_NO_HOST;

    if (config_has_scheme(url) && strstr(url, "://")[3] != '/') {
        u = curl_url();
        uc = u != NULL ? curl_url_set(u, CURLUPART_URL, url, 0)
                       : CURLUE_OUT_OF_MEMORY;
    }
    if (uc == CURLUE_OK)
        uc = curl_url_get(u, CURLUPART_HOST, &h, 0);
    if (uc == CURLUE_OK && (h[0] == '\0' || strcmp(h, "[]") == 0))
        uc = CURLUE_NO_HOST;
    if (uc == CURLUE_OK)
        snprintf(host, len, "%s", h);

    curl_free(h);
    curl_url_cleanup(u);
    return uc;
}

static int config_set_url(char *dst, const char *name, const char *value,
                          int drop_slash, char *err, size_t errlen)
{
    char host[CONFIG_STR];
    size_t n;
    CURLUcode uc;

    if (!config_has_scheme(value)) {
        err_set(err, errlen, "%s: must start with http:// or https://", name);
        return -1;
    }
    if (strpbrk(value, " \\") != NULL) {
        err_set(err, errlen, "%s: a URL cannot contain spaces or '\\'", name);
        return -1;
    }
    uc = config_url_host(value, host, sizeof(host));
    if (uc != CURLUE_OK) {
        err_set(err, errlen, "%s: %s", name,
                uc == CURLUE_NO_HOST         ? "the URL names no host"
                : uc == CURLUE_OUT_OF_MEMORY ? "out of memory"
                                             : curl_url_strerror(uc));
        return -1;
    }

    config_copy(dst, value);
    n = strlen(dst);
    while (drop_slash && n > 0 && dst[n - 1] == '/')
        dst[--n] = '\0';
    return 0;
}

static int config_set_path(char *dst, const char *name, const char *value,
                           char *err, size_t errlen)
{
    if (value[0] != '/') {
        err_set(err, errlen, "%s: must start with '/'", name);
        return -1;
    }
    if (strchr(value, ' ') != NULL) {
        err_set(err, errlen, "%s: a path cannot contain spaces", name);
        return -1;
    }
    config_copy(dst, value);
    return 0;
}

static int config_perm_ok(const char *code, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (!(code[i] >= 'A' && code[i] <= 'Z') && code[i] != '_')
            return 0;
    return 1;
}

static int config_perm_seen(char *const *perms, size_t n, const char *code,
                            size_t len)
{
    for (size_t i = 0; i < n; i++)
        if (strlen(perms[i]) == len && memcmp(perms[i], code, len) == 0)
            return 1;
    return 0;
}

/* Checks and copies one code of the list into perms[*n]. */
static int config_add_perm(char **perms, size_t *n, const char *code,
                           size_t len, char *err, size_t errlen)
{
    if (len == 0) {
        err_set(err, errlen, "permissions: an empty entry in the list");
        return -1;
    }
    if (!config_perm_ok(code, len)) {
        err_set(err, errlen,
                "permissions: \"%.*s\" is not a code of capital letters "
                "and '_'",
                (int)len, code);
        return -1;
    }
    if (config_perm_seen(perms, *n, code, len)) {
        err_set(err, errlen, "permissions: %.*s is listed twice", (int)len,
                code);
        return -1;
    }
    if (*n == CONFIG_MAX_PERMS) {
        err_set(err, errlen, "permissions: more than %d codes",
                CONFIG_MAX_PERMS);
        return -1;
    }

    perms[*n] = strndup(code, len);
    if (perms[*n] == NULL) {
        err_set(err, errlen, "permissions: out of memory");
        return -1;
    }
    (*n)++;
    return 0;
}

/* Parses the whole list first, so a bad list leaves the old one intact. */
static int config_set_perms(struct config *c, const char *value, char *err,
                            size_t errlen)
{
    char *perms[CONFIG_MAX_PERMS] = {0};
    size_t n = 0;
    const char *p = value;

    for (;;) {
        size_t len = strcspn(p, ",");
        const char *end = p + len;

        while (p < end && isspace((unsigned char)*p))
            p++;
        while (end > p && isspace((unsigned char)end[-1]))
            end--;
        if (config_add_perm(perms, &n, p, (size_t)(end - p), err, errlen)) {
            config_free_perms(perms, n);
            return -1;
        }
        p += strcspn(p, ",");
        if (*p == '\0')
            break;
        p++;
    }

    config_free_perms(c->permissions, c->npermissions);
    memcpy(c->permissions, perms, sizeof(perms));
    c->npermissions = n;
    return 0;
}

/* A whole number of milliseconds in [min, max], digits only. */
static int config_set_ms(long *dst, const char *name, const char *value,
                         long max, char *err, size_t errlen)
{
    size_t n = strspn(value, "0123456789");
    long v;

    if (n == 0 || value[n] != '\0' || n > 9) {
        err_set(err, errlen, "%s: must be a number from 1 to %ld", name, max);
        return -1;
    }
    v = strtol(value, NULL, 10);
    if (v < 1 || v > max) {
        err_set(err, errlen, "%s: %ld is out of range 1 to %ld", name, v, max);
        return -1;
    }
    *dst = v;
    return 0;
}

static int config_set_bool(int *dst, const char *name, const char *value,
                           char *err, size_t errlen)
{
    static const char *const yes[] = {"yes", "true", "1"};
    static const char *const no[] = {"no", "false", "0"};

    for (size_t i = 0; i < 3; i++) {
        if (strcasecmp(value, yes[i]) == 0) {
            *dst = 1;
            return 0;
        }
        if (strcasecmp(value, no[i]) == 0) {
            *dst = 0;
            return 0;
        }
    }
    err_set(err, errlen, "%s: must be yes or no", name);
    return -1;
}

/* Member names: each non-empty and without spaces, one of them (or, for
 * a list, one or three), so the body can be built from them. */
static int config_set_members(char *dst, const char *name, const char *value,
                              int list, char *err, size_t errlen)
{
    size_t count = 1, len = strlen(value);

    for (size_t i = 0; i < len; i++)
        count += value[i] == ',';
    if (len == 0 || strchr(value, ' ') != NULL || strstr(value, ",,") ||
        value[0] == ',' || value[len - 1] == ',' ||
        len >= API_FIELD_NAME_MAX * 3) {
        err_set(err, errlen, "%s: names must be non-empty, without spaces",
                name);
        return -1;
    }
    if (count != 1 && (!list || count != 3)) {
        err_set(err, errlen, "%s: %s", name,
                list ? "give three names (last, first, middle) or one"
                     : "give one name");
        return -1;
    }
    config_copy(dst, value);
    return 0;
}

static const char *const config_qr_names[CONFIG_QR_MODES] = {
    [CONFIG_QR_HALF] = "half",
    [CONFIG_QR_LARGE] = "large",
    [CONFIG_QR_COLOUR] = "colour",
};

const char *config_qr_mode_name(int mode)
{
    if (mode < 0 || mode >= CONFIG_QR_MODES)
        return config_qr_names[CONFIG_QR_HALF];
    return config_qr_names[mode];
}

static int config_set_qr(struct config *c, const char *value, char *err,
                         size_t errlen)
{
    for (int i = 0; i < CONFIG_QR_MODES; i++) {
        if (strcmp(value, config_qr_names[i]) == 0) {
            c->qr_mode = i;
            return 0;
        }
    }
    err_set(err, errlen, "qr_mode: must be half, large or colour");
    return -1;
}

static int config_set_idle(struct config *c, const char *value, char *err,
                           size_t errlen)
{
    size_t n = strspn(value, "0123456789");

    if (n == 0 || value[n] != '\0' || n > 9 ||
        strtol(value, NULL, 10) > CONFIG_IDLE_MAX) {
        err_set(err, errlen,
                "idle_timeout_s: must be a number from 0 (off) to %ld",
                CONFIG_IDLE_MAX);
        return -1;
    }
    c->idle_timeout_s = strtol(value, NULL, 10);
    return 0;
}

long config_idle_s(const struct config *c)
{
    if (c->idle_timeout_s >= 0)
        return c->idle_timeout_s;
    return c->kiosk ? CONFIG_KIOSK_IDLE_S : 0;
}

static int config_apply(struct config *c, const struct config_key *k,
                        const char *value, char *err, size_t errlen)
{
    char *field = (char *)c + k->off;

    switch (k->kind) {
    case CONFIG_TEXT:
        config_copy(field, value);
        return 0;
    case CONFIG_URL:
        return config_set_url(field, k->name, value, field == c->base_url, err,
                              errlen);
    case CONFIG_PATH:
        return config_set_path(field, k->name, value, err, errlen);
    case CONFIG_PERMS:
        return config_set_perms(c, value, err, errlen);
    case CONFIG_CONNECT:
        return config_set_ms(&c->connect_timeout_ms, k->name, value,
                             CONFIG_CONNECT_MAX, err, errlen);
    case CONFIG_TOTAL:
        return config_set_ms(&c->total_timeout_ms, k->name, value,
                             CONFIG_TOTAL_MAX, err, errlen);
    case CONFIG_SANDBOX:
        return config_set_bool(&c->sandbox, k->name, value, err, errlen);
    case CONFIG_BOOL:
        return config_set_bool((int *)(void *)field, k->name, value, err,
                               errlen);
    case CONFIG_MEMBER:
    case CONFIG_MEMBERS:
        return config_set_members(field, k->name, value,
                                  k->kind == CONFIG_MEMBERS, err, errlen);
    case CONFIG_QR:
        return config_set_qr(c, value, err, errlen);
    case CONFIG_IDLE:
        return config_set_idle(c, value, err, errlen);
    }
    return -1;
}

int config_set(struct config *c, const char *key, const char *value, char *err,
               size_t errlen)
{
    const struct config_key *k;

    if (key == NULL || value == NULL) {
        err_set(err, errlen, "missing key or value");
        return -1;
    }

    k = config_find(key);
    if (k == NULL && config_is_tls_switch(key)) {
        err_set(err, errlen,
                "%.64s: TLS verification cannot be switched off; use "
                "ca_file to trust a private CA",
                key);
        return -1;
    }
    if (k == NULL) {
        err_set(err, errlen, "unknown key \"%.64s\"", key);
        return -1;
    }

    if (strlen(value) > CONFIG_STR - 1) {
        err_set(err, errlen, "%s: value longer than %d characters", k->name,
                CONFIG_STR - 1);
        return -1;
    }
    if (config_has_ctrl(value)) {
        err_set(err, errlen, "%s: value holds a control character", k->name);
        return -1;
    }
    return config_apply(c, k, value, err, errlen);
}

static char *config_trim(char *s)
{
    char *end;

    while (isspace((unsigned char)*s))
        s++;
    end = s + strlen(s);
    while (end > s && isspace((unsigned char)end[-1]))
        end--;
    *end = '\0';
    return s;
}

/* One line of the file; 0 also for blank and comment lines. */
static int config_line(struct config *c, char *line, char *err, size_t errlen)
{
    char *text = config_trim(line);
    char *eq;
    char *key;

    if (text[0] == '\0' || text[0] == '#')
        return 0;

    eq = strchr(text, '=');
    if (eq == NULL) {
        err_set(err, errlen, "expected \"key = value\"");
        return -1;
    }
    *eq = '\0';
    key = config_trim(text);
    if (key[0] == '\0') {
        err_set(err, errlen, "no key before '='");
        return -1;
    }
    return config_set(c, key, config_trim(eq + 1), err, errlen);
}

static int config_read(struct config *c, FILE *fp, const char *path, char *err,
                       size_t errlen)
{
    char why[CONFIG_STR + 128];
    char *line = NULL;
    size_t cap = 0;
    long lineno = 0;
    int rc = 0;

    while (rc == 0 && getline(&line, &cap, fp) != -1) {
        lineno++;
        rc = config_line(c, line, why, sizeof(why));
    }

    if (rc != 0)
        err_set(err, errlen, "%s:%ld: %s", path, lineno, why);
    else if (ferror(fp)) {
        err_set(err, errlen, "%s: %s", path, strerror(errno));
        rc = -1;
    }
    free(line);
    return rc;
}

int config_load_file(struct config *c, const char *path, int required,
                     char *err, size_t errlen)
{
    FILE *fp = fopen(path, "re");
    int rc;

    if (fp == NULL) {
        if (errno == ENOENT && !required)
            return 0;
        err_set(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }

    rc = config_read(c, fp, path, err, errlen);
    fclose(fp);
    return rc;
}

/* 1 for a loopback host, 0 for any other, -1 when out of memory. */
static int config_is_loopback(const char *url)
{
    char host[CONFIG_STR];
    CURLUcode uc = config_url_host(url, host, sizeof(host));

    if (uc != CURLUE_OK)
        return uc == CURLUE_OUT_OF_MEMORY ? -1 : 0;
    return strcasecmp(host, "localhost") == 0 ||
           strcmp(host, "127.0.0.1") == 0 || strcmp(host, "[::1]") == 0;
}

/* What only a run against the real bank needs. */
static int config_validate_live(const struct config *c, char *err,
                                size_t errlen)
{
    if (c->project_id[0] == '\0') {
        err_set(err, errlen,
                "project_id is not set: give the id Bank 131 issued to the "
                "partner in npdlink.conf or with --project-id, or add "
                "--sandbox to try npdlink without one");
        return -1;
    }
    if (c->key_file[0] == '\0') {
        err_set(err, errlen,
                "key_file is not set: requests must be signed with the "
                "partner's private key; name its file in npdlink.conf or "
                "with --key-file");
        return -1;
    }
    if (strncmp(c->mytax_url, "https://", 8) != 0) {
        err_set(err, errlen, "mytax_url must use https://");
        return -1;
    }
    return 0;
}

int config_validate(const struct config *c, char *err, size_t errlen)
{
    if (c->total_timeout_ms < c->connect_timeout_ms) {
        err_set(err, errlen,
                "total_timeout_ms (%ld) is shorter than "
                "connect_timeout_ms (%ld)",
                c->total_timeout_ms, c->connect_timeout_ms);
        return -1;
    }
    if (c->npermissions == 0) {
        err_set(err, errlen, "permissions: at least one code is needed");
        return -1;
    }
    /* Signed requests never travel in clear beyond this machine, in
     * sandbox mode too, so a config file cannot point them elsewhere. */
    if (strncmp(c->base_url, "https://", 8) != 0) {
        int loopback = config_is_loopback(c->base_url);

        if (loopback < 0) {
            err_set(err, errlen, "base_url: out of memory");
            return -1;
        }
        if (!loopback) {
            err_set(err, errlen,
                    "base_url must use https:// (plain http:// only to "
                    "localhost, 127.0.0.1 or [::1])");
            return -1;
        }
    }
    if (c->sandbox)
        return 0;
    return config_validate_live(c, err, errlen);
}

#define CONFIG_ENV_PREFIX "NPDLINK_"
#define CONFIG_MASK_KEEP 4 /* characters of the project id left readable */

/* The variable for a key: NPDLINK_ and the key in capitals, '.' as '_'. */
static void config_env_name(const char *key, char *out, size_t n)
{
    size_t len = strlen(CONFIG_ENV_PREFIX);
    size_t i;

    snprintf(out, n, "%s", CONFIG_ENV_PREFIX);
    for (i = 0; key[i] != '\0' && len + i + 1 < n; i++)
        out[len + i] =
            key[i] == '.' ? '_' : (char)toupper((unsigned char)key[i]);
    out[len + i] = '\0';
}

/* The key a variable sets; NULL for none. name runs for len bytes. */
static const struct config_key *config_env_key(const char *name, size_t len)
{
    char want[64];

    for (size_t i = 0; i < sizeof(config_keys) / sizeof(config_keys[0]); i++) {
        config_env_name(config_keys[i].name, want, sizeof(want));
        if (strlen(want) == len && memcmp(want, name, len) == 0)
            return &config_keys[i];
    }
    return NULL;
}

/* One "NAME=value" entry; 0 for a variable that is not npdlink's. */
static int config_env_entry(struct config *c, const char *entry, char *err,
                            size_t errlen)
{
    static const char sandbox_exe[] = CONFIG_ENV_PREFIX "SANDBOX";
    const char *eq = strchr(entry, '=');
    size_t len = eq == NULL ? 0 : (size_t)(eq - entry);
    const struct config_key *k;
    char why[CONFIG_STR + 128];

    if (eq == NULL ||
        strncmp(entry, CONFIG_ENV_PREFIX, strlen(CONFIG_ENV_PREFIX)) != 0)
        return 0;
    if (len == strlen(sandbox_exe) && memcmp(entry, sandbox_exe, len) == 0)
        return 0;

    k = config_env_key(entry, len);
    if (k == NULL || k->kind == CONFIG_SANDBOX) {
        err_set(err, errlen, "%.*s: not a variable npdlink knows",
                (int)(len > 64 ? 64 : len), entry);
        return -1;
    }
    if (config_set(c, k->name, eq + 1, why, sizeof(why)) < 0) {
        err_set(err, errlen, "%.*s: %s", (int)len, entry, why);
        return -1;
    }
    return 0;
}

int config_load_env(struct config *c, char *const *envp, char *err,
                    size_t errlen)
{
    if (envp == NULL)
        return 0;
    for (size_t i = 0; envp[i] != NULL; i++)
        if (config_env_entry(c, envp[i], err, errlen) < 0)
            return -1;
    return 0;
}

/* A growing string; on out of memory s becomes NULL and stays so. */
struct config_buf {
    char *s;
    size_t len;
    size_t cap;
};

__attribute__((format(printf, 2, 3))) static void
config_buf_add(struct config_buf *b, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (b->s == NULL)
        return;
    va_start(ap, fmt);
    n = vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    if (n < 0) {
        free(b->s);
        b->s = NULL;
        return;
    }

    if ((size_t)n >= b->cap - b->len) {
        size_t cap = (b->len + (size_t)n + 1) * 2;
        char *s = realloc(b->s, cap);

        if (s == NULL) {
            free(b->s);
            b->s = NULL;
            return;
        }
        b->s = s;
        b->cap = cap;
        va_start(ap, fmt);
        vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
        va_end(ap);
    }
    b->len += (size_t)n;
}

/* The project id shows only its last CONFIG_MASK_KEEP characters, and
 * none of an id that short. */
static void config_dump_masked(struct config_buf *b, const char *name,
                               const char *value)
{
    size_t n = strlen(value);

    if (n == 0) {
        config_buf_add(b, "%s =\n", name);
        return;
    }
    config_buf_add(b, "# %s = ****%s (masked)\n", name,
                   n > CONFIG_MASK_KEEP ? value + n - CONFIG_MASK_KEEP : "");
}

static void config_dump_perms(struct config_buf *b, const struct config *c)
{
    config_buf_add(b, "permissions =");
    for (size_t i = 0; i < c->npermissions; i++)
        config_buf_add(b, "%s%s", i == 0 ? " " : ", ", c->permissions[i]);
    config_buf_add(b, "\n");
}

static void config_dump_key(struct config_buf *b, const struct config *c,
                            const struct config_key *k)
{
    const char *field = (const char *)c + k->off;

    switch (k->kind) {
    case CONFIG_TEXT:
    case CONFIG_URL:
    case CONFIG_PATH:
    case CONFIG_MEMBER:
    case CONFIG_MEMBERS:
        if (field == c->project_id)
            config_dump_masked(b, k->name, field);
        else
            config_buf_add(b, field[0] == '\0' ? "%s =%s\n" : "%s = %s\n",
                           k->name, field);
        break;
    case CONFIG_PERMS:
        config_dump_perms(b, c);
        break;
    case CONFIG_CONNECT:
        config_buf_add(b, "%s = %ld\n", k->name, c->connect_timeout_ms);
        break;
    case CONFIG_TOTAL:
        config_buf_add(b, "%s = %ld\n", k->name, c->total_timeout_ms);
        break;
    case CONFIG_SANDBOX:
        config_buf_add(b, "%s = %s\n", k->name, c->sandbox ? "yes" : "no");
        break;
    case CONFIG_BOOL:
        config_buf_add(b, "%s = %s\n", k->name,
                       *(const int *)(const void *)field ? "yes" : "no");
        break;
    case CONFIG_QR:
        config_buf_add(b, "%s = %s\n", k->name,
                       config_qr_mode_name(c->qr_mode));
        break;
    case CONFIG_IDLE:
        config_buf_add(b, "%s = %ld\n", k->name, config_idle_s(c));
        break;
    }
}

char *config_dump(const struct config *c)
{
    struct config_buf b = {malloc(1024), 0, 1024};

    for (size_t i = 0; i < sizeof(config_keys) / sizeof(config_keys[0]); i++)
        config_dump_key(&b, c, &config_keys[i]);
    return b.s;
}
