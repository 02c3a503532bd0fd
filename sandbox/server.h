/*
 * server: the sandbox's HTTP side, on libmicrohttpd.
 *
 * Listens on 127.0.0.1 only, over HTTP or HTTPS, with one internal
 * polling thread. Collects each request body (at most ROUTE_BODY_MAX
 * bytes), hands it to route, sends the reply and logs one line per
 * request to stderr, with the INN masked.
 */
#ifndef SANDBOX_SERVER_H
#define SANDBOX_SERVER_H

#include <stddef.h>

#include "route.h"

struct server;

/* A certificate chain and its private key, as PEM text, for HTTPS. */
struct server_tls {
    const char *cert_pem;
    const char *key_pem;
};

/* Starts listening; port 0 picks a free one. route is borrowed and must
 * outlive the server. tls NULL serves plain HTTP; otherwise HTTPS with
 * that certificate, whose text must outlive the server too; that fails
 * when libmicrohttpd was built without TLS support. */
struct server *server_start(const struct route *route, int port,
                            const struct server_tls *tls, char *err,
                            size_t errlen);

/* The port actually bound. */
int server_port(const struct server *s);

/* Stops the daemon, waits for its thread, frees everything. */
void server_stop(struct server *s);

#endif
