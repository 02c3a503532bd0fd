/*
 * fault: the failures the sandbox can play on each bank call.
 *
 * A table holds one rule per call (check, status, token, link,
 * link_status): which fault, its argument, and for how many more requests
 * it holds. It also keeps the arrival times of the last requests on each
 * call, so tests can see how far apart the client spaced them. Nothing
 * here knows HTTP: the server asks for the rule of each request and the
 * reply a fault stands for. Every function on a table takes its lock.
 */
#ifndef SANDBOX_FAULT_H
#define SANDBOX_FAULT_H

#include <stddef.h>
#include <stdint.h>

#include "route.h"

#define FAULT_CODE_MAX 64
#define FAULT_TIMES 64 /* arrival times kept per call */

enum fault_endpoint {
    FAULT_EP_CHECK,
    FAULT_EP_STATUS,
    FAULT_EP_TOKEN,
    FAULT_EP_LINK,
    FAULT_EP_LINK_STATUS,
    FAULT_EP_COUNT
};

enum fault_kind {
    FAULT_NONE,
    FAULT_DELAY, /* ms, then the normal answer */
    FAULT_HANG,  /* never answer; the connection stays open */
    FAULT_RESET, /* part of a body, then the connection drops */
    FAULT_HTTP429,
    FAULT_HTTP500,
    FAULT_HTTP502,
    FAULT_HTTP503,
    FAULT_EMPTY200,
    FAULT_BADJSON,
    FAULT_WRONGTYPES,
    FAULT_MISSING,
    FAULT_NULLS,
    FAULT_HUGENUM,
    FAULT_LONGSTR,
    FAULT_CTRLBYTES,
    FAULT_BADUTF8,
    FAULT_OVERSIZE, /* a valid answer padded past the client's 1 MiB cap */
    FAULT_ERROR,    /* a Bank 131 error code */
};

struct fault_rule {
    enum fault_kind kind;
    long ms;            /* FAULT_DELAY */
    long retry_after_s; /* FAULT_HTTP429 */
    long count;         /* requests left; -1 for every request */
    char code[FAULT_CODE_MAX];
};

struct fault_table;

struct fault_table *fault_table_new(void);
void fault_table_free(struct fault_table *t);

/* "check" and so on; -1 for an unknown name. */
int fault_endpoint_by_name(const char *name);

/* The call served at a bank path; -1 for any other path. */
int fault_endpoint_by_path(const char *path);

const char *fault_endpoint_name(int ep);

/* Reads "NAME" or "NAME:ARG" (delay:MS, http429:S, error:CODE) into a
 * rule for every request; -1 with a reason. */
int fault_parse(const char *spec, struct fault_rule *out, char *err,
                size_t errlen);

/* Reads "ENDPOINT=NAME[:ARG]", the --fault option. */
int fault_parse_option(const char *text, int *ep, struct fault_rule *out,
                       char *err, size_t errlen);

void fault_set(struct fault_table *t, int ep, const struct fault_rule *rule);

/* The rule for one request arriving at now_ms on ep, counted down; also
 * notes the arrival time. */
void fault_take(struct fault_table *t, int ep, int64_t now_ms,
                struct fault_rule *out);

/* Arrival times on ep, oldest first; returns how many (<= FAULT_TIMES). */
size_t fault_times(struct fault_table *t, int ep, int64_t out[FAULT_TIMES]);

/* 1 when the fault answers in place of the bank. */
int fault_replaces(enum fault_kind kind);

/* The reply that stands for rule on ep (for the kinds fault_replaces()
 * names, reset aside). */
void fault_reply(const struct fault_rule *rule, int ep, struct route_out *out);

#endif
