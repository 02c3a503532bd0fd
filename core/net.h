/*
 * net: HTTP POSTs on the libcurl multi interface, one thread.
 *
 * The owner of the main loop calls net_wait() with its own descriptors
 * (the keyboard, the signal pipe) so keys and transfers share one poll,
 * then net_run() and net_take() until it returns 0. TLS verification is
 * always on; connect and total timeouts are always set.
 */
#ifndef NPD_NET_H
#define NPD_NET_H

#include <poll.h>
#include <stddef.h>

struct net_opts {
    const char *ca_file;     /* NULL: the system store */
    long connect_timeout_ms; /* > 0 */
    long total_timeout_ms;   /* > 0 */
};

struct net_done {
    unsigned long tag;   /* as given to net_post */
    int transport_error; /* the CURLcode, 0 when an HTTP answer came */
    int timed_out;
    int tls_refused; /* the server's certificate did not verify */
    int too_big;     /* the reply passed 1 MiB and was cut off */
    char error[256]; /* libcurl's words when transport_error */
    long status;
    char *content_type; /* malloc'd or NULL */
    char *body;         /* malloc'd, NUL-terminated, or NULL */
    size_t len;
    long retry_after_s; /* Retry-After, -1 when absent, 0 or past */
    long elapsed_ms;
};

struct net;

struct net *net_new(const struct net_opts *opts, char *err, size_t errlen);

/* Starts a POST; headers is a NULL-terminated list of "Name: value".
 * The body is copied. 0 on success. */
int net_post(struct net *n, const char *url, const char *const *headers,
             const char *body, size_t len, unsigned long tag);

/* Sleeps until a transfer or one of the extra descriptors needs attention,
 * or timeout_ms passes; fills extra[i].revents. -1 on a libcurl error. */
int net_wait(struct net *n, struct pollfd *extra, unsigned nextra,
             int timeout_ms);

/* Moves transfers along; returns how many are still running, or -1 when
 * libcurl's multi interface fails (the transfers stay in flight). */
int net_run(struct net *n);

/* 1 and fills *out when a transfer has finished, else 0. */
int net_take(struct net *n, struct net_done *out);

void net_done_free(struct net_done *d);

/* Drops every transfer in flight without delivering it. */
void net_cancel_all(struct net *n);

int net_in_flight(const struct net *n);

void net_free(struct net *n);

#endif
