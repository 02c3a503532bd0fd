/*
 * auditsum: reads audit lines back and counts one local day's events.
 *
 * Timestamps are written in UTC; the day asked for is a local one, so
 * each ts is turned back into a time and then into local time.
 */
#include "auditsum.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "clock.h"
#include "err.h"

#define AUDITSUM_DATE_LEN 10 /* YYYY-MM-DD */

/* "2024-05-01T09:30:00.123Z" to that day in local time; -1 if not so. */
static int auditsum_local_day(const char *ts, char *out, size_t len)
{
    struct tm tm;
    time_t t;
    char *rest;

    memset(&tm, 0, sizeof(tm));
    rest = strptime(ts, "%Y-%m-%dT%H:%M:%S", &tm);
    if (rest == NULL || strchr(rest, 'Z') == NULL)
        return -1;
    t = timegm(&tm);
    if (localtime_r(&t, &tm) == NULL)
        return -1;
    return strftime(out, len, "%Y-%m-%d", &tm) == AUDITSUM_DATE_LEN ? 0 : -1;
}

static const char *auditsum_str(json_t *obj, const char *key)
{
    const char *v = json_string_value(json_object_get(obj, key));

    return v ? v : "";
}

static void auditsum_error(struct auditsum *s, const char *fault)
{
    if (strcmp(fault, "network") == 0)
        s->errors_network++;
    else if (strcmp(fault, "bank") == 0)
        s->errors_bank++;
    else if (strcmp(fault, "tax_service") == 0)
        s->errors_tax_service++;
    else if (strcmp(fault, "config") == 0)
        s->errors_config++;
    else
        s->errors_other++;
}

static void auditsum_verdict(struct auditsum *s, const char *verdict)
{
    if (strcmp(verdict, "already_linked") == 0)
        s->already_linked++;
    else if (strcmp(verdict, "not_self_employed") == 0)
        s->not_self_employed++;
}

static void auditsum_event(struct auditsum *s, json_t *obj, const char *event)
{
    if (strcmp(event, "session_end") == 0)
        s->sessions++;
    else if (strcmp(event, "api_call") == 0 &&
             strcmp(auditsum_str(obj, "call"), "npd/check") == 0)
        s->checks++;
    else if (strcmp(event, "verdict") == 0)
        auditsum_verdict(s, auditsum_str(obj, "verdict"));
    else if (strcmp(event, "linked") == 0)
        s->linked++;
    else if (strcmp(event, "declined") == 0)
        s->declined++;
    else if (strcmp(event, "link_filed") == 0)
        s->link_requests++;
    else if (strcmp(event, "error") == 0)
        auditsum_error(s, auditsum_str(obj, "fault"));
}

void auditsum_line(struct auditsum *s, const char *line, const char *date)
{
    json_t *obj = json_loads(line, JSON_REJECT_DUPLICATES, NULL);
    const char *event = json_string_value(json_object_get(obj, "event"));
    const char *ts = json_string_value(json_object_get(obj, "ts"));
    char day[32];

    s->lines++;
    if (!json_is_object(obj) || event == NULL || ts == NULL ||
        auditsum_local_day(ts, day, sizeof(day)) < 0)
        s->malformed++;
    else if (strcmp(day, date) == 0)
        auditsum_event(s, obj, event);
    json_decref(obj);
}

static int auditsum_date_ok(const char *date)
{
    struct tm tm;
    const char *rest;

    memset(&tm, 0, sizeof(tm));
    if (date == NULL || strlen(date) != AUDITSUM_DATE_LEN)
        return 0;
    rest = strptime(date, "%Y-%m-%d", &tm);
    return rest != NULL && *rest == '\0';
}

int auditsum_file(const char *path, const char *date, struct auditsum *out,
                  char *err, size_t errlen)
{
    FILE *fp;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;

    memset(out, 0, sizeof(*out));
    if (!auditsum_date_ok(date)) {
        err_set(err, errlen, "date must be YYYY-MM-DD");
        return -1;
    }
    fp = fopen(path, "re");
    if (fp == NULL) {
        err_set(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }

    while ((n = getline(&line, &cap, fp)) >= 0) {
        if (n > 0 && line[n - 1] == '\n')
            line[n - 1] = '\0';
        auditsum_line(out, line, date);
    }
    free(line);

    if (ferror(fp)) {
        err_set(err, errlen, "%s: read error", path);
        fclose(fp);
        return -1;
    }
    fclose(fp);
    return 0;
}

void auditsum_today(char *out, size_t len)
{
    time_t t = (time_t)(clock_wall_ms() / 1000);
    struct tm tm;

    localtime_r(&t, &tm);
    strftime(out, len, "%Y-%m-%d", &tm);
}
