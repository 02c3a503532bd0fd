/*
 * server: libmicrohttpd glue: bodies in, replies out, one log line each.
 */
#include "server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <microhttpd.h>

#include "clock.h"
#include "fault.h"

#define SERVER_MAX_CONNECTIONS 64
#define SERVER_CONN_MEMORY (32 * 1024) /* headers and read buffer */
#define SERVER_IDLE_S 30
#define SERVER_LOG_PATH 96 /* longest path written to the log */
#define SERVER_SLICE_MS 50 /* how often a held request looks at stop */
#define SERVER_HANG_MS (10 * 60 * 1000) /* a hang gives up after this */
#define SERVER_RESET_SIZE 4096          /* declared length of a reset body */

struct server {
    struct MHD_Daemon *daemon;
    const struct route *route;
    int port;
    atomic_int stopping; /* held requests let go when set */
};

/* One request's body as it arrives. */
struct server_upload {
    char *buf;
    size_t len;
    int too_big;
};

/* Sent when even the error reply could not be made. */
static const char server_no_memory[] =
    "{\"status\":\"error\",\"error\":{\"code\":\"internal_error\","
    "\"description\":\"the sandbox is out of memory\"}}";

/* The path as logged: control bytes become '?' and, outside the known
 * paths, digits become '*' so that an INN put in a URL stays unreadable. */
static void server_log_path(const char *url, int known, char *out, size_t n)
{
    size_t i;

    for (i = 0; url[i] != '\0' && i + 1 < n; i++) {
        unsigned char c = (unsigned char)url[i];

        if (c < 0x20 || c == 0x7f)
            c = '?';
        else if (!known && c >= '0' && c <= '9')
            c = '*';
        out[i] = (char)c;
    }
    out[i] = '\0';
}

static void server_log(const char *method, const char *url,
                       const struct route_out *out)
{
    char path[SERVER_LOG_PATH];
    char when[32];
    struct timespec ts;
    struct tm tm;

    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
    server_log_path(url, out->known_path, path, sizeof path);

    fprintf(stderr, "%s.%03ldZ %.16s %s %u%s%s\n", when, ts.tv_nsec / 1000000,
            method, path, out->status, out->inn_masked[0] ? " inn=" : "",
            out->inn_masked);
}

static const char *server_header(struct MHD_Connection *conn, const char *name)
{
    return MHD_lookup_connection_value(conn, MHD_HEADER_KIND, name);
}

/* Queues out's reply and logs the request; takes out's body. */
static enum MHD_Result server_send(struct MHD_Connection *conn,
                                   const char *method, const char *url,
                                   struct route_out *out)
{
    struct MHD_Response *resp;
    enum MHD_Result ret;
    char retry[24];

    if (out->body != NULL) {
        resp = MHD_create_response_from_buffer(strlen(out->body), out->body,
                                               MHD_RESPMEM_MUST_FREE);
        if (resp != NULL)
            out->body = NULL;
    } else {
        out->status = 500;
        resp = MHD_create_response_from_buffer(sizeof server_no_memory - 1,
                                               (void *)server_no_memory,
                                               MHD_RESPMEM_PERSISTENT);
    }
    route_out_free(out);
    if (resp == NULL)
        return MHD_NO;

    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                            out->content_type != NULL ? out->content_type
                                                      : "application/json");
    if (out->retry_after_s >= 0) {
        snprintf(retry, sizeof retry, "%ld", out->retry_after_s);
        MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, retry);
    }
    ret = MHD_queue_response(conn, out->status, resp);
    MHD_destroy_response(resp);

    server_log(method, url, out);
    return ret;
}

static enum MHD_Result server_too_large(struct MHD_Connection *conn,
                                        const char *method, const char *url)
{
    struct route_out out;

    route_too_large(url, &out);
    return server_send(conn, method, url, &out);
}

/* Content-Length says the body will not fit: refuse before reading. */
static int server_declared_too_big(struct MHD_Connection *conn)
{
    const char *v = server_header(conn, MHD_HTTP_HEADER_CONTENT_LENGTH);
    unsigned long long n;
    char *end;

    if (v == NULL)
        return 0;
    errno = 0;
    n = strtoull(v, &end, 10);
    return errno != 0 || n > ROUTE_BODY_MAX;
}

/* Appends a piece of the body; past the limit the rest is dropped and
 * the request is answered 413 once it is all in. */
