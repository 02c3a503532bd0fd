/*
 * Unit tests for core/config.c: defaults, every key's rules, the file
 * reader's "path:line: reason" errors, the production checks; and
 * core/perm.c, whose list the defaults carry.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "perm.h"

struct fixture {
    struct config c;
    char dir[64];
    char file[128];
    char err[1024];
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));

    if (f == NULL)
        return -1;
    snprintf(f->dir, sizeof(f->dir), "/tmp/npd-config-XXXXXX");
    if (mkdtemp(f->dir) == NULL)
        return -1;
    snprintf(f->file, sizeof(f->file), "%s/npdlink.conf", f->dir);
    config_defaults(&f->c);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;

    config_free(&f->c);
    unlink(f->file);
    rmdir(f->dir);
    free(f);
    return 0;
}

static void write_conf(const struct fixture *f, const char *text)
{
    FILE *fp = fopen(f->file, "w");

    assert_non_null(fp);
    assert_true(fputs(text, fp) >= 0);
    assert_int_equal(fclose(fp), 0);
}

static int set(struct fixture *f, const char *key, const char *value)
{
    f->err[0] = '\0';
    return config_set(&f->c, key, value, f->err, sizeof(f->err));
}

/* Asserts that key=value is refused with a reason containing want. */
static void refused(struct fixture *f, const char *key, const char *value,
                    const char *want)
{
    assert_int_equal(set(f, key, value), -1);
    if (strstr(f->err, want) == NULL)
        fail_msg("%s=%s: \"%s\" lacks \"%s\"", key, value, f->err, want);
}

static void validate_fails(struct fixture *f, const char *want)
{
    f->err[0] = '\0';
    assert_int_equal(config_validate(&f->c, f->err, sizeof(f->err)), -1);
    if (strstr(f->err, want) == NULL)
        fail_msg("\"%s\" lacks \"%s\"", f->err, want);
}

static int validates(struct fixture *f)
{
    f->err[0] = '\0';
    return config_validate(&f->c, f->err, sizeof(f->err));
}

static void test_defaults(void **state)
{
    struct fixture *f = *state;
    struct config *c = &f->c;

    assert_string_equal(c->base_url, "https://demo.bank131.ru");
    assert_string_equal(c->mytax_url,
                        "https://lknpd.nalog.ru/settings/partners/");
    assert_string_equal(c->paths[API_CHECK], "/api/v1/npd/check");
    assert_string_equal(c->paths[API_STATUS], "/api/v1/npd/request/status");
    assert_string_equal(c->paths[API_TOKEN], "/api/v1/token");
    assert_string_equal(c->paths[API_LINK],
                        "/api/v1/self_employed_widget/link");
    assert_string_equal(c->paths[API_LINK_STATUS],
                        "/api/v1/self_employed_widget/link/status");
    assert_string_equal(c->project_id, "");
    assert_string_equal(c->key_file, "");
    assert_string_equal(c->ca_file, "");
    assert_string_equal(c->audit_file, "");
    assert_int_equal(c->connect_timeout_ms, 10000);
    assert_int_equal(c->total_timeout_ms, 30000);
    assert_int_equal(c->sandbox, 0);

    assert_int_equal(c->npermissions, 5);
    assert_string_equal(c->permissions[0], "INCOME_REGISTRATION");
    assert_string_equal(c->permissions[1], "PAYMENT_INFORMATION");
    assert_string_equal(c->permissions[2], "INCOME_LIST");
    assert_string_equal(c->permissions[3], "INCOME_SUMMARY");
    assert_string_equal(c->permissions[4], "CANCEL_INCOME");
    assert_ptr_not_equal(c->permissions[0], perm_default[0]);
}

static void test_perm_default_list(void **state)
{
    size_t n = 0;

    (void)state;
    while (perm_default[n] != NULL)
        n++;
    assert_int_equal(n, 5);
    assert_string_equal(perm_default[0], "INCOME_REGISTRATION");
    assert_string_equal(perm_default[4], "CANCEL_INCOME");
}

static void test_perm_describe(void **state)
{
    static const char *const all[] = {
        "INCOME_REGISTRATION", "PAYMENT_INFORMATION", "TAX_PAYMENT",
        "INCOME_LIST",         "INCOME_SUMMARY",      "CANCEL_INCOME",
        "CANCEL_ANY_INCOME",   "TAXPAYER_UPDATE",     "PERMISSIONS_MGMT",
    };
    const size_t n = sizeof(all) / sizeof(all[0]);

    (void)state;
    for (size_t i = 0; i < n; i++) {
        const char *t = perm_describe(all[i]);
        assert_non_null(t);
        assert_non_null(strstr(t, "Bank 131"));
        assert_int_equal(t[strlen(t) - 1], '.');
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(t, perm_describe(all[j]));
    }
    assert_non_null(strstr(perm_describe("TAX_PAYMENT"), "pay"));
    assert_null(perm_describe("FUTURE_CODE"));
    assert_null(perm_describe("income_list"));
    assert_null(perm_describe(""));
    assert_null(perm_describe(NULL));
}

