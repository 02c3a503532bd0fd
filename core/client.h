/*
 * client: turns a call and its body into a signed Bank 131 request.
 *
 * URL = base_url + path of the call; headers Content-Type,
 * X-PARTNER-PROJECT, X-PARTNER-SIGN (over the exact body bytes) and, when
 * given, X-PARTNER-IDEMPOTENCY-KEY. The client holds no state per request;
 * replies come back through net_take() with the tag given here.
 */
#ifndef NPD_CLIENT_H
#define NPD_CLIENT_H

#include "api.h"
#include "net.h"
#include "sign.h"

/* Sent in User-Agent as "npdlink/<version>". */
#define NPD_VERSION "0.1.0"

struct client_config {
    const char *base_url; /* no trailing slash needed */
    const char *project_id;
    struct sign_key *key;              /* borrowed */
    const char *paths[API_CALL_COUNT]; /* "/api/v1/npd/check", ... */
};

struct client;

struct client *client_new(const struct client_config *cfg, struct net *net);

int client_send(struct client *c, enum api_call call, const char *body,
                const char *idempotency_key, unsigned long tag, char *err,
                size_t errlen);

void client_free(struct client *c);

#endif