static int server_take(struct server_upload *up, const char *data, size_t n)
{
    char *p;

    if (up->too_big)
        return 0;
    if (n > ROUTE_BODY_MAX - up->len) {
        up->too_big = 1;
        return 0;
    }

    p = realloc(up->buf, up->len + n + 1);
    if (p == NULL)
        return -1;
    memcpy(p + up->len, data, n);
    up->buf = p;
    up->len += n;
    up->buf[up->len] = '\0';
    return 0;
}

static enum MHD_Result server_route(struct server *s,
                                    struct MHD_Connection *conn,
                                    const char *method, const char *url,
                                    const struct server_upload *up)
{
    struct route_in in = {
        .method = method,
        .path = url,
        .project = server_header(conn, "X-PARTNER-PROJECT"),
        .sign = server_header(conn, "X-PARTNER-SIGN"),
        .idempotency_key = server_header(conn, "X-PARTNER-IDEMPOTENCY-KEY"),
        .content_type = server_header(conn, MHD_HTTP_HEADER_CONTENT_TYPE),
        .body = up->buf,
        .len = up->len,
        .now_ms = clock_mono_ms(),
    };
    struct route_out out;

    route_handle(s->route, &in, &out);
    return server_send(conn, method, url, &out);
}

/* Waits up to ms, or until the server stops or the client hangs up; 1
 * when the client is gone. Each connection has its own thread, so only
 * this request waits. */
static int server_hold(struct server *s, struct MHD_Connection *conn,
                       int64_t ms)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    int64_t end = clock_mono_ms() + ms;
    struct pollfd p = {.fd = ci != NULL ? ci->connect_fd : -1,
                       .events = POLLRDHUP};

    while (!atomic_load(&s->stopping)) {
        int64_t left = end - clock_mono_ms();

        if (left <= 0)
            return 0;
        p.revents = 0;
        if (poll(&p, 1,
                 (int)(left < SERVER_SLICE_MS ? left : SERVER_SLICE_MS)) > 0 &&
            (p.revents & (POLLRDHUP | POLLHUP | POLLERR)))
            return 1;
    }
    return 1;
}

static void server_log_fault(const char *method, const char *url,
                             const char *what)
{
    char path[SERVER_LOG_PATH];

    server_log_path(url, 1, path, sizeof path);
    fprintf(stderr, "%.16s %s: fault %s\n", method, path, what);
}

/* The first bytes of a body, then an error that drops the connection. */
static ssize_t server_reset_reader(void *cls, uint64_t pos, char *buf,
                                   size_t max)
{
    static const char part[] = "{\"status\":\"ok\",\"request_id\":\"";
    size_t n = sizeof part - 1;

    (void)cls;
    if (pos > 0)
        return MHD_CONTENT_READER_END_WITH_ERROR;
    if (n > max)
        n = max;
    memcpy(buf, part, n);
    return (ssize_t)n;
}

static enum MHD_Result server_reset(struct MHD_Connection *conn)
{
    struct MHD_Response *resp = MHD_create_response_from_callback(
        SERVER_RESET_SIZE, 256, server_reset_reader, NULL, NULL);
    enum MHD_Result ret;

    if (resp == NULL)
        return MHD_NO;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                            "application/json");
    ret = MHD_queue_response(conn, 200, resp);
    MHD_destroy_response(resp);
    return ret;
}

/* A fault plays the bank; the request still counts as received. */
static enum MHD_Result server_fault(struct server *s,
                                    struct MHD_Connection *conn,
                                    const char *method, const char *url,
                                    const struct fault_rule *rule, int ep)
{
    struct route_out out;

    route_count(s->route, url);
    if (rule->kind == FAULT_HANG) {
        server_log_fault(method, url, "hang");
        server_hold(s, conn, SERVER_HANG_MS);
        return MHD_NO;
    }
    if (rule->kind == FAULT_RESET) {
        server_log_fault(method, url, "reset");
        return server_reset(conn);
    }

    memset(&out, 0, sizeof out);
    out.retry_after_s = -1;
    out.known_path = 1;
    fault_reply(rule, ep, &out);
    return server_send(conn, method, url, &out);
}