static void test_set_text_keys(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(set(f, "project_id", "partner-42"), 0);
    assert_string_equal(f->c.project_id, "partner-42");
    assert_int_equal(set(f, "key_file", "/etc/npdlink/partner.key"), 0);
    assert_string_equal(f->c.key_file, "/etc/npdlink/partner.key");
    assert_int_equal(set(f, "ca_file", "/etc/ssl/bank.pem"), 0);
    assert_string_equal(f->c.ca_file, "/etc/ssl/bank.pem");
    assert_int_equal(set(f, "audit_file", "/var/log/npdlink.jsonl"), 0);
    assert_string_equal(f->c.audit_file, "/var/log/npdlink.jsonl");
    assert_int_equal(set(f, "audit_file", ""), 0);
    assert_string_equal(f->c.audit_file, "");
}

static void test_set_urls(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(set(f, "base_url", "https://proxy.bank131.ru/"), 0);
    assert_string_equal(f->c.base_url, "https://proxy.bank131.ru");
    assert_int_equal(set(f, "base_url", "http://127.0.0.1:8080"), 0);
    assert_string_equal(f->c.base_url, "http://127.0.0.1:8080");
    assert_int_equal(set(f, "mytax_url", "https://himself-ktr.nalog.ru/x/"), 0);
    assert_string_equal(f->c.mytax_url, "https://himself-ktr.nalog.ru/x/");

    refused(f, "base_url", "demo.bank131.ru", "base_url: must start with");
    refused(f, "base_url", "ftp://demo.bank131.ru", "http:// or https://");
    refused(f, "base_url", "https://", "no host");
    refused(f, "base_url", "https:///api", "no host");
    refused(f, "base_url", "https://:443/api", "no host");
    refused(f, "base_url", "https://user@/api", "no host");
    refused(f, "base_url", "https://demo.bank131.ru:99999", "Port number");
    refused(f, "base_url", "http://[::1/", "IPv6");
    refused(f, "base_url", "https://demo bank", "spaces");
    refused(f, "mytax_url", "lknpd.nalog.ru", "mytax_url: must start with");
    refused(f, "mytax_url", "", "must start with");
    assert_string_equal(f->c.base_url, "http://127.0.0.1:8080");
}

static void test_set_paths(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(set(f, "path.check", "/v2/check"), 0);
    assert_string_equal(f->c.paths[API_CHECK], "/v2/check");
    assert_int_equal(set(f, "path.status", "/v2/status"), 0);
    assert_string_equal(f->c.paths[API_STATUS], "/v2/status");
    assert_int_equal(set(f, "path.token", "/v2/token"), 0);
    assert_string_equal(f->c.paths[API_TOKEN], "/v2/token");
    assert_int_equal(set(f, "path.link", "/v2/link"), 0);
    assert_string_equal(f->c.paths[API_LINK], "/v2/link");
    assert_int_equal(set(f, "path.link_status", "/v2/link/state"), 0);
    assert_string_equal(f->c.paths[API_LINK_STATUS], "/v2/link/state");

    refused(f, "path.check", "api/v1/npd/check", "path.check: must start");
    refused(f, "path.link", "", "must start with '/'");
    refused(f, "path.token", "https://x/api", "must start with '/'");
    assert_string_equal(f->c.paths[API_CHECK], "/v2/check");
}

static void test_set_permissions(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(set(f, "permissions", " INCOME_LIST ,TAX_PAYMENT "), 0);
    assert_int_equal(f->c.npermissions, 2);
    assert_string_equal(f->c.permissions[0], "INCOME_LIST");
    assert_string_equal(f->c.permissions[1], "TAX_PAYMENT");
    assert_null(f->c.permissions[2]);

    assert_int_equal(set(f, "permissions", "FUTURE_CODE"), 0);
    assert_int_equal(f->c.npermissions, 1);
    assert_string_equal(f->c.permissions[0], "FUTURE_CODE");
}

