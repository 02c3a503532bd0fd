/*
 * Unit tests for core/audit.c: appended lines parse back with the right
 * fields, the INN appears only masked, write failures carry a reason.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <pwd.h>

#include <cmocka.h>
#include <jansson.h>

#include "audit.h"

struct fixture {
    char dir[64];
    char file[128];
    char err[512];
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));

    if (f == NULL)
        return -1;
    snprintf(f->dir, sizeof(f->dir), "/tmp/npd-audit-XXXXXX");
    if (mkdtemp(f->dir) == NULL)
        return -1;
    snprintf(f->file, sizeof(f->file), "%s/audit.jsonl", f->dir);
    unsetenv("SSH_CLIENT");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;

    unlink(f->file);
    rmdir(f->dir);
    free(f);
    return 0;
}

/* The whole file, NUL-terminated; the caller frees it. */
static char *slurp(const char *path)
{
    FILE *fp = fopen(path, "r");
    char *buf = calloc(1, 65536);
    size_t n;

    assert_non_null(fp);
    assert_non_null(buf);
    n = fread(buf, 1, 65535, fp);
    buf[n] = '\0';
    fclose(fp);
    return buf;
}

/* Line number idx (from 0) of text, parsed as JSON. */
static json_t *line_json(const char *text, int idx)
{
    const char *p = text;
    const char *end;
    json_error_t jerr;
    json_t *j;

    for (int i = 0; i < idx; i++) {
        p = strchr(p, '\n');
        assert_non_null(p);
        p++;
    }
    end = strchr(p, '\n');
    assert_non_null(end);
    j = json_loadb(p, (size_t)(end - p), 0, &jerr);
    if (j == NULL)
        fail_msg("line %d: %s", idx + 1, jerr.text);
    return j;
}

static const char *str_of(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);

    assert_non_null(v);
    assert_true(json_is_string(v));
    return json_string_value(v);
}

static int count_lines(const char *text)
{
    int n = 0;

    for (; *text != '\0'; text++)
        n += *text == '\n';
    return n;
}

static struct audit *open_ok(struct fixture *f, const char *path)
{
    struct audit *a = audit_open(path, f->err, sizeof(f->err));

    if (a == NULL)
        fail_msg("audit_open: %s", f->err);
    return a;
}

static void test_lines_parse_back(void **state)
{
    struct fixture *f = *state;
    struct audit *a = open_ok(f, f->file);
    const char *kv[] = {"call", "npd/check", "result", "not linked", NULL};
    const char *kv2[] = {"note", "line\nbreak \"quoted\"", NULL};
    char *text;
    json_t *j;

    assert_int_equal(
        audit_event(a, "check", "50********40", kv, f->err, sizeof(f->err)), 0);
    assert_int_equal(
        audit_event(a, "start", NULL, NULL, f->err, sizeof(f->err)), 0);
    assert_int_equal(
        audit_event(a, "note", "01********02", kv2, f->err, sizeof(f->err)), 0);
    audit_close(a);

    text = slurp(f->file);
    assert_int_equal(count_lines(text), 3);

    j = line_json(text, 0);
    assert_string_equal(str_of(j, "event"), "check");
    assert_string_equal(str_of(j, "inn"), "50********40");
    assert_string_equal(str_of(j, "call"), "npd/check");
    assert_string_equal(str_of(j, "result"), "not linked");
    assert_null(json_object_get(j, "ssh_client"));
    assert_int_equal(json_object_size(j), 6);
    json_decref(j);

    j = line_json(text, 1);
    assert_string_equal(str_of(j, "event"), "start");
    assert_null(json_object_get(j, "inn"));
    assert_int_equal(json_object_size(j), 3);
    json_decref(j);

    j = line_json(text, 2);
    assert_string_equal(str_of(j, "note"), "line\nbreak \"quoted\"");
    json_decref(j);
    free(text);
}

static void test_timestamp_and_agent(void **state)
{
    struct fixture *f = *state;
    struct audit *a = open_ok(f, f->file);
    struct passwd *pw = getpwuid(geteuid());
    struct tm tm = {0};
    const char *ts;
    char *rest;
    char *text;
    json_t *j;
    time_t now = time(NULL);

    assert_int_equal(audit_event(a, "start", NULL, NULL, NULL, 0), 0);
    audit_close(a);
    text = slurp(f->file);
    j = line_json(text, 0);

    ts = str_of(j, "ts");
    assert_int_equal(strlen(ts), 24);
    rest = strptime(ts, "%Y-%m-%dT%H:%M:%S", &tm);
    assert_non_null(rest);
    assert_int_equal(rest[0], '.');
    assert_true(rest[1] >= '0' && rest[1] <= '9');
    assert_true(rest[3] >= '0' && rest[3] <= '9');
    assert_string_equal(rest + 4, "Z");
    assert_in_range(timegm(&tm), now - 5, now + 5);

    assert_non_null(pw);
    assert_string_equal(str_of(j, "agent"), pw->pw_name);

    json_decref(j);
    free(text);
}

static void test_ssh_client(void **state)
{
    struct fixture *f = *state;
    struct audit *a;
    char *text;
    json_t *j;

    setenv("SSH_CLIENT", "192.0.2.7 51234 22", 1);
    a = open_ok(f, f->file);
    unsetenv("SSH_CLIENT");
    assert_int_equal(audit_event(a, "start", NULL, NULL, NULL, 0), 0);
    audit_close(a);

    text = slurp(f->file);
    j = line_json(text, 0);
    assert_string_equal(str_of(j, "ssh_client"), "192.0.2.7");
    json_decref(j);
    free(text);
}

