/*
 * route: one HTTP request in, one JSON reply out, by the wire contract.
 *
 * Checks the partner headers and the signature over the exact body bytes,
 * reads the body with jansson, asks the world and writes the reply. No
 * sockets here: the server hands in what it received and sends what comes
 * back, so the rules read in one place.
 */
#ifndef SANDBOX_ROUTE_H
#define SANDBOX_ROUTE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "inn.h"
#include "sign.h"
#include "world.h"

/* Bodies longer than this are refused with 413 before they are read. */
#define ROUTE_BODY_MAX (64 * 1024)

struct fault_table;

struct route {
    struct world *world;
    struct fault_table *faults; /* set by /sandbox/fault and --fault */
    struct sign_key *pub;       /* verifies X-PARTNER-SIGN */
    const char *project;        /* the expected X-PARTNER-PROJECT */
};

/* What came in; any header may be NULL when absent. */
struct route_in {
    const char *method;
    const char *path;
    const char *project;
    const char *sign;
    const char *idempotency_key;
    const char *content_type;
    const char *body; /* may be NULL when len is 0 */
    size_t len;
    int64_t now_ms;
};

struct route_out {
    unsigned status;
    char *body;               /* malloc'd JSON; NULL only when out of memory */
    long retry_after_s;       /* -1: no Retry-After header */
    const char *content_type; /* static; NULL for application/json */
    char inn_masked[INN_LEN + 1]; /* "" when the body named no INN */
    int known_path;               /* the path is one the sandbox serves */
};

/* Answers one request. Never fails: trouble becomes an error reply. */
void route_handle(const struct route *r, const struct route_in *in,
                  struct route_out *out);

/* The reply to a body over ROUTE_BODY_MAX sent to path. */
void route_too_large(const char *path, struct route_out *out);

/* Sets out's body to obj as compact JSON (obj is stolen; NULL, or no
 * memory to write it, gives an empty 500) and its status. */
void route_reply(struct route_out *out, unsigned status, json_t *obj);

void route_out_free(struct route_out *out);

/* Counts a request to path as route_handle() would, for a request a
 * fault answers in its place. */
void route_count(const struct route *r, const char *path);

#endif