static void test_bad_permissions_keep_old_list(void **state)
{
    struct fixture *f = *state;

    refused(f, "permissions", "income_list", "income_list");
    refused(f, "permissions", "INCOME-LIST", "capital letters");
    refused(f, "permissions", "INCOME LIST", "capital letters");
    refused(f, "permissions", "INCOME_LIST,,TAX_PAYMENT", "empty entry");
    refused(f, "permissions", "INCOME_LIST,", "empty entry");
    refused(f, "permissions", "", "empty entry");
    refused(f, "permissions", "INCOME_LIST,TAX_PAYMENT,INCOME_LIST",
            "INCOME_LIST is listed twice");

    assert_int_equal(f->c.npermissions, 5);
    assert_string_equal(f->c.permissions[0], "INCOME_REGISTRATION");
}

static void test_permission_count_limit(void **state)
{
    struct fixture *f = *state;
    char list[CONFIG_STR] = "";

    for (int i = 0; i < CONFIG_MAX_PERMS; i++) {
        char code[8];
        snprintf(code, sizeof(code), "%sP%c", i ? "," : "", 'A' + i);
        strcat(list, code);
    }
    assert_int_equal(set(f, "permissions", list), 0);
    assert_int_equal(f->c.npermissions, CONFIG_MAX_PERMS);
    assert_string_equal(f->c.permissions[CONFIG_MAX_PERMS - 1], "PP");

    strcat(list, ",PQ");
    refused(f, "permissions", list, "more than 16");
    assert_int_equal(f->c.npermissions, CONFIG_MAX_PERMS);
}

static void test_timeouts(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(set(f, "connect_timeout_ms", "1"), 0);
    assert_int_equal(f->c.connect_timeout_ms, 1);
    assert_int_equal(set(f, "connect_timeout_ms", "120000"), 0);
    assert_int_equal(f->c.connect_timeout_ms, 120000);
    assert_int_equal(set(f, "total_timeout_ms", "600000"), 0);
    assert_int_equal(f->c.total_timeout_ms, 600000);
    assert_int_equal(set(f, "total_timeout_ms", "120000"), 0);

    refused(f, "connect_timeout_ms", "0", "out of range");
    refused(f, "connect_timeout_ms", "120001", "out of range");
    refused(f, "connect_timeout_ms", "-5", "must be a number");
    refused(f, "connect_timeout_ms", "+5", "must be a number");
    refused(f, "connect_timeout_ms", "10s", "must be a number");
    refused(f, "connect_timeout_ms", "", "must be a number");
    refused(f, "connect_timeout_ms", "99999999999999999999", "number");
    refused(f, "total_timeout_ms", "600001", "out of range");
    refused(f, "total_timeout_ms", "0", "out of range");
    assert_int_equal(f->c.connect_timeout_ms, 120000);
    assert_int_equal(f->c.total_timeout_ms, 120000);
}

static void test_total_below_connect(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(set(f, "sandbox", "yes"), 0);
    assert_int_equal(set(f, "connect_timeout_ms", "20000"), 0);
    assert_int_equal(set(f, "total_timeout_ms", "15000"), 0);
    validate_fails(f, "total_timeout_ms (15000) is shorter");

    assert_int_equal(set(f, "total_timeout_ms", "20000"), 0);
    assert_int_equal(validates(f), 0);
}

static void test_sandbox_values(void **state)
{
    struct fixture *f = *state;
    static const char *const on[] = {"yes", "true", "1", "YES", "True"};
    static const char *const off[] = {"no", "false", "0", "No"};

    for (size_t i = 0; i < sizeof(on) / sizeof(on[0]); i++) {
        f->c.sandbox = 0;
        assert_int_equal(set(f, "sandbox", on[i]), 0);
        assert_int_equal(f->c.sandbox, 1);
    }
    for (size_t i = 0; i < sizeof(off) / sizeof(off[0]); i++) {
        f->c.sandbox = 1;
        assert_int_equal(set(f, "sandbox", off[i]), 0);
        assert_int_equal(f->c.sandbox, 0);
    }
    refused(f, "sandbox", "maybe", "sandbox: must be yes or no");
    refused(f, "sandbox", "", "yes or no");
    refused(f, "sandbox", "2", "yes or no");
}

static void test_no_tls_switch(void **state)
{
    struct fixture *f = *state;
    static const char *const keys[] = {
        "verify_tls", "insecure", "tls_verify", "ssl_verify_peer",
        "verify",     "INSECURE", "tls",        "no_cert_check",
    };

    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        refused(f, keys[i], "no", "TLS verification cannot be switched off");
}

