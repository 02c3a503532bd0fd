/*
 * Unit tests for core/auditsum.c: a crafted audit file gives exact
 * totals for one local day; other days and broken lines are not counted
 * as events, and broken lines are counted as malformed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "auditsum.h"

#define DAY "2024-05-01"
#define EV(ts, rest) "{\"ts\":\"" ts "\",\"agent\":\"a\",\"event\":" rest "}"

static const char *const crafted_lines[] = {
    EV("2024-05-01T09:00:00.000Z", "\"api_call\",\"call\":\"npd/check\""),
    EV("2024-05-01T09:00:01.000Z", "\"verdict\",\"verdict\":\"not_linked\""),
    EV("2024-05-01T09:00:02.000Z", "\"api_call\",\"call\":\"token\""),
    EV("2024-05-01T09:00:03.000Z", "\"link_filed\""),
    EV("2024-05-01T09:01:00.000Z", "\"api_call\",\"call\":\"npd/check\""),
    EV("2024-05-01T09:01:01.000Z", "\"linked\""),
    EV("2024-05-01T09:02:00.000Z", "\"session_end\",\"reason\":\"linked\""),
    EV("2024-05-01T10:00:00.000Z",
       "\"verdict\",\"verdict\":\"already_linked\""),
    EV("2024-05-01T10:00:01.000Z",
       "\"session_end\",\"reason\":\"already_linked\""),
    EV("2024-05-01T11:00:00.000Z",
       "\"verdict\",\"verdict\":\"not_self_employed\""),
    EV("2024-05-01T11:00:01.000Z", "\"declined\""),
    EV("2024-05-01T11:00:02.000Z", "\"error\",\"fault\":\"network\""),
    EV("2024-05-01T11:00:03.000Z", "\"error\",\"fault\":\"bank\""),
    EV("2024-05-01T11:00:04.000Z", "\"error\",\"fault\":\"bank\""),
    EV("2024-05-01T11:00:05.000Z", "\"error\",\"fault\":\"tax_service\""),
    EV("2024-05-01T11:00:06.000Z", "\"error\",\"fault\":\"config\""),
    EV("2024-05-01T11:00:07.000Z", "\"session_end\",\"reason\":\"quit\""),
    /* other days: before and after */
    EV("2024-04-30T23:59:59.999Z", "\"api_call\",\"call\":\"npd/check\""),
    EV("2024-05-02T00:00:00.000Z", "\"linked\""),
    /* broken lines; the last has no newline, as after a crash */
    "not json",
    "{\"event\":\"linked\"}",
    "{\"ts\":\"yesterday\",\"event\":\"linked\"}",
    "[1,2]",
    "{\"ts\":\"2024-05-01T12:00:00.000Z\",\"event\":\"lin",
};

#define NLINES (sizeof(crafted_lines) / sizeof(crafted_lines[0]))

struct fixture {
    char path[64];
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    FILE *fp;
    int fd;

    if (f == NULL)
        return -1;
    snprintf(f->path, sizeof(f->path), "/tmp/npd-auditsum-XXXXXX");
    fd = mkstemp(f->path);
    fp = fd < 0 ? NULL : fdopen(fd, "w");
    if (fp == NULL)
        return -1;
    for (size_t i = 0; i < NLINES; i++)
        fprintf(fp, i + 1 < NLINES ? "%s\n" : "%s", crafted_lines[i]);
    if (fclose(fp) != 0)
        return -1;
    setenv("TZ", "UTC", 1);
    tzset();
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;

    unlink(f->path);
    free(f);
    return 0;
}

static void test_day_totals(void **state)
{
    struct fixture *f = *state;
    struct auditsum s;
    char err[256] = "";

    assert_int_equal(auditsum_file(f->path, DAY, &s, err, sizeof(err)), 0);
    assert_int_equal(s.lines, 24);
    assert_int_equal(s.malformed, 5);
    assert_int_equal(s.sessions, 3);
    assert_int_equal(s.checks, 2);
    assert_int_equal(s.linked, 1);
    assert_int_equal(s.already_linked, 1);
    assert_int_equal(s.not_self_employed, 1);
    assert_int_equal(s.declined, 1);
    assert_int_equal(s.link_requests, 1);
    assert_int_equal(s.errors_network, 1);
    assert_int_equal(s.errors_bank, 2);
    assert_int_equal(s.errors_tax_service, 1);
    assert_int_equal(s.errors_config, 1);
    assert_int_equal(s.errors_other, 0);
}

/* The day is a local one: in Moscow (UTC+3) the line written at 23:59
 * UTC on 30 April belongs to 1 May; the one from midnight UTC on 2 May
 * still belongs to 2 May. */
static void test_local_day(void **state)
{
    struct fixture *f = *state;
    struct auditsum s;

    setenv("TZ", "Europe/Moscow", 1);
    tzset();
    assert_int_equal(auditsum_file(f->path, DAY, &s, NULL, 0), 0);
    assert_int_equal(s.checks, 3);
    assert_int_equal(s.linked, 1);

    assert_int_equal(auditsum_file(f->path, "2024-04-30", &s, NULL, 0), 0);
    assert_int_equal(s.checks, 0);
    assert_int_equal(s.malformed, 5);
    setenv("TZ", "UTC", 1);
    tzset();
}

static void test_bad_date_and_file(void **state)
{
    struct fixture *f = *state;
    struct auditsum s;
    char err[256] = "";

    assert_int_equal(auditsum_file(f->path, "2024-5-1", &s, err, sizeof(err)),
                     -1);
    assert_non_null(strstr(err, "YYYY-MM-DD"));
    assert_int_equal(auditsum_file(f->path, "2024-13-01", &s, err, sizeof(err)),
                     -1);
    assert_int_equal(
        auditsum_file("/nonexistent/audit.jsonl", DAY, &s, err, sizeof(err)),
        -1);
    assert_non_null(strstr(err, "No such file"));
}

static void test_today_format(void **state)
{
    char today[16];
    struct auditsum s;

    (void)state;
    auditsum_today(today, sizeof(today));
    assert_int_equal(strlen(today), 10);
    memset(&s, 0, sizeof(s));
    auditsum_line(
        &s, "{\"ts\":\"2024-05-01T09:00:00Z\",\"event\":\"declined\"}", DAY);
    assert_int_equal(s.declined, 1);
    assert_int_equal(s.malformed, 0);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_day_totals),
        T(test_local_day),
        T(test_bad_date_and_file),
        T(test_today_format),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