static enum MHD_Result server_answer(struct server *s,
                                     struct MHD_Connection *conn,
                                     const char *method, const char *url,
                                     const struct server_upload *up)
{
    int ep = fault_endpoint_by_path(url);
    struct fault_rule rule = {.kind = FAULT_NONE};

    if (ep >= 0 && s->route->faults != NULL)
        fault_take(s->route->faults, ep, clock_mono_ms(), &rule);
    if (rule.kind == FAULT_DELAY && server_hold(s, conn, rule.ms))
        return MHD_NO;
    if (fault_replaces(rule.kind))
        return server_fault(s, conn, method, url, &rule, ep);
    return server_route(s, conn, method, url, up);
}

static enum MHD_Result server_access(void *cls, struct MHD_Connection *conn,
                                     const char *url, const char *method,
                                     const char *version,
                                     const char *upload_data,
                                     size_t *upload_data_size, void **con_cls)
{
    struct server_upload *up = *con_cls;

    (void)version;
    if (up == NULL) {
        up = calloc(1, sizeof *up);
        if (up == NULL)
            return MHD_NO;
        *con_cls = up;
        if (server_declared_too_big(conn))
            return server_too_large(conn, method, url);
        return MHD_YES;
    }

    if (*upload_data_size > 0) {
        if (server_take(up, upload_data, *upload_data_size) != 0)
            return MHD_NO;
        *upload_data_size = 0;
        return MHD_YES;
    }

    if (up->too_big)
        return server_too_large(conn, method, url);
    return server_answer(cls, conn, method, url, up);
}

static void server_completed(void *cls, struct MHD_Connection *conn,
                             void **con_cls,
                             enum MHD_RequestTerminationCode code)
{
    struct server_upload *up = *con_cls;

    (void)cls;
    (void)conn;
    (void)code;
    if (up != NULL) {
        free(up->buf);
        free(up);
        *con_cls = NULL;
    }
}

static struct MHD_Daemon *server_listen(struct server *s, int port,
                                        const struct server_tls *tls)
{
    struct MHD_OptionItem with_tls[] = {
        {MHD_OPTION_HTTPS_MEM_CERT, 0, (void *)(tls ? tls->cert_pem : NULL)},
        {MHD_OPTION_HTTPS_MEM_KEY, 0, (void *)(tls ? tls->key_pem : NULL)},
        {MHD_OPTION_END, 0, NULL},
    };
    struct MHD_OptionItem without_tls[] = {{MHD_OPTION_END, 0, NULL}};
    struct sockaddr_in sin;

    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_port = htons((uint16_t)port);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

    return MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
            MHD_USE_ERROR_LOG | (tls != NULL ? MHD_USE_TLS : 0),
        (uint16_t)port, NULL, NULL, server_access, s, MHD_OPTION_ARRAY,
        tls != NULL ? with_tls : without_tls, MHD_OPTION_SOCK_ADDR, &sin,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)SERVER_MAX_CONNECTIONS,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)SERVER_CONN_MEMORY,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)SERVER_IDLE_S,
        MHD_OPTION_NOTIFY_COMPLETED, server_completed, s, MHD_OPTION_END);
}

struct server *server_start(const struct route *route, int port,
                            const struct server_tls *tls, char *err,
                            size_t errlen)
{
    struct server *s;
    const union MHD_DaemonInfo *info;

    if (tls != NULL && MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
        snprintf(err, errlen,
                 "this libmicrohttpd was built without TLS support, so "
                 "--tls-cert cannot be served");
        return NULL;
    }

    s = calloc(1, sizeof *s);
    if (s == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    s->route = route;

    errno = 0;
    s->daemon = server_listen(s, port, tls);
    if (s->daemon == NULL) {
        snprintf(err, errlen, "cannot listen on 127.0.0.1:%d: %s%s", port,
                 errno ? strerror(errno) : "libmicrohttpd refused to start",
                 tls != NULL ? " (or the TLS key does not fit the certificate)"
                             : "");
        free(s);
        return NULL;
    }

    info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info != NULL ? info->port : 0;
    if (s->port <= 0) {
        snprintf(err, errlen, "cannot tell which port was bound");
        server_stop(s);
        return NULL;
    }
    return s;
}

int server_port(const struct server *s)
{
    return s->port;
}

void server_stop(struct server *s)
{
    if (s == NULL)
        return;
    atomic_store(&s->stopping, 1);
    if (s->daemon != NULL)
        MHD_stop_daemon(s->daemon);
    free(s);
}