static void test_unknown_key(void **state)
{
    struct fixture *f = *state;

    refused(f, "colour", "blue", "unknown key \"colour\"");
    refused(f, "Base_URL", "https://x", "unknown key");
    refused(f, "path.", "/x", "unknown key");
    assert_int_equal(config_set(&f->c, "colour", "blue", NULL, 0), -1);
    assert_int_equal(config_set(&f->c, NULL, "x", f->err, sizeof(f->err)), -1);
    assert_int_equal(
        config_set(&f->c, "project_id", NULL, f->err, sizeof(f->err)), -1);
}

static void test_value_length(void **state)
{
    struct fixture *f = *state;
    char v[CONFIG_STR + 1];

    memset(v, 'p', sizeof(v));
    v[CONFIG_STR - 1] = '\0';
    assert_int_equal(set(f, "project_id", v), 0);
    assert_int_equal(strlen(f->c.project_id), CONFIG_STR - 1);

    v[0] = '/';
    assert_int_equal(set(f, "path.check", v), 0);
    assert_int_equal(strlen(f->c.paths[API_CHECK]), CONFIG_STR - 1);

    memset(v, 'q', sizeof(v));
    v[CONFIG_STR] = '\0';
    refused(f, "project_id", v, "project_id: value longer than 511");
    assert_int_equal(f->c.project_id[0], 'p');
}

static void test_control_characters(void **state)
{
    struct fixture *f = *state;

    refused(f, "project_id", "p1\r\nX-Injected: 1", "control character");
    refused(f, "project_id", "p1\tp2", "control character");
    refused(f, "base_url", "https://demo\x7f.bank131.ru", "control");
    assert_string_equal(f->c.project_id, "");
}

static void make_live(struct fixture *f)
{
    assert_int_equal(set(f, "project_id", "partner-42"), 0);
    assert_int_equal(set(f, "key_file", "/etc/npdlink/partner.key"), 0);
}

static void test_validate_live_needs(void **state)
{
    struct fixture *f = *state;

    validate_fails(f, "project_id is not set");
    validate_fails(f, "--project-id");
    validate_fails(f, "--sandbox");
    assert_int_equal(set(f, "project_id", "partner-42"), 0);
    validate_fails(f, "key_file is not set");
    validate_fails(f, "--key-file");
    assert_int_equal(set(f, "key_file", "/etc/npdlink/partner.key"), 0);
    assert_int_equal(validates(f), 0);
}

static void test_validate_sandbox_needs_no_key(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(set(f, "sandbox", "yes"), 0);
    assert_int_equal(set(f, "base_url", "http://127.0.0.1:8080"), 0);
    assert_int_equal(validates(f), 0);
}

/* sandbox = yes in a file must not let signed requests go out in clear. */
static void test_validate_sandbox_still_needs_https(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(set(f, "sandbox", "yes"), 0);
    assert_int_equal(set(f, "base_url", "http://192.0.2.1"), 0);
    assert_int_equal(validates(f), -1);
}

static void test_validate_https_rules(void **state)
{
    struct fixture *f = *state;
    static const char *const loopback[] = {
        "http://127.0.0.1",        "http://127.0.0.1:8080/", "http://localhost",
        "http://LocalHost:9",      "http://[::1]:8443",      "http://[::1]",
        "https://demo.bank131.ru",
    };
    static const char *const remote[] = {
        "http://demo.bank131.ru",        "http://localhost.example.com",
        "http://localhost@example.com",  "http://127.0.0.2",
        "http://127.0.0.1.example.com",  "http://[::2]:80",
        "http://example.com#@localhost",
    };

    make_live(f);
    for (size_t i = 0; i < sizeof(loopback) / sizeof(loopback[0]); i++) {
        assert_int_equal(set(f, "base_url", loopback[i]), 0);
        if (validates(f) != 0)
            fail_msg("%s: %s", loopback[i], f->err);
    }
    for (size_t i = 0; i < sizeof(remote) / sizeof(remote[0]); i++) {
        assert_int_equal(set(f, "base_url", remote[i]), 0);
        validate_fails(f, "base_url must use https://");
    }

    assert_int_equal(set(f, "base_url", "https://demo.bank131.ru"), 0);
    assert_int_equal(set(f, "mytax_url", "http://lknpd.nalog.ru/"), 0);
    validate_fails(f, "mytax_url must use https://");
}

static void test_validate_needs_permissions(void **state)
{
    struct fixture *f = *state;

    make_live(f);
    config_free(&f->c);
    assert_int_equal(f->c.npermissions, 0);
    validate_fails(f, "at least one code");
    config_free(&f->c);
}

