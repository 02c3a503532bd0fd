/*
 * net: POST transfers on one libcurl multi handle.
 *
 * Each transfer owns an easy handle, its header list and a body buffer
 * capped at NET_BODY_MAX; it is linked into the net so that cancelling or
 * freeing never leaves a handle behind.
 */
#include "net.h"

#include <curl/curl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "inn.h"

#define NET_BODY_MAX (1024 * 1024)
#define NET_RETRY_MAX 3600L

struct net_xfer {
    CURL *easy;
    struct curl_slist *headers;
    unsigned long tag;
    char *body;
    size_t len;
    size_t cap;
    int too_big;
    char errbuf[CURL_ERROR_SIZE];
    struct net_xfer *prev;
    struct net_xfer *next;
};

struct net {
    CURLM *multi;
    char *ca_file;
    long connect_timeout_ms;
    long total_timeout_ms;
    struct net_xfer *xfers;
    int count;
};

/* Nets alive: libcurl's global state lives exactly as long as they do. */
static unsigned net_users;

static int net_global_up(char *err, size_t errlen)
{
    if (net_users == 0 && curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
        err_set(err, errlen, "libcurl could not start");
        return -1;
    }
    net_users++;
    return 0;
}

static void net_global_down(void)
{
    if (net_users > 0 && --net_users == 0)
        curl_global_cleanup();
}

struct net *net_new(const struct net_opts *opts, char *err, size_t errlen)
{
    struct net *n;

    if (opts == NULL || opts->connect_timeout_ms <= 0 ||
        opts->total_timeout_ms <= 0) {
        err_set(err, errlen, "timeouts must be positive");
        return NULL;
    }

    if (net_global_up(err, errlen) != 0)
        return NULL;

    n = calloc(1, sizeof(*n));
    if (n == NULL || (n->multi = curl_multi_init()) == NULL)
        goto fail;

    n->connect_timeout_ms = opts->connect_timeout_ms;
    n->total_timeout_ms = opts->total_timeout_ms;
    if (opts->ca_file != NULL && (n->ca_file = strdup(opts->ca_file)) == NULL)
        goto fail;
    return n;

fail:
    err_set(err, errlen, "out of memory");
    net_free(n);
    if (n == NULL)
        net_global_down();
    return NULL;
}

/* Callbacks */

static int net_body_grow(struct net_xfer *x, size_t need)
{
    size_t cap = x->cap > 0 ? x->cap : 4096;
    char *p;

    while (cap < need)
        cap *= 2;
    if (cap > NET_BODY_MAX + 1)
        cap = NET_BODY_MAX + 1;

    p = realloc(x->body, cap);
    if (p == NULL)
        return -1;
    x->body = p;
    x->cap = cap;
    return 0;
}

/* Returning less than was given makes libcurl abort the transfer. */
static size_t net_on_body(char *data, size_t size, size_t nmemb, void *userp)
{
    struct net_xfer *x = userp;
    size_t n = size * nmemb;

    if (n > NET_BODY_MAX - x->len) {
        x->too_big = 1;
        return 0;
    }

    if (x->len + n + 1 > x->cap && net_body_grow(x, x->len + n + 1) != 0)
        return 0;

    memcpy(x->body + x->len, data, n);
    x->len += n;
    x->body[x->len] = '\0';
    return n;
}

/* Retry-After in seconds, as libcurl read it (either of the header's
 * forms: delta-seconds or an HTTP date); -1 when absent, zero or past,
 * since none of those holds anything back. Capped at an hour. */
static long net_retry_after(CURL *easy)
{
    curl_off_t secs = 0;

    if (curl_easy_getinfo(easy, CURLINFO_RETRY_AFTER, &secs) != CURLE_OK ||
        secs <= 0)
        return -1;
    return secs > NET_RETRY_MAX ? NET_RETRY_MAX : (long)secs;
}

/* Transfers */

static void net_xfer_free(struct net_xfer *x)
{
    if (x == NULL)
        return;
    if (x->easy != NULL)
        curl_easy_cleanup(x->easy);
    curl_slist_free_all(x->headers);
    /* A reply may echo the INN; an undelivered one is wiped too. */
    if (x->body != NULL)
        inn_wipe(x->body, x->cap);
    free(x->body);
    free(x);
}

