/*
 * harness: helpers for driving the real client against the sandbox.
 *
 * A key pair is made in a fresh temporary directory; each test starts its
 * own sandbox through launch_start() so its counters start at zero; flows
 * run in real engines over loopback HTTP, several at once when they must
 * wait for the background re-check. Raw requests go through libcurl's easy
 * interface, signed with sign_body(), for the rules a well-behaved client
 * never breaks. Include from one test file only: everything is static.
 */
#ifndef NPD_TEST_HARNESS_H
#define NPD_TEST_HARNESS_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <jansson.h>

#include "clock.h"
#include "config.h"
#include "engine.h"
#include "flow.h"
#include "launch.h"
#include "sign.h"

#define HARNESS_PATH 512
#define HARNESS_BODY_MAX 8192

struct harness {
    char dir[HARNESS_PATH];
    char priv[HARNESS_PATH];
    char pub[HARNESS_PATH];
    char other_priv[HARNESS_PATH]; /* a pair the sandbox does not know */
    char other_pub[HARNESS_PATH];
    char log[HARNESS_PATH];
    struct launch sandbox;
    struct sign_key *key; /* the private half of priv, for raw requests */
};

/* One customer's flow driven to a target state. */
struct harness_run {
    const char *inn;
    enum flow_state want;
    const char *action;   /* for /sandbox/customer once waiting, or NULL */
    const char *key_file; /* NULL: the sandbox's own pair */
    const char *project;  /* NULL: "sandbox" */

    struct config cfg;
    struct engine *e;
    int agreed, acted, done;
    int64_t started_ms, waiting_ms, done_ms; /* -1 until reached */
    enum flow_state end;
};

struct harness_reply {
    long status;
    long retry_after_s; /* -1 when absent */
    char body[HARNESS_BODY_MAX];
    size_t len;
};

static void harness_path(char *out, const char *dir, const char *name)
{
    int n = snprintf(out, HARNESS_PATH, "%s/%s", dir, name);

    assert_true(n > 0 && n < HARNESS_PATH);
}

static struct harness *harness_new(void)
{
    struct harness *h = calloc(1, sizeof *h);
    char err[256] = "";

    assert_non_null(h);
    strcpy(h->dir, "/tmp/npdlink-it-XXXXXX");
    assert_non_null(mkdtemp(h->dir));

    harness_path(h->priv, h->dir, "key.pem");
    harness_path(h->pub, h->dir, "key.pub.pem");
    harness_path(h->other_priv, h->dir, "other.pem");
    harness_path(h->other_pub, h->dir, "other.pub.pem");
    harness_path(h->log, h->dir, "sandbox.log");

    if (sign_generate_pair(h->priv, h->pub, err, sizeof err) != 0 ||
        sign_generate_pair(h->other_priv, h->other_pub, err, sizeof err) != 0 ||
        sign_load_private(h->priv, NULL, &h->key, err, sizeof err) != 0)
        fail_msg("key pair: %s", err);
    h->sandbox.pid = -1;
    return h;
}

static void harness_free(struct harness *h)
{
    const char *files[] = {h->priv, h->pub, h->other_priv, h->other_pub,
                           h->log};

    launch_stop(&h->sandbox);
    sign_key_free(h->key);
    for (size_t i = 0; i < sizeof files / sizeof *files; i++)
        unlink(files[i]);
    rmdir(h->dir);
    free(h);
}

/* A fresh sandbox with a 2 s confirm delay; the path comes from
 * NPDLINK_SANDBOX and a missing one fails the test. */
static void harness_start(struct harness *h)
{
    const char *exe = getenv("NPDLINK_SANDBOX");
    char err[512] = "";

    if (exe == NULL || exe[0] == '\0')
        fail_msg("NPDLINK_SANDBOX is not set: point it at "
                 "build/npdlink-sandbox");
    if (access(exe, X_OK) != 0)
        fail_msg("NPDLINK_SANDBOX=%s is not an executable file", exe);

    launch_stop(&h->sandbox);
    if (launch_start(exe, h->pub, h->log, 2, &h->sandbox, err, sizeof err) != 0)
        fail_msg("launch_start: %s", err);
    assert_true(h->sandbox.pid > 0);
    assert_in_range(h->sandbox.port, 1, 65535);
}

static size_t harness_collect(char *p, size_t size, size_t n, void *ud)
{
    struct harness_reply *r = ud;
    size_t len = size * n;

    if (len > sizeof r->body - 1 - r->len)
        return 0;
    memcpy(r->body + r->len, p, len);
    r->len += len;
    r->body[r->len] = '\0';
    return len;
}