static int load(struct fixture *f, int required)
{
    f->err[0] = '\0';
    return config_load_file(&f->c, f->file, required, f->err, sizeof(f->err));
}

static void load_fails(struct fixture *f, const char *text, int line,
                       const char *want)
{
    char prefix[256];

    write_conf(f, text);
    assert_int_equal(load(f, 1), -1);
    snprintf(prefix, sizeof(prefix), "%s:%d: ", f->file, line);
    if (strncmp(f->err, prefix, strlen(prefix)) != 0 ||
        strstr(f->err, want) == NULL)
        fail_msg("\"%s\" is not \"%s...%s\"", f->err, prefix, want);
}

static void test_file_good(void **state)
{
    struct fixture *f = *state;

    write_conf(f, "# npdlink settings\n"
                  "\n"
                  "   base_url   =   https://proxy.bank131.ru/  \n"
                  "project_id=a=b # not a comment\n"
                  "\t# indented comment\n"
                  "key_file = /etc/npdlink/partner.key\r\n"
                  "permissions = INCOME_LIST, INCOME_SUMMARY\n"
                  "connect_timeout_ms = 5000\n"
                  "sandbox = no\n"
                  "audit_file =\n"
                  "total_timeout_ms = 45000");
    assert_int_equal(load(f, 1), 0);
    assert_string_equal(f->c.base_url, "https://proxy.bank131.ru");
    assert_string_equal(f->c.project_id, "a=b # not a comment");
    assert_string_equal(f->c.key_file, "/etc/npdlink/partner.key");
    assert_int_equal(f->c.npermissions, 2);
    assert_string_equal(f->c.permissions[1], "INCOME_SUMMARY");
    assert_int_equal(f->c.connect_timeout_ms, 5000);
    assert_int_equal(f->c.total_timeout_ms, 45000);
    assert_string_equal(f->c.audit_file, "");
    assert_int_equal(validates(f), 0);
}

static void test_file_missing(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(load(f, 0), 0);
    assert_string_equal(f->c.base_url, "https://demo.bank131.ru");
    assert_int_equal(load(f, 1), -1);
    assert_non_null(strstr(f->err, f->file));
    assert_non_null(strstr(f->err, "No such file"));
}

static void test_file_unreadable_dir(void **state)
{
    struct fixture *f = *state;

    f->err[0] = '\0';
    assert_int_equal(config_load_file(&f->c, f->dir, 0, f->err, sizeof(f->err)),
                     -1);
    assert_non_null(strstr(f->err, f->dir));
}

static void test_file_errors_name_line(void **state)
{
    struct fixture *f = *state;

    load_fails(f, "# settings\nproject_id = p\njust some words\n", 3,
               "expected \"key = value\"");
    load_fails(f, "colour = blue\n", 1, "unknown key \"colour\"");
    load_fails(f, "\n\n# c\n\nconnect_timeout_ms = soon\n", 5,
               "connect_timeout_ms: must be a number");
    load_fails(f, "= value\n", 1, "no key before '='");
    load_fails(f, "sandbox = yes\nverify_tls = no\n", 2,
               "TLS verification cannot be switched off");
    load_fails(f, "path.check = api/check\n", 1, "must start with '/'");
    load_fails(f, "permissions = INCOME_LIST,income_list\n", 1,
               "capital letters");
    load_fails(f, "base_url = demo.bank131.ru\n", 1, "http:// or https://");
}

static void test_file_long_line(void **state)
{
    struct fixture *f = *state;
    char *text = malloc(2000);

    assert_non_null(text);
    strcpy(text, "# long\nproject_id = ");
    memset(text + strlen(text), 'x', 1500);
    strcpy(text + 20 + 1500, "\n");
    load_fails(f, text, 2, "value longer than 511");
    free(text);
}

static int load_env(struct fixture *f, char *const *envp)
{
    f->err[0] = '\0';
    return config_load_env(&f->c, envp, f->err, sizeof(f->err));
}

static void test_env_over_file(void **state)
{
    struct fixture *f = *state;
    char *env[] = {"HOME=/home/agent",
                   "NPDLINK_BASE_URL=https://env.example/",
                   "NPDLINK_PATH_LINK=/v2/link",
                   "NPDLINK_CONNECT_TIMEOUT_MS=2500",
                   "NPDLINK_SANDBOX=/opt/npdlink/npdlink-sandbox",
                   "NPDLINK_AUDIT_FILE=/var/log/npdlink/audit.jsonl",
                   NULL};

    write_conf(f, "base_url = https://file.example\n"
                  "project_id = from-file\n"
                  "path.link = /v1/link\n");
    assert_int_equal(load(f, 1), 0);
    assert_int_equal(load_env(f, env), 0);

    assert_string_equal(f->c.base_url, "https://env.example");
    assert_string_equal(f->c.paths[API_LINK], "/v2/link");
    assert_int_equal(f->c.connect_timeout_ms, 2500);
    assert_string_equal(f->c.audit_file, "/var/log/npdlink/audit.jsonl");
    assert_string_equal(f->c.project_id, "from-file");
    assert_int_equal(f->c.sandbox, 0);
}

