/*
 * Tests for net and client: real POSTs against a loopback libmicrohttpd
 * server run inside the test, one thread per connection so a slow answer
 * blocks nothing else. Client requests are signed with a key pair made
 * for the run and checked on arrival.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "net.h"
#include "sign.h"

#define MIB (1024 * 1024)

static struct MHD_Daemon *server;
static unsigned short server_port;
static char key_dir[64];
static char priv_path[96], pub_path[96];
static struct sign_key *priv_key, *pub_key;

/* The server */

struct upload {
    char *data;
    size_t len;
};

static long arg_long(struct MHD_Connection *c, const char *name, long dflt)
{
    const char *v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, name);

    return v != NULL ? strtol(v, NULL, 10) : dflt;
}

static enum MHD_Result send_text(struct MHD_Connection *c, unsigned code,
                                 const char *ctype, const char *text)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(
        strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
    enum MHD_Result ret;

    if (ctype != NULL)
        MHD_add_response_header(r, "Content-Type", ctype);
    ret = MHD_queue_response(c, code, r);
    MHD_destroy_response(r);
    return ret;
}

static json_t *echo_headers(struct MHD_Connection *c)
{
    static const char *const names[] = {
        "Content-Type",   "Accept",
        "User-Agent",     "X-PARTNER-PROJECT",
        "X-PARTNER-SIGN", "X-PARTNER-IDEMPOTENCY-KEY",
        "Expect",         "X-Test-Project",
    };
    json_t *h = json_object();
    size_t i;

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        const char *v =
            MHD_lookup_connection_value(c, MHD_HEADER_KIND, names[i]);

        if (v != NULL)
            json_object_set_new(h, names[i], json_string(v));
    }
    return h;
}

/* Answers with what arrived, so the test can check it byte for byte. */
static enum MHD_Result reply_echo(struct MHD_Connection *c, const char *url,
                                  const struct upload *u)
{
    json_t *body = json_stringn(u->data != NULL ? u->data : "", u->len);
    json_t *o = json_pack(
        "{s:s, s:I, s:o, s:o}", "url", url, "len", (json_int_t)u->len, "body",
        body != NULL ? body : json_null(), "headers", echo_headers(c));
    char *text = json_dumps(o, JSON_COMPACT);
    enum MHD_Result ret = send_text(c, 200, "application/json", text);

    free(text);
    json_decref(o);
    return ret;
}

static ssize_t big_chunk(void *cls, uint64_t pos, char *buf, size_t max)
{
    uint64_t total = (uint64_t)(uintptr_t)cls;

    if (pos >= total)
        return MHD_CONTENT_READER_END_OF_STREAM;
    if (max > total - pos)
        max = (size_t)(total - pos);
    memset(buf, 'b', max);
    return (ssize_t)max;
}

/* n bytes, with a Content-Length unless chunked=1. */
static enum MHD_Result reply_big(struct MHD_Connection *c)
{
    size_t n = (size_t)arg_long(c, "n", 0);
    struct MHD_Response *r;
    enum MHD_Result ret;