/* The header list for a request; a key signs the body and adds the
 * partner headers. */
static struct curl_slist *harness_headers(const char *body,
                                          struct sign_key *key,
                                          const char *project, const char *idem)
{
    struct curl_slist *hdr = NULL;
    char line[2048], err[256] = "";
    char *sig = NULL;

    if (body != NULL)
        hdr = curl_slist_append(hdr, "Content-Type: application/json");
    if (key != NULL) {
        if (sign_body(key, body, strlen(body), &sig, err, sizeof err) != 0)
            fail_msg("sign_body: %s", err);
        snprintf(line, sizeof line, "X-PARTNER-SIGN: %s", sig);
        hdr = curl_slist_append(hdr, line);
        snprintf(line, sizeof line, "X-PARTNER-PROJECT: %s",
                 project != NULL ? project : "sandbox");
        hdr = curl_slist_append(hdr, line);
        free(sig);
    }
    if (idem != NULL) {
        snprintf(line, sizeof line, "X-PARTNER-IDEMPOTENCY-KEY: %s", idem);
        hdr = curl_slist_append(hdr, line);
    }
    return hdr;
}

/* One request: POST when body is given, else GET. Without a key the
 * request goes bare, as the control endpoints expect. */
static void harness_request(const struct harness *h, const char *path,
                            const char *body, struct sign_key *key,
                            const char *project, const char *idem,
                            struct harness_reply *r)
{
    struct curl_slist *hdr = harness_headers(body, key, project, idem);
    CURL *c = curl_easy_init();
    curl_off_t retry = -1;
    char url[128];

    assert_non_null(c);
    memset(r, 0, sizeof *r);
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", h->sandbox.port, path);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, harness_collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
    if (body != NULL)
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);

    assert_int_equal(curl_easy_perform(c), CURLE_OK);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
    curl_easy_getinfo(c, CURLINFO_RETRY_AFTER, &retry);
    r->retry_after_s = retry > 0 ? (long)retry : -1;

    curl_slist_free_all(hdr);
    curl_easy_cleanup(c);
}

/* A signed Bank 131 call with the sandbox's own key. */
static void harness_call(const struct harness *h, const char *path,
                         const char *body, const char *idem,
                         struct harness_reply *r)
{
    harness_request(h, path, body, h->key, NULL, idem, r);
}

/* A string member of a JSON reply (one level of nesting with "a.b"),
 * copied into out; fails the test when missing. */
static void harness_json_str(const struct harness_reply *r, const char *key,
                             char *out, size_t n)
{
    json_t *root = json_loadb(r->body, r->len, 0, NULL);
    const char *dot = strchr(key, '.');
    json_t *v = root;
    const char *s;

    assert_non_null(root);
    if (dot != NULL) {
        char first[64];

        snprintf(first, sizeof first, "%.*s", (int)(dot - key), key);
        v = json_object_get(v, first);
        key = dot + 1;
    }
    s = json_string_value(json_object_get(v, key));
    if (s == NULL)
        fail_msg("no string \"%s\" in %s", key, r->body);
    assert_true(strlen(s) < n);
    strcpy(out, s);
    json_decref(root);
}

/* One counter from /sandbox/stats. */
static long harness_stat(const struct harness *h, const char *name)
{
    struct harness_reply r;
    json_t *root, *v;
    long n;

    harness_request(h, "/sandbox/stats", NULL, NULL, NULL, NULL, &r);
    assert_int_equal(r.status, 200);
    root = json_loadb(r.body, r.len, 0, NULL);
    assert_non_null(root);
    v = json_object_get(root, name);
    if (!json_is_integer(v))
        fail_msg("no counter \"%s\" in %s", name, r.body);
    n = (long)json_integer_value(v);
    json_decref(root);
    return n;
}

/* Plays the customer in My Tax through the control endpoint. */
static void harness_customer(const struct harness *h, const char *inn,
                             const char *action, long want_status)
{
    struct harness_reply r;
    char body[128];

    snprintf(body, sizeof body, "{\"tax_reference\":\"%s\",\"action\":\"%s\"}",
             inn, action);
    harness_request(h, "/sandbox/customer", body, NULL, NULL, NULL, &r);
    assert_int_equal(r.status, want_status);
}