static void test_env_every_documented_name(void **state)
{
    struct fixture *f = *state;
    char *env[] = {"NPDLINK_PROJECT_ID=p-1",
                   "NPDLINK_KEY_FILE=/k.pem",
                   "NPDLINK_CA_FILE=/ca.pem",
                   "NPDLINK_MYTAX_URL=https://tax.example/p",
                   "NPDLINK_PATH_LINK_STATUS=/ls",
                   "NPDLINK_PERMISSIONS=INCOME_LIST",
                   "NPDLINK_TOTAL_TIMEOUT_MS=40000",
                   NULL};

    assert_int_equal(load_env(f, env), 0);
    assert_string_equal(f->c.project_id, "p-1");
    assert_string_equal(f->c.key_file, "/k.pem");
    assert_string_equal(f->c.ca_file, "/ca.pem");
    assert_string_equal(f->c.mytax_url, "https://tax.example/p");
    assert_string_equal(f->c.paths[API_LINK_STATUS], "/ls");
    assert_int_equal(f->c.npermissions, 1);
    assert_string_equal(f->c.permissions[0], "INCOME_LIST");
    assert_int_equal(f->c.total_timeout_ms, 40000);
}

static void test_ledger_file_key(void **state)
{
    struct fixture *f = *state;
    char *env[] = {"NPDLINK_LEDGER_FILE=/var/lib/npdlink/checks", NULL};
    char *text;

    assert_string_equal(f->c.ledger_file, "");
    assert_int_equal(load_env(f, env), 0);
    assert_string_equal(f->c.ledger_file, "/var/lib/npdlink/checks");
    text = config_dump(&f->c);
    assert_non_null(text);
    assert_non_null(strstr(text, "\nledger_file = /var/lib/npdlink/checks\n"));
    free(text);
    assert_int_equal(set(f, "ledger_file", ""), 0);
    assert_string_equal(f->c.ledger_file, "");
}

static void test_flag_over_env(void **state)
{
    struct fixture *f = *state;
    char *env[] = {"NPDLINK_PROJECT_ID=from-env", NULL};

    assert_int_equal(load_env(f, env), 0);
    assert_string_equal(f->c.project_id, "from-env");
    assert_int_equal(set(f, "project_id", "from-flag"), 0);
    assert_string_equal(f->c.project_id, "from-flag");
}

static void test_env_unknown_variable(void **state)
{
    struct fixture *f = *state;
    char *typo[] = {"NPDLINK_BASEURL=https://x.example", NULL};
    char *tls[] = {"NPDLINK_VERIFY_TLS=no", NULL};
    char *lower[] = {"NPDLINK_base_url=https://x.example", NULL};

    assert_int_equal(load_env(f, typo), -1);
    assert_string_equal(f->err, "NPDLINK_BASEURL: not a variable npdlink "
                                "knows");
    assert_int_equal(load_env(f, tls), -1);
    assert_non_null(strstr(f->err, "NPDLINK_VERIFY_TLS"));
    assert_int_equal(load_env(f, lower), -1);
    assert_non_null(strstr(f->err, "NPDLINK_base_url"));
    assert_string_equal(f->c.base_url, "https://demo.bank131.ru");
}

static void test_env_bad_value_names_variable(void **state)
{
    struct fixture *f = *state;
    char *url[] = {"NPDLINK_BASE_URL=demo.bank131.ru", NULL};
    char *ms[] = {"OTHER=1", "NPDLINK_CONNECT_TIMEOUT_MS=soon", NULL};

    assert_int_equal(load_env(f, url), -1);
    assert_string_equal(f->err, "NPDLINK_BASE_URL: base_url: must start "
                                "with http:// or https://");
    assert_int_equal(load_env(f, ms), -1);
    assert_true(strncmp(f->err, "NPDLINK_CONNECT_TIMEOUT_MS: ", 28) == 0);
    assert_int_equal(f->c.connect_timeout_ms, 10000);
}