static int net_xfer_headers(struct net_xfer *x, const char *const *headers)
{
    struct curl_slist *l;
    size_t i;

    for (i = 0; headers != NULL && headers[i] != NULL; i++) {
        l = curl_slist_append(x->headers, headers[i]);
        if (l == NULL)
            return -1;
        x->headers = l;
    }

    /* No 100-continue round trip before the body. */
    l = curl_slist_append(x->headers, "Expect:");
    if (l == NULL)
        return -1;
    x->headers = l;
    return 0;
}

static int net_xfer_setup(struct net *n, struct net_xfer *x, const char *url,
                          const char *body, size_t len)
{
    CURL *e = x->easy;
    int bad = 0;

    bad |= curl_easy_setopt(e, CURLOPT_URL, url);
    bad |= curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    /* A proxy from the environment may serve the bank over https, but the
     * loopback sandbox is plain http: its signed bodies never leave. */
    bad |= curl_easy_setopt(e, CURLOPT_NOPROXY, "localhost,127.0.0.1,::1");
    bad |= curl_easy_setopt(e, CURLOPT_POST, 1L);
    bad |= curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    bad |= curl_easy_setopt(e, CURLOPT_COPYPOSTFIELDS, body);
    bad |= curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->headers);
    bad |= curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
    bad |= curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
    if (n->ca_file != NULL)
        bad |= curl_easy_setopt(e, CURLOPT_CAINFO, n->ca_file);
    bad |=
        curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, n->connect_timeout_ms);
    bad |= curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, n->total_timeout_ms);
    bad |= curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    /* A name lookup that hangs must not hold up a timeout or a cancel:
     * libcurl would otherwise wait for its resolver thread to return,
     * with the screen frozen for as long as the DNS server stays silent.
     * A libcurl older than 7.87 lacks the option and keeps waiting. */
    (void)curl_easy_setopt(e, CURLOPT_QUICK_EXIT, 1L);
    bad |= curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    bad |= curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE,
                            (curl_off_t)NET_BODY_MAX);
    bad |= curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, net_on_body);
    bad |= curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
    bad |= curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf);
    bad |= curl_easy_setopt(e, CURLOPT_PRIVATE, x);
    return bad ? -1 : 0;
}

static void net_xfer_link(struct net *n, struct net_xfer *x)
{
    x->next = n->xfers;
    if (n->xfers != NULL)
        n->xfers->prev = x;
    n->xfers = x;
    n->count++;
}

static void net_xfer_unlink(struct net *n, struct net_xfer *x)
{
    if (x->prev != NULL)
        x->prev->next = x->next;
    else
        n->xfers = x->next;
    if (x->next != NULL)
        x->next->prev = x->prev;
    n->count--;
}

int net_post(struct net *n, const char *url, const char *const *headers,
             const char *body, size_t len, unsigned long tag)
{
    struct net_xfer *x;

    if (n == NULL || url == NULL || (body == NULL && len > 0))
        return -1;

    x = calloc(1, sizeof(*x));
    if (x == NULL)
        return -1;
    x->tag = tag;

    x->easy = curl_easy_init();
    if (x->easy == NULL || net_xfer_headers(x, headers) != 0 ||
        net_xfer_setup(n, x, url, body != NULL ? body : "", len) != 0 ||
        curl_multi_add_handle(n->multi, x->easy) != CURLM_OK) {
        net_xfer_free(x);
        return -1;
    }

    net_xfer_link(n, x);
    return 0;
}

/* The loop */

static short net_to_curl_events(short ev)
{
    return (short)(((ev & POLLIN) ? CURL_WAIT_POLLIN : 0) |
                   ((ev & POLLPRI) ? CURL_WAIT_POLLPRI : 0) |
                   ((ev & POLLOUT) ? CURL_WAIT_POLLOUT : 0));
}

/* libcurl fills revents for extra descriptors with POLLIN, POLLPRI and
 * POLLOUT only, folding a hang-up into POLLIN; a second, non-blocking
 * poll() gives the caller the real POLLHUP and POLLERR. A negative
 * timeout waits without limit, as it does for poll(). */