static void test_clear_inn_never_written(void **state)
{
    struct fixture *f = *state;
    struct audit *a = open_ok(f, f->file);
    char *text;
    json_t *j;

    assert_int_equal(audit_event(a, "check", "50********40", NULL, NULL, 0), 0);
    /* A caller that forgets to mask still leaves no clear INN behind. */
    assert_int_equal(audit_event(a, "check", "500000000340", NULL, NULL, 0), 0);
    audit_close(a);

    text = slurp(f->file);
    assert_null(strstr(text, "500000000340"));
    assert_null(strstr(text, "0000000"));
    j = line_json(text, 1);
    assert_string_equal(str_of(j, "inn"), "50********40");
    json_decref(j);
    free(text);
}

/* Values built from what the bank sent (an id, a code) may hold the INN;
 * they are written with it masked, and the other values as given. */
static void test_inn_in_values_masked(void **state)
{
    struct fixture *f = *state;
    struct audit *a = open_ok(f, f->file);
    const char *kv[] = {"request_id", "req-500000000340",
                        "code",       "bad_inn_500000000340",
                        "latency_ms", "1234",
                        NULL};
    char *text;
    json_t *j;

    assert_int_equal(audit_event(a, "api_call", "50********40", kv, NULL, 0),
                     0);
    audit_close(a);

    text = slurp(f->file);
    assert_null(strstr(text, "500000000340"));
    j = line_json(text, 0);
    assert_string_equal(str_of(j, "request_id"), "req-50********40");
    assert_string_equal(str_of(j, "code"), "bad_inn_50********40");
    assert_string_equal(str_of(j, "latency_ms"), "1234");
    json_decref(j);
    free(text);
}

static void test_appends_and_mode(void **state)
{
    struct fixture *f = *state;
    struct stat st;
    struct audit *a;
    char *text;

    for (int i = 0; i < 3; i++) {
        a = open_ok(f, f->file);
        assert_int_equal(audit_event(a, "start", NULL, NULL, NULL, 0), 0);
        assert_int_equal(audit_event(a, "quit", NULL, NULL, NULL, 0), 0);
        audit_close(a);
    }

    text = slurp(f->file);
    assert_int_equal(count_lines(text), 6);
    free(text);
    assert_int_equal(stat(f->file, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
}

static void test_dev_full_fails(void **state)
{
    struct fixture *f = *state;
    struct audit *a = open_ok(f, "/dev/full");

    assert_int_equal(
        audit_event(a, "start", NULL, NULL, f->err, sizeof(f->err)), -1);
    assert_non_null(strstr(f->err, "audit file /dev/full"));
    assert_non_null(strstr(f->err, "No space left on device"));
    audit_close(a);
}

static void test_no_path_records_nothing(void **state)
{
    struct fixture *f = *state;
    struct audit *a = open_ok(f, NULL);

    assert_int_equal(
        audit_event(a, "start", "50********40", NULL, f->err, sizeof(f->err)),
        0);
    audit_close(a);

    a = open_ok(f, "");
    assert_int_equal(audit_event(a, "start", NULL, NULL, NULL, 0), 0);
    audit_close(a);

    assert_int_equal(access(f->file, F_OK), -1);
    assert_int_equal(audit_event(NULL, "start", NULL, NULL, NULL, 0), 0);
    audit_close(NULL);
}

static void test_open_fails_with_reason(void **state)
{
    struct fixture *f = *state;
    char path[192];

    snprintf(path, sizeof(path), "%s/missing/audit.jsonl", f->dir);
    assert_null(audit_open(path, f->err, sizeof(f->err)));
    assert_non_null(strstr(f->err, path));
    assert_non_null(strstr(f->err, "No such file"));
}

static void test_reserved_key_refused(void **state)
{
    struct fixture *f = *state;
    struct audit *a = open_ok(f, f->file);
    const char *kv[] = {"inn", "500000000340", NULL};
    const char *kv2[] = {"ts", "yesterday", NULL};
    char *text;

    assert_int_equal(audit_event(a, "check", NULL, kv, f->err, sizeof(f->err)),
                     -1);
    assert_non_null(strstr(f->err, "reserved"));
    assert_int_equal(audit_event(a, "check", NULL, kv2, f->err, sizeof(f->err)),
                     -1);
    audit_close(a);

    text = slurp(f->file);
    assert_string_equal(text, "");
    free(text);
}

static void test_odd_values(void **state)
{
    struct fixture *f = *state;
    struct audit *a = open_ok(f, f->file);
    const char *kv[] = {"bytes", "ok\xff\xfe", "last", NULL};
    char *text;
    json_t *j;

    assert_int_equal(audit_event(a, "note", NULL, kv, NULL, 0), 0);
    assert_int_equal(audit_event(a, NULL, NULL, NULL, f->err, sizeof(f->err)),
                     -1);
    audit_close(a);

    text = slurp(f->file);
    assert_int_equal(count_lines(text), 1);
    j = line_json(text, 0);
    assert_string_equal(str_of(j, "bytes"), "ok??");
    assert_true(json_is_null(json_object_get(j, "last")));
    json_decref(j);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
        T(test_lines_parse_back),
        T(test_timestamp_and_agent),
        T(test_ssh_client),
        T(test_clear_inn_never_written),
        T(test_inn_in_values_masked),
        T(test_appends_and_mode),
        T(test_dev_full_fails),
        T(test_no_path_records_nothing),
        T(test_open_fails_with_reason),
        T(test_reserved_key_refused),
        T(test_odd_values),
#undef T
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