static void test_env_ignores_others(void **state)
{
    struct fixture *f = *state;
    char *env[] = {"NPDLINK", "NPDLINKS_X=1", "XNPDLINK_Y=2", "PATH=/bin",
                   NULL};

    assert_int_equal(load_env(f, env), 0);
    assert_int_equal(load_env(f, NULL), 0);
    assert_string_equal(f->c.base_url, "https://demo.bank131.ru");
}

static void test_dump_hides_project_id(void **state)
{
    struct fixture *f = *state;
    char *text;

    assert_int_equal(set(f, "project_id", "partner-4242"), 0);
    assert_int_equal(set(f, "key_file", "/etc/npdlink/partner.key"), 0);
    text = config_dump(&f->c);
    assert_non_null(text);
    assert_null(strstr(text, "partner-"));
    assert_non_null(strstr(text, "\n# project_id = ****4242 (masked)\n"));
    assert_non_null(strstr(text, "\nkey_file = /etc/npdlink/partner.key\n"));
    assert_non_null(strstr(text, "\nsandbox = no\n"));
    free(text);

    assert_int_equal(set(f, "project_id", "p42"), 0);
    text = config_dump(&f->c);
    assert_non_null(text);
    assert_non_null(strstr(text, "\n# project_id = **** (masked)\n"));
    assert_null(strstr(text, "p42"));
    free(text);
}

static void test_dump_round_trip(void **state)
{
    struct fixture *f = *state;
    struct config back;
    char *text;
    FILE *fp;

    assert_int_equal(set(f, "base_url", "http://127.0.0.1:8080"), 0);
    assert_int_equal(set(f, "project_id", "partner-4242"), 0);
    assert_int_equal(set(f, "ca_file", "/etc/ssl/bank.pem"), 0);
    assert_int_equal(set(f, "path.status", "/v9/status"), 0);
    assert_int_equal(set(f, "permissions", "INCOME_LIST,NEW_CODE"), 0);
    assert_int_equal(set(f, "connect_timeout_ms", "700"), 0);
    assert_int_equal(set(f, "total_timeout_ms", "900"), 0);
    assert_int_equal(set(f, "sandbox", "true"), 0);
    text = config_dump(&f->c);
    assert_non_null(text);
    fp = fopen(f->file, "w");
    assert_non_null(fp);
    assert_true(fputs(text, fp) >= 0);
    assert_int_equal(fclose(fp), 0);
    free(text);

    config_defaults(&back);
    assert_int_equal(
        config_load_file(&back, f->file, 1, f->err, sizeof(f->err)), 0);
    assert_string_equal(back.base_url, "http://127.0.0.1:8080");
    assert_string_equal(back.project_id, "");
    assert_string_equal(back.key_file, "");
    assert_string_equal(back.ca_file, "/etc/ssl/bank.pem");
    assert_string_equal(back.mytax_url, f->c.mytax_url);
    for (int i = 0; i < API_CALL_COUNT; i++)
        assert_string_equal(back.paths[i], f->c.paths[i]);
    assert_string_equal(back.paths[API_STATUS], "/v9/status");
    assert_int_equal(back.npermissions, 2);
    assert_string_equal(back.permissions[0], "INCOME_LIST");
    assert_string_equal(back.permissions[1], "NEW_CODE");
    assert_int_equal(back.connect_timeout_ms, 700);
    assert_int_equal(back.total_timeout_ms, 900);
    assert_int_equal(back.sandbox, 1);
    config_free(&back);
}

/* qr_mode takes exactly the three names, and --print-config names it. */
static void test_qr_mode_key(void **state)
{
    struct fixture *f = *state;
    char *text;

    assert_int_equal(f->c.qr_mode, CONFIG_QR_HALF);
    assert_int_equal(
        config_set(&f->c, "qr_mode", "large", f->err, sizeof(f->err)), 0);
    assert_int_equal(f->c.qr_mode, CONFIG_QR_LARGE);
    assert_int_equal(
        config_set(&f->c, "qr_mode", "colour", f->err, sizeof(f->err)), 0);
    assert_int_equal(f->c.qr_mode, CONFIG_QR_COLOUR);

    assert_int_equal(
        config_set(&f->c, "qr_mode", "Large", f->err, sizeof(f->err)), -1);
    assert_string_equal(f->err, "qr_mode: must be half, large or colour");
    assert_int_equal(f->c.qr_mode, CONFIG_QR_COLOUR);

    text = config_dump(&f->c);
    assert_non_null(text);
    assert_non_null(strstr(text, "\nqr_mode = colour\n"));
    free(text);
    assert_string_equal(config_qr_mode_name(CONFIG_QR_HALF), "half");
}