int net_wait(struct net *n, struct pollfd *extra, unsigned nextra,
             int timeout_ms)
{
    struct curl_waitfd *w = NULL;
    unsigned i;
    CURLMcode rc;

    if (nextra > 0 && (w = calloc(nextra, sizeof(*w))) == NULL)
        return -1;

    for (i = 0; i < nextra; i++) {
        w[i].fd = extra[i].fd;
        w[i].events = net_to_curl_events(extra[i].events);
        extra[i].revents = 0;
    }

    rc = curl_multi_poll(n->multi, w, nextra,
                         timeout_ms < 0 ? INT_MAX : timeout_ms, NULL);
    free(w);
    if (rc != CURLM_OK)
        return -1;

    if (nextra > 0 && poll(extra, nextra, 0) < 0)
        return -1;
    return 0;
}

int net_run(struct net *n)
{
    int running = 0;

    if (curl_multi_perform(n->multi, &running) != CURLM_OK)
        return -1;
    return running;
}

static void net_done_fill(struct net_xfer *x, CURLcode res,
                          struct net_done *out)
{
    const char *ct = NULL;
    curl_off_t total_us = 0;

    out->tag = x->tag;
    out->transport_error = (int)res;
    out->timed_out = res == CURLE_OPERATION_TIMEDOUT;
    out->tls_refused = res == CURLE_PEER_FAILED_VERIFICATION ||
                       res == CURLE_SSL_CACERT_BADFILE ||
                       res == CURLE_SSL_ISSUER_ERROR;
    out->retry_after_s = net_retry_after(x->easy);
    out->too_big = x->too_big || res == CURLE_FILESIZE_EXCEEDED;
    curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &out->status);
    if (curl_easy_getinfo(x->easy, CURLINFO_TOTAL_TIME_T, &total_us) == 0)
        out->elapsed_ms = (long)(total_us / 1000);

    if (res != CURLE_OK) {
        const char *why = x->errbuf[0] ? x->errbuf : curl_easy_strerror(res);

        if (out->too_big)
            why = "reply larger than 1 MiB";
        err_set(out->error, sizeof(out->error), "%s", why);
        return;
    }

    if (curl_easy_getinfo(x->easy, CURLINFO_CONTENT_TYPE, &ct) == 0 &&
        ct != NULL)
        out->content_type = strdup(ct);
    out->body = x->body;
    out->len = x->len;
    x->body = NULL;
}

/* The transfer behind a finished handle: its private pointer, or a search
 * of the list when that is missing, so the count still comes down. */
static struct net_xfer *net_xfer_of(struct net *n, CURL *easy)
{
    struct net_xfer *x;
    char *priv = NULL;

    if (curl_easy_getinfo(easy, CURLINFO_PRIVATE, &priv) == CURLE_OK &&
        priv != NULL)
        return (struct net_xfer *)priv;
    for (x = n->xfers; x != NULL; x = x->next)
        if (x->easy == easy)
            return x;
    return NULL;
}

int net_take(struct net *n, struct net_done *out)
{
    struct net_xfer *x;
    CURLMsg *msg;
    int left;

    while ((msg = curl_multi_info_read(n->multi, &left)) != NULL) {
        if (msg->msg != CURLMSG_DONE)
            continue;

        x = net_xfer_of(n, msg->easy_handle);
        if (x == NULL) {
            curl_multi_remove_handle(n->multi, msg->easy_handle);
            continue;
        }
        memset(out, 0, sizeof(*out));
        net_done_fill(x, msg->data.result, out);

        curl_multi_remove_handle(n->multi, x->easy);
        net_xfer_unlink(n, x);
        net_xfer_free(x);
        return 1;
    }
    return 0;
}

void net_done_free(struct net_done *d)
{
    if (d == NULL)
        return;
    free(d->content_type);
    free(d->body);
    d->content_type = NULL;
    d->body = NULL;
    d->len = 0;
}

void net_cancel_all(struct net *n)
{
    while (n != NULL && n->xfers != NULL) {
        struct net_xfer *x = n->xfers;

        curl_multi_remove_handle(n->multi, x->easy);
        net_xfer_unlink(n, x);
        net_xfer_free(x);
    }
}

int net_in_flight(const struct net *n)
{
    return n != NULL ? n->count : 0;
}

void net_free(struct net *n)
{
    if (n == NULL)
        return;

    net_cancel_all(n);
    if (n->multi != NULL)
        curl_multi_cleanup(n->multi);
    free(n->ca_file);
    free(n);
    net_global_down();
}