static void harness_run_open(const struct harness *h, struct harness_run *run)
{
    char err[512] = "";

    config_defaults(&run->cfg);
    snprintf(run->cfg.base_url, sizeof run->cfg.base_url, "http://127.0.0.1:%d",
             h->sandbox.port);
    snprintf(run->cfg.project_id, sizeof run->cfg.project_id, "%s",
             run->project != NULL ? run->project : "sandbox");
    snprintf(run->cfg.key_file, sizeof run->cfg.key_file, "%s",
             run->key_file != NULL ? run->key_file : h->priv);
    run->cfg.sandbox = 1;

    run->e = engine_new(&run->cfg, err, sizeof err);
    if (run->e == NULL)
        fail_msg("engine_new: %s", err);
    run->started_ms = run->waiting_ms = run->done_ms = -1;
    run->end = FLOW_INN;
}

static void harness_run_close(struct harness_run *run)
{
    engine_free(run->e);
    run->e = NULL;
    config_free(&run->cfg);
}

static int harness_final(enum flow_state s)
{
    return s == FLOW_NOT_SELF_EMPLOYED || s == FLOW_ALREADY_LINKED ||
           s == FLOW_DECLINED || s == FLOW_LINKED || s == FLOW_ERROR;
}

/* Plays the agent (agree on consent) and the customer (the control
 * action once waiting); marks the run done at its target or at any
 * final state. 1 when a command was given, so the caller steps again at
 * once: a queued request goes out only in engine_step(). */
static int harness_advance(const struct harness *h, struct harness_run *run,
                           int64_t now)
{
    struct flow *f = engine_flow(run->e);
    const struct flow_view *v = flow_view(f);
    int acted = 0;

    if (v->state == FLOW_CONSENT && run->want != FLOW_CONSENT && !run->agreed) {
        assert_int_equal(flow_agree(f, now), 0);
        run->agreed = acted = 1;
    }
    if (v->state == FLOW_WAITING && run->waiting_ms < 0)
        run->waiting_ms = now;
    if (v->state == FLOW_WAITING && !v->busy && run->action != NULL &&
        !run->acted) {
        harness_customer(h, run->inn, run->action, 200);
        run->acted = 1;
    }

    if (v->state == run->want || harness_final(v->state)) {
        run->done = 1;
        run->done_ms = now;
        run->end = v->state;
    }
    return acted;
}

/* Steps twice: the first step hands queued requests to libcurl, the
 * second puts them on the wire, so each request leaves as close as it can
 * to the time the flow noted for it. */
static void harness_step(struct harness_run *run, int64_t now)
{
    for (int i = 0; i < 2; i++)
        if (engine_step(run->e, now) != 0)
            fail_msg("engine_step: %s", engine_error(run->e));
}

/* Fails the test naming where the run stopped and the last failure. */
static void harness_stuck(const struct harness_run *run, int64_t limit_ms)
{
    const struct flow_view *v = flow_view(engine_flow(run->e));

    fail_msg("%s: still %s after %lld ms; last failure: fault %d, "
             "HTTP %ld, code \"%s\", \"%s\"",
             run->inn, flow_state_name(v->state), (long long)limit_ms,
             (int)v->fault, v->http_status, v->code, v->detail);
}

/* Opens an engine per run, submits every INN, and steps all of them
 * until each is done or limit_ms passes. */
static void harness_drive(const struct harness *h, struct harness_run *runs,
                          size_t n, int64_t limit_ms)
{
    int64_t now, deadline = clock_mono_ms() + limit_ms;
    size_t left = n;

    for (size_t i = 0; i < n; i++)
        harness_run_open(h, &runs[i]);
    for (size_t i = 0; i < n; i++) {
        struct flow *f = engine_flow(runs[i].e);

        now = clock_mono_ms();
        assert_int_equal(flow_submit_inn(f, runs[i].inn, now), INN_OK);
        runs[i].started_ms = now;
        harness_step(&runs[i], now);
    }

    while (left > 0 && clock_mono_ms() < deadline) {
        for (size_t i = 0; i < n; i++)
            if (!runs[i].done)
                engine_wait(runs[i].e, NULL, 0, 10);

        left = 0;
        for (size_t i = 0; i < n; i++) {
            if (runs[i].done)
                continue;
            now = clock_mono_ms();
            harness_step(&runs[i], now);
            if (harness_advance(h, &runs[i], now))
                harness_step(&runs[i], clock_mono_ms());
            left += !runs[i].done;
        }
    }

    for (size_t i = 0; i < n; i++)
        if (!runs[i].done)
            harness_stuck(&runs[i], limit_ms);
}

#endif
