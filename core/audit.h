/*
 * audit: the append-only record of each customer session.
 *
 * One JSON object per line, written whole with one write() and fsync'd, so
 * a crash loses at most the event being written. The INN only ever appears
 * masked. A failed write is reported to the caller, who must show it.
 */
#ifndef NPD_AUDIT_H
#define NPD_AUDIT_H

#include <stddef.h>

struct audit;

/* path NULL or "" gives an audit that records nothing. */
struct audit *audit_open(const char *path, char *err, size_t errlen);

/* Appends {"ts", "agent", "event", "inn", then key/value pairs}: kv is a
 * NULL-terminated list of alternating keys and string values. */
int audit_event(struct audit *a, const char *event, const char *inn_masked,
                const char *const *kv, char *err, size_t errlen);

/* Sends each event to syslog as well (facility authpriv, the same JSON
 * line; "error" events and failed writes at LOG_WARNING). Off after
 * audit_open(). */
void audit_set_syslog(struct audit *a, int on);

void audit_close(struct audit *a);

#endif