/* The idle timeout: off by default, 120 s once kiosk is on, any value
 * from 0 to a day when set, whatever kiosk says. */
static void test_kiosk_and_idle(void **state)
{
    struct fixture *f = *state;
    char *env[] = {"NPDLINK_KIOSK=yes", "NPDLINK_IDLE_TIMEOUT_S=3", NULL};

    assert_int_equal(f->c.kiosk, 0);
    assert_int_equal(config_idle_s(&f->c), 0);
    write_conf(f, "kiosk = yes\n");
    assert_int_equal(load(f, 1), 0);
    assert_int_equal(f->c.kiosk, 1);
    assert_int_equal(config_idle_s(&f->c), 120);

    write_conf(f, "kiosk = no\nidle_timeout_s = 0\n");
    assert_int_equal(load(f, 1), 0);
    assert_int_equal(config_idle_s(&f->c), 0);
    assert_int_equal(load_env(f, env), 0);
    assert_int_equal(f->c.kiosk, 1);
    assert_int_equal(config_idle_s(&f->c), 3);
    write_conf(f, "idle_timeout_s = 86400\n");
    assert_int_equal(load(f, 1), 0);
    assert_int_equal(config_idle_s(&f->c), 86400);

    load_fails(f, "idle_timeout_s = 86401\n", 1,
               "idle_timeout_s: must be a number from 0 (off) to 86400");
    load_fails(f, "idle_timeout_s = -1\n", 1,
               "idle_timeout_s: must be a number from 0 (off) to 86400");
    load_fails(f, "kiosk = maybe\n", 1, "kiosk: must be yes or no");
    assert_int_equal(config_idle_s(&f->c), 86400);
}

static void test_personal_info_keys(void **state)
{
    struct fixture *f = *state;
    char err[256] = "";

    assert_string_equal(f->c.paths[API_PERSONAL_INFO],
                        "/api/v1/npd/taxpayer/check_personal_info");
    assert_string_equal(f->c.personal_info_inn_field, "tax_reference");
    assert_string_equal(f->c.personal_info_name_fields,
                        "last_name,first_name,middle_name");
    assert_string_equal(f->c.personal_info_phone_field, "phone");

    assert_int_equal(config_set(&f->c, "personal_info.name_fields", "full_name",
                                err, sizeof err),
                     0);
    assert_string_equal(f->c.personal_info_name_fields, "full_name");
    assert_int_equal(
        config_set(&f->c, "personal_info.name_fields", "a,b", err, sizeof err),
        -1);
    assert_non_null(strstr(err, "three names"));
    assert_int_equal(
        config_set(&f->c, "personal_info.name_fields", "a,,b", err, sizeof err),
        -1);
    assert_int_equal(
        config_set(&f->c, "personal_info.phone_field", "a,b", err, sizeof err),
        -1);
    assert_int_equal(
        config_set(&f->c, "personal_info.inn_field", "", err, sizeof err), -1);
    assert_int_equal(
        config_set(&f->c, "personal_info.inn_field", "inn", err, sizeof err),
        0);
    assert_string_equal(f->c.personal_info_inn_field, "inn");
    assert_string_equal(f->c.personal_info_name_fields, "full_name");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
        T(test_defaults),
        T(test_perm_default_list),
        T(test_perm_describe),
        T(test_set_text_keys),
        T(test_set_urls),
        T(test_set_paths),
        T(test_set_permissions),
        T(test_bad_permissions_keep_old_list),
        T(test_permission_count_limit),
        T(test_timeouts),
        T(test_total_below_connect),
        T(test_sandbox_values),
        T(test_no_tls_switch),
        T(test_unknown_key),
        T(test_value_length),
        T(test_control_characters),
        T(test_validate_live_needs),
        T(test_validate_sandbox_needs_no_key),
        T(test_validate_sandbox_still_needs_https),
        T(test_validate_https_rules),
        T(test_validate_needs_permissions),
        T(test_file_good),
        T(test_file_missing),
        T(test_file_unreadable_dir),
        T(test_file_errors_name_line),
        T(test_file_long_line),
        T(test_env_over_file),
        T(test_env_every_documented_name),
        T(test_ledger_file_key),
        T(test_personal_info_keys),
        T(test_flag_over_env),
        T(test_env_unknown_variable),
        T(test_env_bad_value_names_variable),
        T(test_env_ignores_others),
        T(test_dump_hides_project_id),
        T(test_dump_round_trip),
        T(test_qr_mode_key),
        T(test_kiosk_and_idle),
#undef T
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