    if (arg_long(c, "chunked", 0)) {
        r = MHD_create_response_from_callback(
            MHD_SIZE_UNKNOWN, 64 * 1024, big_chunk, (void *)(uintptr_t)n, NULL);
    } else {
        char *buf = malloc(n);

        memset(buf, 'b', n);
        r = MHD_create_response_from_buffer(n, buf, MHD_RESPMEM_MUST_FREE);
    }
    ret = MHD_queue_response(c, 200, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result reply_retry(struct MHD_Connection *c)
{
    const char *v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "v");
    struct MHD_Response *r =
        MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    enum MHD_Result ret;

    if (v != NULL)
        MHD_add_response_header(r, "Retry-After", v);
    ret = MHD_queue_response(c, 429, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result respond(struct MHD_Connection *c, const char *url,
                               const struct upload *u)
{
    if (strncmp(url, "/echo", 5) == 0)
        return reply_echo(c, url, u);
    if (strcmp(url, "/big") == 0)
        return reply_big(c);
    if (strcmp(url, "/retry") == 0)
        return reply_retry(c);
    if (strcmp(url, "/slow") == 0) {
        long ms = arg_long(c, "ms", 0);
        struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

        nanosleep(&ts, NULL);
        return send_text(c, 200, "application/json", "{\"status\":\"ok\"}");
    }
    return send_text(c, 404, "text/html", "<html>no such page</html>");
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c,
                                  const char *url, const char *method,
                                  const char *version, const char *data,
                                  size_t *size, void **ctx)
{
    struct upload *u = *ctx;

    (void)cls;
    (void)method;
    (void)version;
    if (u == NULL) {
        *ctx = calloc(1, sizeof(struct upload));
        return *ctx != NULL ? MHD_YES : MHD_NO;
    }

    if (*size > 0) {
        u->data = realloc(u->data, u->len + *size);
        memcpy(u->data + u->len, data, *size);
        u->len += *size;
        *size = 0;
        return MHD_YES;
    }
    return respond(c, url, u);
}

static void on_done(void *cls, struct MHD_Connection *c, void **ctx,
                    enum MHD_RequestTerminationCode code)
{
    struct upload *u = *ctx;

    (void)cls;
    (void)c;
    (void)code;
    if (u != NULL) {
        free(u->data);
        free(u);
        *ctx = NULL;
    }
}

static int server_run(void)
{
    struct sockaddr_in sa = {0};
    const union MHD_DaemonInfo *info;

    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    server = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0,
        NULL, NULL, on_request, NULL, MHD_OPTION_SOCK_ADDR,
        (struct sockaddr *)&sa, MHD_OPTION_NOTIFY_COMPLETED, on_done, NULL,
        MHD_OPTION_END);
    if (server == NULL)
        return -1;

    info = MHD_get_daemon_info(server, MHD_DAEMON_INFO_BIND_PORT);
    server_port = info != NULL ? info->port : 0;
    return server_port != 0 ? 0 : -1;
}

static int keys_make(void)
{
    char err[256] = "";

    snprintf(key_dir, sizeof(key_dir), "/tmp/npd-test-net-%ld", (long)getpid());
    if (mkdir(key_dir, 0700) != 0)
        return -1;
    snprintf(priv_path, sizeof(priv_path), "%s/private.pem", key_dir);
    snprintf(pub_path, sizeof(pub_path), "%s/public.pem", key_dir);

    if (sign_generate_pair(priv_path, pub_path, err, sizeof(err)) != 0 ||
        sign_load_private(priv_path, NULL, &priv_key, err, sizeof(err)) != 0 ||
        sign_load_public(pub_path, &pub_key, err, sizeof(err)) != 0) {
        fprintf(stderr, "keys: %s\n", err);
        return -1;
    }
    return 0;
}

static int server_start(void **state)
{
    (void)state;
    return server_run() == 0 && keys_make() == 0 ? 0 : -1;
}

static int server_stop(void **state)
{
    (void)state;
    if (server != NULL)
        MHD_stop_daemon(server);
    sign_key_free(priv_key);
    sign_key_free(pub_key);
    unlink(priv_path);
    unlink(pub_path);
    rmdir(key_dir);
    return 0;
}

/* The client side */

static struct net *net_with(long connect_ms, long total_ms)
{
    struct net_opts o = {NULL, connect_ms, total_ms};
    char err[128] = "";
    struct net *n = net_new(&o, err, sizeof(err));

    if (n == NULL)
        fail_msg("net_new: %s", err);
    return n;
}

static void url_of(char *buf, size_t len, const char *path)
{
    snprintf(buf, len, "http://127.0.0.1:%u%s", server_port, path);
}

/* Drives the loop until one transfer is done, for at most 10 s. */
static void wait_done(struct net *n, struct net_done *d)
{
    int i;

    for (i = 0; i < 1000; i++) {
        net_run(n);
        if (net_take(n, d))
            return;
        assert_int_equal(net_wait(n, NULL, 0, 10), 0);
    }
    fail_msg("no transfer finished in time");
}

static void post_one(struct net *n, const char *path, const char *body,
                     size_t len, struct net_done *d)
{
    static const char *const headers[] = {"Content-Type: application/json",
                                          "X-Test-Project: demo", NULL};
    char url[128];

    url_of(url, sizeof(url), path);
    assert_int_equal(net_post(n, url, headers, body, len, 42), 0);
    assert_int_equal(net_in_flight(n), 1);
    wait_done(n, d);
    assert_int_equal(net_in_flight(n), 0);
}

static const char *echoed_header(const json_t *o, const char *name)
{
    return json_string_value(
        json_object_get(json_object_get(o, "headers"), name));
}

static void test_post_echo(void **state)
{
    const char *sent = "{\"tax_reference\":\"500000000340\"}";
    struct net *n = net_with(2000, 5000);
    struct net_done d;
    json_t *o;

    (void)state;
    post_one(n, "/echo", sent, strlen(sent), &d);

    assert_int_equal(d.transport_error, 0);
    assert_int_equal(d.tag, 42);
    assert_int_equal(d.status, 200);
    assert_string_equal(d.content_type, "application/json");
    assert_int_equal(d.retry_after_s, -1);
    assert_true(d.elapsed_ms >= 0);
    assert_int_equal(d.body[d.len], '\0');

    o = json_loadb(d.body, d.len, 0, NULL);
    assert_non_null(o);
    assert_int_equal(json_integer_value(json_object_get(o, "len")),
                     strlen(sent));
    assert_string_equal(json_string_value(json_object_get(o, "body")), sent);
    assert_null(echoed_header(o, "Expect"));
    assert_string_equal(echoed_header(o, "Content-Type"), "application/json");
    assert_string_equal(echoed_header(o, "X-Test-Project"), "demo");
    json_decref(o);
    net_done_free(&d);
    net_free(n);
}

/* The length given is sent, not the length up to a NUL. */
static void test_post_exact_bytes(void **state)
{
    struct net *n = net_with(2000, 5000);
    struct net_done d;
    json_t *o;

    (void)state;
    post_one(n, "/echo", "a\0bc", 4, &d);

    o = json_loadb(d.body, d.len, JSON_ALLOW_NUL, NULL);
    assert_non_null(o);
    assert_int_equal(json_integer_value(json_object_get(o, "len")), 4);
    assert_int_equal(json_string_length(json_object_get(o, "body")), 4);
    assert_memory_equal(json_string_value(json_object_get(o, "body")), "a\0bc",
                        4);
    json_decref(o);
    net_done_free(&d);
    net_free(n);
}

static void test_http_error_is_an_answer(void **state)
{
    struct net *n = net_with(2000, 5000);
    struct net_done d;

    (void)state;
    post_one(n, "/nowhere", "{}", 2, &d);

    assert_int_equal(d.transport_error, 0);
    assert_int_equal(d.status, 404);
    assert_string_equal(d.content_type, "text/html");
    assert_string_equal(d.body, "<html>no such page</html>");
    net_done_free(&d);
    net_free(n);
}

static void big_reply(const char *path, int want_error, size_t want_len)
{
    struct net *n = net_with(2000, 10000);
    struct net_done d;

    post_one(n, path, "{}", 2, &d);
    if (want_error) {
        assert_int_not_equal(d.transport_error, 0);
        assert_int_equal(d.timed_out, 0);
        assert_string_equal(d.error, "reply larger than 1 MiB");
        assert_int_equal(d.too_big, 1);
        assert_null(d.body);
        assert_int_equal(d.len, 0);
    } else {
        assert_int_equal(d.transport_error, 0);
        assert_int_equal(d.too_big, 0);
        assert_int_equal(d.len, want_len);
        assert_int_equal(d.body[want_len - 1], 'b');
        assert_int_equal(d.body[want_len], '\0');
    }
    net_done_free(&d);
    net_free(n);
}

static void test_body_cap(void **state)
{
    (void)state;
    big_reply("/big?n=1048576", 0, MIB);
    big_reply("/big?n=1048576&chunked=1", 0, MIB);
    big_reply("/big?n=1048577", 1, 0);
    big_reply("/big?n=1048577&chunked=1", 1, 0);
    big_reply("/big?n=8388608&chunked=1", 1, 0);
}

static void test_connect_refused(void **state)
{
    struct sockaddr_in sa = {0};
    socklen_t salen = sizeof(sa);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct net *n = net_with(2000, 5000);
    struct net_done d;
    char url[128];

    (void)state;
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &salen), 0);
    close(fd);

