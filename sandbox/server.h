/*
 * server: the sandbox's HTTP side, on libmicrohttpd.
 *
 * Listens on 127.0.0.1 only, with one internal polling thread. Collects
 * each request body (at most ROUTE_BODY_MAX bytes), hands it to route,
 * sends the reply and logs one line per request to stderr, with the INN
 * masked.
 */
#ifndef SANDBOX_SERVER_H
#define SANDBOX_SERVER_H

#include <stddef.h>

#include "route.h"

struct server;

/* Starts listening; port 0 picks a free one. route is borrowed and must
 * outlive the server. */
struct server *server_start(const struct route *route, int port, char *err,
                            size_t errlen);

/* The port actually bound. */
int server_port(const struct server *s);

/* Stops the daemon, waits for its thread, frees everything. */
void server_stop(struct server *s);

#endif
