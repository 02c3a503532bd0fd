/*
 * audit: one JSON line per event, appended with a single write() and
 * fsync'd before the caller goes on.
 */
#include "audit.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "api.h"
#include "clock.h"
#include "err.h"
#include "inn.h"

#define AUDIT_NAME_MAX 64

struct audit {
    int fd; /* -1: records nothing */
    char *path;
    char agent[AUDIT_NAME_MAX];
    char ssh_client[AUDIT_NAME_MAX]; /* "" when not over SSH */
    int syslog;                      /* also to syslog */
};

/* Keys every line has; a caller's pair may not replace them. */
static const char *const audit_fixed[] = {"ts", "agent", "ssh_client", "event",
                                          "inn"};

/* The login name of the effective user, or "uid N" without one. */
static void audit_agent(char *out, size_t len)
{
    char buf[4096];
    struct passwd pw;
    struct passwd *found = NULL;
    uid_t uid = geteuid();

    if (getpwuid_r(uid, &pw, buf, sizeof(buf), &found) == 0 && found != NULL)
        snprintf(out, len, "%s", found->pw_name);
    else
        snprintf(out, len, "uid %lu", (unsigned long)uid);
}

/* The client address: the first field of $SSH_CLIENT. */
static void audit_ssh_client(char *out, size_t len)
{
    const char *v = getenv("SSH_CLIENT");
    size_t n;

    out[0] = '\0';
    if (v == NULL)
        return;
    n = strcspn(v, " \t");
    snprintf(out, len, "%.*s", (int)n, v);
}

struct audit *audit_open(const char *path, char *err, size_t errlen)
{
    struct audit *a = calloc(1, sizeof(*a));

    if (a == NULL) {
        err_set(err, errlen, "audit: out of memory");
        return NULL;
    }
    a->fd = -1;
    audit_agent(a->agent, sizeof(a->agent));
    audit_ssh_client(a->ssh_client, sizeof(a->ssh_client));
    if (path == NULL || path[0] == '\0')
        return a;

    a->path = strdup(path);
    a->fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (a->path == NULL || a->fd < 0) {
        err_set(err, errlen, "audit file %s: %s", path,
                a->path == NULL ? "out of memory" : strerror(errno));
        audit_close(a);
        return NULL;
    }
    return a;
}

/* ISO 8601 UTC with milliseconds, e.g. 2024-05-01T09:30:00.123Z. */
static void audit_now(char *out, size_t len)
{
    int64_t now = clock_wall_ms();
    time_t secs = (time_t)(now / 1000);
    struct tm tm;
    size_t n;
    int ms = (int)(now % 1000);

    gmtime_r(&secs, &tm);

    n = strftime(out, len, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + n, len - n, ".%03dZ", ms);
}

/* Every value goes out with its INN-like digit runs masked, whoever
 * built it: an id or a code from the bank may be made of the INN. jansson
 * takes only valid UTF-8; other bytes become '?' rather than losing the
 * whole event. */
static json_t *audit_string(const char *s)
{
    char *copy = strdup(s);
    json_t *j;

    if (copy == NULL)
        return NULL;
    inn_mask_runs(copy);
    j = json_string(copy);
    if (j == NULL) {
        for (char *p = copy; *p != '\0'; p++)
            if ((unsigned char)*p >= 0x80)
                *p = '?';
        j = json_string(copy);
    }
    free(copy);
    return j;
}

static int audit_put(json_t *obj, const char *key, const char *value)
{
    json_t *v = value == NULL ? json_null() : audit_string(value);

    return v == NULL ? -1 : json_object_set_new(obj, key, v);
}

static int audit_is_fixed(const char *key)
{
    for (size_t i = 0; i < sizeof(audit_fixed) / sizeof(audit_fixed[0]); i++)
        if (strcmp(key, audit_fixed[i]) == 0)
            return 1;
    return 0;
}

/* The caller's pairs; a NULL value ends the list after recording null. */
static int audit_put_pairs(json_t *obj, const char *const *kv, char *err,
                           size_t errlen)
{
    for (size_t i = 0; kv != NULL && kv[i] != NULL; i += 2) {
        if (audit_is_fixed(kv[i])) {
            err_set(err, errlen, "audit: key \"%s\" is reserved", kv[i]);
            return -1;
        }
        if (audit_put(obj, kv[i], kv[i + 1]) != 0) {
            err_set(err, errlen, "audit: out of memory");
            return -1;
        }
        if (kv[i + 1] == NULL)
            break;
    }
    return 0;
}

/* The fixed fields. The INN goes through inn_mask() once more, which
 * leaves a masked INN as it is and masks one passed in clear. */