    snprintf(url, sizeof(url), "http://127.0.0.1:%u/api",
             (unsigned)ntohs(sa.sin_port));
    assert_int_equal(net_post(n, url, NULL, "{}", 2, 7), 0);
    wait_done(n, &d);

    assert_int_equal(d.tag, 7);
    assert_int_equal(d.transport_error, CURLE_COULDNT_CONNECT);
    assert_int_equal(d.timed_out, 0);
    assert_true(d.error[0] != '\0');
    assert_null(d.body);
    net_done_free(&d);
    net_free(n);
}

/* A loopback port with nothing listening on it. */
static unsigned dead_port(void)
{
    struct sockaddr_in sa = {0};
    socklen_t salen = sizeof(sa);
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &salen), 0);
    close(fd);
    return ntohs(sa.sin_port);
}

static void test_loopback_skips_proxy(void **state)
{
    static const char *const vars[] = {"http_proxy", "HTTP_PROXY", "ALL_PROXY",
                                       "all_proxy"};
    struct net *n = net_with(2000, 5000);
    struct net_done d;
    char proxy[64];
    size_t i;

    (void)state;
    snprintf(proxy, sizeof(proxy), "http://127.0.0.1:%u", dead_port());
    unsetenv("no_proxy");
    unsetenv("NO_PROXY");
    for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
        setenv(vars[i], proxy, 1);

    post_one(n, "/echo", "{}", 2, &d);
    for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
        unsetenv(vars[i]);

    assert_int_equal(d.transport_error, 0);
    assert_int_equal(d.status, 200);
    net_done_free(&d);
    net_free(n);
}