static json_t *audit_build(const struct audit *a, const char *event,
                           const char *inn_masked, const char *const *kv,
                           char *err, size_t errlen)
{
    char ts[40];
    char inn[INN_LEN + 1];
    json_t *obj = json_object();
    int bad;

    if (obj == NULL) {
        err_set(err, errlen, "audit: out of memory");
        return NULL;
    }
    audit_now(ts, sizeof(ts));

    bad = audit_put(obj, "ts", ts) || audit_put(obj, "agent", a->agent);
    if (!bad && a->ssh_client[0] != '\0')
        bad = audit_put(obj, "ssh_client", a->ssh_client);
    if (!bad)
        bad = audit_put(obj, "event", event);
    if (!bad && inn_masked != NULL) {
        inn_mask(inn_masked, inn);
        bad = audit_put(obj, "inn", inn);
    }
    if (bad)
        err_set(err, errlen, "audit: out of memory");

    if (bad || audit_put_pairs(obj, kv, err, errlen) != 0) {
        json_decref(obj);
        return NULL;
    }
    return obj;
}

/* Loops only when the kernel takes part of the line, which a regular
 * file does only when it is about to fail. */
static int audit_write_all(int fd, const char *buf, size_t len)
{
    size_t off = 0;

    while (off < len) {
        ssize_t n = write(fd, buf + off, len - off);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0)
                errno = EIO;
            return -1;
        }
        off += (size_t)n;
    }
    return 0;
}

/* Devices such as /dev/null cannot be synced, and need not be. */
static int audit_sync(int fd)
{
    if (fsync(fd) == 0 || errno == EINVAL || errno == EROFS)
        return 0;
    return -1;
}

/* The event as one compact line with its newline, malloc'd, so a single
 * write() appends it whole. */
static char *audit_line(json_t *obj, size_t *lenp)
{
    size_t len = 0;
    char *text = api_dump(obj, &len);
    char *buf = text != NULL ? realloc(text, len + 2) : NULL;

    if (buf == NULL) {
        free(text);
        return NULL;
    }
    buf[len] = '\n';
    buf[len + 1] = '\0';
    *lenp = len + 1;
    return buf;
}

/* Errors stand out at LOG_WARNING; everything else is LOG_INFO. */
static int audit_priority(const char *event)
{
    size_t n = strlen(event);

    if (strcmp(event, "error") == 0 ||
        (n > 6 && strcmp(event + n - 6, "_error") == 0))
        return LOG_WARNING;
    return LOG_INFO;
}

static int audit_append(const struct audit *a, const char *event, json_t *obj,
                        char *err, size_t errlen)
{
    size_t len = 0;
    char *buf = audit_line(obj, &len);
    int ok;

    if (buf == NULL) {
        err_set(err, errlen, "audit: out of memory");
        return -1;
    }
    if (a->syslog)
        syslog(audit_priority(event), "%.*s", (int)(len - 1), buf);

    ok = a->fd < 0 ||
         (audit_write_all(a->fd, buf, len) == 0 && audit_sync(a->fd) == 0);
    if (!ok) {
        const char *why = strerror(errno);

        err_set(err, errlen, "audit file %s: %s", a->path, why);
        if (a->syslog)
            syslog(LOG_WARNING, "audit file %s not written: %s", a->path, why);
    }
    free(buf);
    return ok ? 0 : -1;
}

/* A NULL audit, like one opened without a path, records nothing. */
int audit_event(struct audit *a, const char *event, const char *inn_masked,
                const char *const *kv, char *err, size_t errlen)
{
    json_t *obj;
    int rc;

    if (a == NULL || (a->fd < 0 && !a->syslog))
        return 0;
    if (event == NULL) {
        err_set(err, errlen, "audit: event has no name");
        return -1;
    }

    obj = audit_build(a, event, inn_masked, kv, err, errlen);
    if (obj == NULL)
        return -1;
    rc = audit_append(a, event, obj, err, errlen);
    json_decref(obj);
    return rc;
}

/* authpriv, not user: the lines name the agent and whose data was looked
 * at, and systems route authpriv to files only administrators read. */
void audit_set_syslog(struct audit *a, int on)
{
    if (a == NULL || a->syslog == !!on)
        return;
    a->syslog = !!on;
    if (on)
        openlog("npdlink", LOG_PID, LOG_AUTHPRIV);
    else
        closelog();
}

void audit_close(struct audit *a)
{
    if (a == NULL)
        return;
    if (a->syslog)
        closelog();
    if (a->fd >= 0)
        close(a->fd);
    free(a->path);
    free(a);
}