static void test_timeout(void **state)
{
    struct net *n = net_with(2000, 300);
    struct net_done d;

    (void)state;
    post_one(n, "/slow?ms=1500", "{}", 2, &d);

    assert_int_equal(d.transport_error, CURLE_OPERATION_TIMEDOUT);
    assert_int_equal(d.timed_out, 1);
    assert_true(d.elapsed_ms >= 250 && d.elapsed_ms < 1500);
    net_done_free(&d);
    net_free(n);
}

static void test_file_scheme_refused(void **state)
{
    struct net *n = net_with(2000, 5000);
    struct net_done d;

    (void)state;
    assert_int_equal(net_post(n, "file:///etc/passwd", NULL, "{}", 2, 1), 0);
    wait_done(n, &d);

    assert_int_equal(d.transport_error, CURLE_UNSUPPORTED_PROTOCOL);
    assert_null(d.body);
    net_done_free(&d);
    net_free(n);
}

static long retry_after(const char *value)
{
    struct net *n = net_with(2000, 5000);
    struct net_done d;
    char path[256] = "/retry";
    long v;

    if (value != NULL) {
        char *esc = curl_easy_escape(NULL, value, 0);

        snprintf(path, sizeof(path), "/retry?v=%s", esc);
        curl_free(esc);
    }
    post_one(n, path, "{}", 2, &d);

    assert_int_equal(d.transport_error, 0);
    assert_int_equal(d.status, 429);
    v = d.retry_after_s;
    net_done_free(&d);
    net_free(n);
    return v;
}

/* An HTTP date the given number of seconds from now. */
static long retry_after_in(long secs)
{
    char date[64];
    time_t when = time(NULL) + secs;
    struct tm tm;

    gmtime_r(&when, &tm);
    strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
    return retry_after(date);
}

static void test_retry_after(void **state)
{
    (void)state;
    assert_int_equal(retry_after("17"), 17);
    assert_int_equal(retry_after("3600"), 3600);
    assert_int_equal(retry_after("86400"), 3600);
    assert_int_equal(retry_after("Wed, 21 Oct 2037 07:28:00 GMT"), 3600);
    assert_in_range(retry_after_in(120), 118, 120);
    /* Nothing to wait for: "now", a date gone by, or no value libcurl can
     * use (a number past 64 bits among them); the flow's own back-off
     * still holds the next check then. */
    assert_int_equal(retry_after("0"), -1);
    assert_int_equal(retry_after("Sun, 06 Nov 1994 08:49:37 GMT"), -1);
    assert_int_equal(retry_after("Wed, 32 Foo 2037"), -1);
    assert_int_equal(retry_after("-5"), -1);
    assert_int_equal(retry_after("99999999999999999999999"), -1);
    assert_int_equal(retry_after(""), -1);
    assert_int_equal(retry_after(NULL), -1);
}

static void test_cancel_all(void **state)
{
    struct net *n = net_with(2000, 5000);
    struct net_done d;
    char url[128];

    (void)state;
    url_of(url, sizeof(url), "/slow?ms=200");
    assert_int_equal(net_post(n, url, NULL, "{}", 2, 1), 0);
    assert_int_equal(net_post(n, url, NULL, "{}", 2, 2), 0);
    net_run(n);
    assert_int_equal(net_in_flight(n), 2);

    net_cancel_all(n);
    assert_int_equal(net_in_flight(n), 0);
    assert_int_equal(net_run(n), 0);
    assert_int_equal(net_take(n, &d), 0);
    net_free(n);
}

/* Freeing with transfers in flight must release them all. */
static void test_free_in_flight(void **state)
{
    struct net *n = net_with(2000, 5000);
    char url[128];

    (void)state;
    url_of(url, sizeof(url), "/slow?ms=200");
    assert_int_equal(net_post(n, url, NULL, "{}", 2, 1), 0);
    net_run(n);
    net_free(n);
}

static void test_wait_extra_fds(void **state)
{
    struct net *n = net_with(2000, 5000);
    struct pollfd pfd[2];
    int p[2], q[2];

    (void)state;
    assert_int_equal(pipe(p), 0);
    assert_int_equal(pipe(q), 0);
    pfd[0] = (struct pollfd){.fd = p[0], .events = POLLIN};
    pfd[1] = (struct pollfd){.fd = q[0], .events = POLLIN};

    assert_int_equal(net_wait(n, pfd, 2, 20), 0);
    assert_int_equal(pfd[0].revents, 0);
    assert_int_equal(pfd[1].revents, 0);

    assert_int_equal(write(p[1], "k", 1), 1);
    close(q[1]);
    assert_int_equal(net_wait(n, pfd, 2, 5000), 0);
    assert_true(pfd[0].revents & POLLIN);
    assert_true(pfd[1].revents & POLLHUP);

    close(p[0]);
    close(p[1]);
    close(q[0]);
    net_free(n);
}

static void test_new_refuses_zero_timeouts(void **state)
{
    struct net_opts o = {NULL, 0, 1000};
    char err[128] = "";

    (void)state;
    assert_null(net_new(&o, err, sizeof(err)));
    assert_string_equal(err, "timeouts must be positive");
    o.connect_timeout_ms = 1000;
    o.total_timeout_ms = -1;
    assert_null(net_new(&o, NULL, 0));
}

/* client */

static struct client *client_for(struct net *n)
{
    char base[128];
    struct client_config cfg = {
        .base_url = base,
        .project_id = "proj-7",
        .key = priv_key,
        .paths = {"/echo/check", "/echo/status", "/echo/token", "/echo/link",
                  "/echo/link-status", "/echo/personal-info"},
    };
    struct client *c;

    /* Trailing slashes on the base are dropped, not doubled. */
    snprintf(base, sizeof(base), "http://127.0.0.1:%u//", server_port);
    c = client_new(&cfg, n);
    assert_non_null(c);
    return c;
}

static json_t *client_round(enum api_call call, const char *body,
                            const char *idem)
{
    struct net *n = net_with(2000, 5000);
    struct client *c = client_for(n);
    char err[256] = "";
    struct net_done d;
    json_t *o;

    if (client_send(c, call, body, idem, 0x51, err, sizeof(err)) != 0)
        fail_msg("client_send: %s", err);
    wait_done(n, &d);

    assert_int_equal(d.transport_error, 0);
    assert_int_equal(d.tag, 0x51);
    o = json_loadb(d.body, d.len, 0, NULL);
    assert_non_null(o);
    net_done_free(&d);
    client_free(c);
    net_free(n);
    return o;
}

static void test_client_signed_request(void **state)
{
    const char *body = "{\"request_id\":\"r-1\"}";
    json_t *o = client_round(API_STATUS, body, NULL);
    const char *sig = echoed_header(o, "X-PARTNER-SIGN");

    (void)state;
    assert_string_equal(json_string_value(json_object_get(o, "url")),
                        "/echo/status");
    assert_string_equal(json_string_value(json_object_get(o, "body")), body);
    assert_string_equal(echoed_header(o, "Content-Type"), "application/json");
    assert_string_equal(echoed_header(o, "Accept"), "application/json");
    assert_string_equal(echoed_header(o, "User-Agent"), "npdlink/" NPD_VERSION);
    assert_string_equal(echoed_header(o, "X-PARTNER-PROJECT"), "proj-7");
    assert_null(echoed_header(o, "X-PARTNER-IDEMPOTENCY-KEY"));
    assert_null(echoed_header(o, "Expect"));

    assert_non_null(sig);
    assert_int_equal(sign_verify(pub_key, body, strlen(body), sig), 0);
    assert_int_not_equal(
        sign_verify(pub_key, "{\"request_id\":\"r-2\"}", strlen(body), sig), 0);
    json_decref(o);
}

static void test_client_paths_and_key(void **state)
{
    json_t *o = client_round(API_LINK, "{}", "link-1-abc");

    (void)state;
    assert_string_equal(json_string_value(json_object_get(o, "url")),
                        "/echo/link");
    assert_string_equal(echoed_header(o, "X-PARTNER-IDEMPOTENCY-KEY"),
                        "link-1-abc");
    json_decref(o);

    o = client_round(API_CHECK, "{}", "");
    assert_string_equal(json_string_value(json_object_get(o, "url")),
                        "/echo/check");
    assert_null(echoed_header(o, "X-PARTNER-IDEMPOTENCY-KEY"));
    json_decref(o);
}

static void test_client_refuses_line_breaks(void **state)
{
    struct net *n = net_with(2000, 5000);
    struct client *c = client_for(n);
    struct client_config cfg = {
        .base_url = "http://127.0.0.1:1",
        .project_id = "proj\r\nX-Other: 1",
        .key = priv_key,
        .paths = {"/a", "/b", "/c", "/d", "/e"},
    };
    char err[256] = "";

    (void)state;
    assert_int_equal(
        client_send(c, API_LINK, "{}", "k\r\nX-Other: 1", 1, err, sizeof(err)),
        -1);
    assert_true(err[0] != '\0');
    assert_int_equal(net_in_flight(n), 0);
    assert_null(client_new(&cfg, n));

    cfg.project_id = "proj";
    cfg.paths[API_TOKEN] = NULL;
    assert_null(client_new(&cfg, n));

    assert_int_equal(client_send(c, API_CALL_COUNT, "{}", NULL, 1, NULL, 0),
                     -1);
    client_free(c);
    net_free(n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_post_echo),
        cmocka_unit_test(test_post_exact_bytes),
        cmocka_unit_test(test_http_error_is_an_answer),
        cmocka_unit_test(test_body_cap),
        cmocka_unit_test(test_connect_refused),
        cmocka_unit_test(test_loopback_skips_proxy),
        cmocka_unit_test(test_timeout),
        cmocka_unit_test(test_file_scheme_refused),
        cmocka_unit_test(test_retry_after),
        cmocka_unit_test(test_cancel_all),
        cmocka_unit_test(test_free_in_flight),
        cmocka_unit_test(test_wait_extra_fds),
        cmocka_unit_test(test_new_refuses_zero_timeouts),
        cmocka_unit_test(test_client_signed_request),
        cmocka_unit_test(test_client_paths_and_key),
        cmocka_unit_test(test_client_refuses_line_breaks),
    };

    return cmocka_run_group_tests_name("net", tests, server_start, server_stop);
}
