/*
 * Allocation failure: each path through core runs again and again, the
 * n-th allocation failing on run n, until a run needs no failure. Every
 * run must end in success or in the documented error, and leave no block
 * behind. Linked against failalloc.c with the linker's --wrap (see the
 * Makefile), so allocations made through jansson, OpenSSL and libcurl
 * count too; libqrencode's and glibc's own (getline, fopen) do not.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <openssl/err.h>

#include "api.h"
#include "audit.h"
#include "client.h"
#include "config.h"
#include "engine.h"
#include "failalloc.h"
#include "flow.h"
#include "net.h"
#include "perm.h"
#include "qr.h"
#include "sign.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define INN_LINKABLE "500000000340"
#define RUNS_MAX 100000UL

struct reply_file {
    enum api_call call;
    long status;
    const char *name;
    char *body;
    size_t len;
    struct api_reply want;
};

/* What every path shares: a key pair, files, replies and the answers
 * each path gives when nothing fails. */
struct rig {
    char dir[64];
    char priv[128];
    char pub[128];
    char conf[128];
    char audit[128];
    struct sign_key *key;
    struct sign_key *pubkey;
    struct reply_file replies[8];
    size_t nreplies;
    char *want_bodies[5];
    char *want_dump;
    char *want_sig;
    struct qr want_qr;
};

static struct rig rig;

static const char *const perms[] = {"INCOME_REGISTRATION",
                                    "PAYMENT_INFORMATION"};

static const char conf_text[] =
    "# a settings file with every kind of key\n"
    "base_url = http://127.0.0.1:1/\n"
    "project_id = project-4711\n"
    "permissions = INCOME_REGISTRATION, PAYMENT_INFORMATION\n"
    "path.check = /v1/check\n"
    "connect_timeout_ms = 2000\n"
    "sandbox = yes\n";

static char *const conf_env[] = {
    "HOME=/nowhere",
    "NPDLINK_MYTAX_URL=https://example.org/partners/",
    "NPDLINK_PERMISSIONS=INCOME_LIST, INCOME_REGISTRATION",
    NULL,
};

static const char qr_text[] = "https://lknpd.nalog.ru/settings/partners/";

/* Runs one path under the counter; n 0 fails nothing. Returns what the
 * path returned (0 full success, 1 the documented error). */
typedef int (*path_fn)(void);

static int run_once(const char *name, path_fn fn, unsigned long n,
                    unsigned long *seen)
{
    long base = failalloc_live();
    unsigned long mark = failalloc_mark();
    long live;
    int rc;

    failalloc_arm(n);
    rc = fn();
    *seen = failalloc_disarm();

    /* OpenSSL's error queue is per-thread state, not a block core owns;
     * core's callers that care read it at once. */
    ERR_clear_error();

    live = failalloc_live();
    if (live != base)
        failalloc_report(mark);
    if (live != base)
        fail_msg("%s: run failing allocation %lu: %ld block(s) leaked", name, n,
                 live - base);
    if (!failalloc_injected() && rc != 0)
        fail_msg("%s: run failing allocation %lu: failed with nothing failed",
                 name, n);
    return rc;
}

/* Fails allocation 1, 2, ... in turn until a run needs no failure;
 * returns how many allocations the path makes. */
static unsigned long drive(const char *name, path_fn fn)
{
    unsigned long seen = 0, points, n, errors = 0;

    /* The first run fills the libraries' caches, which are not leaks. */
    failalloc_arm(0);
    assert_int_equal(fn(), 0);
    failalloc_disarm();
    ERR_clear_error();

    run_once(name, fn, 0, &points);
    for (n = 1; n < RUNS_MAX; n++) {
        errors += run_once(name, fn, n, &seen) != 0;
        if (!failalloc_injected())
            break;
    }
    /* OpenSSL's count moves by one or two between runs as its caches
     * settle, so the count of the clean run is only a bound. */
    assert_true(n < RUNS_MAX);
    assert_true(n - 1 + 16 >= points && points + 16 >= n - 1);

    print_message("%s: %lu allocation points, %lu runs ended in an error\n",
                  name, n - 1, errors);
    return n - 1;
}

/* api */

static int path_api_parse(void)
{
    int rc = 0;

    for (size_t i = 0; i < rig.nreplies; i++) {
        const struct reply_file *f = &rig.replies[i];
        struct api_http in = {.status = f->status,
                              .content_type = "application/json",
                              .body = f->body,
                              .len = f->len,
                              .retry_after_s = -1};
        struct api_reply out;

        api_parse(f->call, &in, &out);
        if (memcmp(&out, &f->want, sizeof(out)) == 0)
            continue;
        /* Out of memory reads as a bad reply, or jansson's reader may
         * drop a byte of a string (see docs/KNOWN-LIMITS.md); never as
         * a different answer. */
        assert_true(failalloc_injected());
        rc = 1;
        if (out.result == API_RES_ERROR) {
            assert_int_equal(out.fault, API_FAULT_BANK);
            assert_int_equal(out.verdict, API_VERDICT_NONE);
            assert_int_equal(out.request_id[0], '\0');
            assert_int_equal(out.link_id[0], '\0');
            continue;
        }
        assert_int_equal(out.result, f->want.result);
        assert_int_equal(out.verdict, f->want.verdict);
        assert_int_equal(out.link_state, f->want.link_state);
        continue;
    }
    return rc;
}

static char *make_body(int which)
{
    switch (which) {
    case 0:
        return api_body_check(INN_LINKABLE);
    case 1:
        return api_body_status("req-1");
    case 2:
        return api_body_token(INN_LINKABLE);
    case 3:
        return api_body_link("tok-1", INN_LINKABLE, perms, COUNT(perms));
    default:
        return api_body_link_status("link-1");
    }
}

static int path_api_bodies(void)
{
    int rc = 0;

    for (int i = 0; i < 5; i++) {
        char *b = make_body(i);

        if (b == NULL) {
            rc = 1;
            continue;
        }
        assert_string_equal(b, rig.want_bodies[i]);
        free(b);
    }
    return rc;
}

/* config */

static int path_config(void)
{
    struct config c;
    char err[256] = "";
    char *dump = NULL;
    int rc = 1;

    config_defaults(&c);
    if (config_load_file(&c, rig.conf, 1, err, sizeof(err)) != 0) {
        assert_non_null(strstr(err, "out of memory"));
        goto out;
    }
    if (config_load_env(&c, conf_env, err, sizeof(err)) != 0) {
        assert_non_null(strstr(err, "out of memory"));
        goto out;
    }
    dump = config_dump(&c);
    if (dump == NULL)
        goto out;
    assert_string_equal(dump, rig.want_dump);
    rc = 0;

out:
    free(dump);
    config_free(&c);
    return rc;
}

/* audit */

static long count_lines(const char *path)
{
    FILE *fp = fopen(path, "r");
    long n = 0;
    int ch, last = '\n';

    if (fp == NULL)
        return 0;
    while ((ch = fgetc(fp)) != EOF) {
        n += ch == '\n';
        last = ch;
    }
    fclose(fp);
    /* A line cut short would leave the file without its last newline. */
    assert_int_equal(last, '\n');
    return n;
}

static int path_audit(void)
{
    static const char *const kv[] = {"call", "npd/check", "outcome", "ok",
                                     NULL};
    long before = count_lines(rig.audit);
    char err[256] = "";
    struct audit *a = audit_open(rig.audit, err, sizeof(err));
    int rc;

    if (a == NULL) {
        assert_non_null(strstr(err, "out of memory"));
        assert_int_equal(count_lines(rig.audit), before);
        return 1;
    }

    rc = audit_event(a, "api_call", "50********40", kv, err, sizeof(err));
    audit_close(a);
    if (rc != 0) {
        assert_int_equal(rc, -1);
        assert_non_null(strstr(err, "out of memory"));
    }
    assert_int_equal(count_lines(rig.audit), before + (rc == 0));
    return rc == 0 ? 0 : 1;
}

/* qr */

static int path_qr(void)
{
    struct qr q;

    if (qr_make(qr_text, &q) != 0) {
        assert_null(q.dark);
        return 1;
    }
    assert_int_equal(q.size, rig.want_qr.size);
    assert_memory_equal(q.dark, rig.want_qr.dark,
                        (size_t)q.size * (size_t)q.size);
    qr_free(&q);
    return 0;
}

/* sign */

static int path_sign(void)
{
    static const char body[] = "{\"tax_reference\":\"500000000340\"}";
    struct sign_key *k = NULL;
    char err[256] = "";
    char *sig = NULL;
    int rc = 1;

    if (sign_load_private(rig.priv, NULL, &k, err, sizeof(err)) != 0) {
        assert_null(k);
        assert_true(err[0] != '\0');
        return 1;
    }
    if (sign_body(k, body, strlen(body), &sig, err, sizeof(err)) != 0) {
        assert_null(sig);
        assert_true(err[0] != '\0');
        goto out;
    }
    assert_string_equal(sig, rig.want_sig);

    /* A wrong body is refused whatever fails; the right one passes
     * unless an allocation failed on the way. */
    assert_int_equal(sign_verify(rig.pubkey, "{}", 2, sig), -1);
    if (sign_verify(rig.pubkey, body, strlen(body), sig) == 0)
        rc = 0;

out:
    free(sig);
    sign_key_free(k);
    return rc;
}

/* client and net: a request is signed and handed to libcurl, which is
 * never run, so nothing is sent. */

static int path_client(void)
{
    struct net_opts no = {NULL, 1000, 2000};
    struct client_config cc = {
        "http://127.0.0.1:1", "project-4711", rig.key, {NULL}};
    struct net *n = net_new(&no, NULL, 0);
    struct client *c;
    char err[256] = "";
    int rc;

    for (int i = 0; i < API_CALL_COUNT; i++)
        cc.paths[i] = "/api";

    if (n == NULL)
        return 1;
    c = client_new(&cc, n);
    if (c == NULL) {
        net_free(n);
        return 1;
    }

    rc = client_send(c, API_CHECK, "{}", "key-1", 0x10, err, sizeof(err));
    if (rc == 0)
        assert_int_equal(net_in_flight(n), 1);
    else
        assert_int_equal(net_in_flight(n), 0);

    net_free(n);
    client_free(c);
    return rc == 0 ? 0 : 1;
}

/* flow */

static void fill_check(struct api_reply *r)
{
    snprintf(r->request_id, sizeof(r->request_id), "req-1");
}

static void fill_status(struct api_reply *r)
{
    r->verdict = API_VERDICT_NOT_LINKED;
}

static void fill_token(struct api_reply *r)
{
    memset(r->public_token, 'a', 64);
}

static void fill_link(struct api_reply *r)
{
    snprintf(r->link_id, sizeof(r->link_id), "link-9");
    r->link_state = API_LINK_IN_PROGRESS;
}

/* Delivers the reply for the request just taken, found by its tag. */
static int flow_step(struct flow *f, enum api_call call, int64_t *now,
                     void (*fill)(struct api_reply *))
{
    struct flow_req q;
    struct api_reply r;

    if (!flow_next_request(f, &q)) {
        assert_int_equal(flow_view(f)->state, FLOW_ERROR);
        assert_int_not_equal(flow_view(f)->fault, API_FAULT_NONE);
        return 0;
    }
    assert_int_equal(q.call, call);
    assert_non_null(q.body);
    free(q.body);

    memset(&r, 0, sizeof(r));
    r.result = API_RES_OK;
    r.http_status = 200;
    r.retry_after_s = -1;
    fill(&r);
    *now += 100;
    flow_on_reply(f, q.tag, &r, *now);
    return 1;
}

static int path_flow(void)
{
    struct flow_config cfg;
    struct flow *f;
    int64_t now = 0;
    int ok;

    flow_config_defaults(&cfg);
    cfg.permissions = perms;
    cfg.npermissions = COUNT(perms);
    f = flow_new(&cfg);
    if (f == NULL)
        return 1;

    ok = flow_submit_inn(f, INN_LINKABLE, now) == INN_OK &&
         flow_step(f, API_CHECK, &now, fill_check);
    if (ok) {
        now += 10000;
        flow_tick(f, now);
        ok = flow_step(f, API_STATUS, &now, fill_status) &&
             flow_view(f)->state == FLOW_CONSENT;
    }
    ok = ok && flow_agree(f, now) == 0 &&
         flow_step(f, API_TOKEN, &now, fill_token) &&
         flow_step(f, API_LINK, &now, fill_link);
    if (ok)
        assert_int_equal(flow_view(f)->state, FLOW_WAITING);
    else
        assert_int_equal(flow_view(f)->state, FLOW_ERROR);

    flow_free(f);
    return ok ? 0 : 1;
}

static size_t count_default_perms(void)
{
    size_t n = 0;

    while (perm_default[n] != NULL)
        n++;
    return n;
}

/* engine: set up and torn down, one idle step in between; no INN is
 * typed, so nothing is sent. */

static int path_engine(void)
{
    struct config c;
    char err[256] = "";
    struct engine *e;
    int rc = 0;

    /* Out of memory in config_defaults() leaves a shorter list, as its
     * comment says; the engine is only tried with the whole one. */
    config_defaults(&c);
    if (c.npermissions != count_default_perms() ||
        config_set(&c, "base_url", "http://127.0.0.1:1", err, 256) != 0) {
        config_free(&c);
        return 1;
    }
    snprintf(c.project_id, sizeof(c.project_id), "project-4711");
    snprintf(c.key_file, sizeof(c.key_file), "%s", rig.priv);
    snprintf(c.audit_file, sizeof(c.audit_file), "%s", rig.audit);
    c.sandbox = 1;

    e = engine_new(&c, err, sizeof(err));
    if (e == NULL) {
        assert_true(err[0] != '\0');
        config_free(&c);
        return 1;
    }
    assert_int_equal(flow_view(engine_flow(e))->state, FLOW_INN);
    if (engine_step(e, 1000) != 0)
        rc = 1;
    assert_int_equal(engine_sent(e, API_CHECK), 0);
    engine_free(e);
    config_free(&c);
    return rc;
}

/* Setup */

static char *read_fixture(const char *name, size_t *len)
{
    const char *dir = getenv("NPD_FIXTURES");
    char path[1024];
    char *buf;
    FILE *fp;
    long size;

    if (dir == NULL || dir[0] == '\0')
        dir = "tests/unit/fixtures";
    snprintf(path, sizeof(path), "%s/replies/%s", dir, name);

    fp = fopen(path, "rb");
    if (fp == NULL)
        fail_msg("cannot open fixture %s (set NPD_FIXTURES)", path);
    assert_int_equal(fseek(fp, 0, SEEK_END), 0);
    size = ftell(fp);
    assert_true(size >= 0);
    rewind(fp);

    buf = malloc((size_t)size + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)size, fp), (size_t)size);
    buf[size] = '\0';
    fclose(fp);
    *len = (size_t)size;
    return buf;
}

/* One reply of each shape the parser reads, an error and a verdict
 * carried by an error code among them. */
static void load_replies(void)
{
    static const struct {
        enum api_call call;
        long status;
        const char *name;
    } files[] = {
        {API_CHECK, 200, "check-ok.json"},
        {API_STATUS, 200, "status-nested.json"},
        {API_STATUS, 200, "status-ok-not-linked.json"},
        {API_CHECK, 400, "error-taxpayer-not-bound.json"},
        {API_TOKEN, 200, "token-ok.json"},
        {API_LINK, 200, "link-ok.json"},
        {API_LINK_STATUS, 200, "link-status-in-progress.json"},
        {API_CHECK, 503, "error-internal.json"},
    };

    for (size_t i = 0; i < COUNT(files); i++) {
        struct reply_file *f = &rig.replies[i];
        struct api_http in = {.status = files[i].status,
                              .content_type = "application/json",
                              .retry_after_s = -1};

        f->call = files[i].call;
        f->status = files[i].status;
        f->name = files[i].name;
        f->body = read_fixture(f->name, &f->len);
        in.body = f->body;
        in.len = f->len;
        api_parse(f->call, &in, &f->want);
    }
    rig.nreplies = COUNT(files);
    /* The set must hold answers, or a failure could not change them. */
    assert_int_equal(rig.replies[0].want.result, API_RES_OK);
    assert_int_equal(rig.replies[5].want.result, API_RES_OK);
}

static void write_file(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");

    assert_non_null(fp);
    assert_int_equal(fputs(text, fp) >= 0, 1);
    assert_int_equal(fclose(fp), 0);
}

static void make_answers(void)
{
    struct config c;
    char err[256] = "";

    for (int i = 0; i < 5; i++) {
        rig.want_bodies[i] = make_body(i);
        assert_non_null(rig.want_bodies[i]);
    }

    config_defaults(&c);
    assert_int_equal(config_load_file(&c, rig.conf, 1, err, sizeof(err)), 0);
    assert_int_equal(config_load_env(&c, conf_env, err, sizeof(err)), 0);
    rig.want_dump = config_dump(&c);
    assert_non_null(rig.want_dump);
    assert_non_null(strstr(rig.want_dump, "INCOME_LIST, INCOME_REGISTRATION"));
    config_free(&c);

    assert_int_equal(sign_body(rig.key, "{\"tax_reference\":\"500000000340\"}",
                               32, &rig.want_sig, err, sizeof(err)),
                     0);
    assert_int_equal(qr_make(qr_text, &rig.want_qr), 0);
}

/* OpenSSL keeps a buffer per slot of its error queue once one is used;
 * filling every slot first keeps those buffers out of the count. */
static void warm_error_queue(void)
{
    char text[512];

    memset(text, 'x', sizeof(text) - 1);
    text[sizeof(text) - 1] = '\0';
    for (int i = 0; i < 32; i++)
        ERR_raise_data(ERR_LIB_USER, 1, "%s", text);
    ERR_clear_error();
}

static int setup(void **state)
{
    char err[256] = "";

    (void)state;
    warm_error_queue();
    snprintf(rig.dir, sizeof(rig.dir), "/tmp/npd-alloc-XXXXXX");
    assert_non_null(mkdtemp(rig.dir));
    snprintf(rig.priv, sizeof(rig.priv), "%s/key.pem", rig.dir);
    snprintf(rig.pub, sizeof(rig.pub), "%s/key.pub", rig.dir);
    snprintf(rig.conf, sizeof(rig.conf), "%s/npdlink.conf", rig.dir);
    snprintf(rig.audit, sizeof(rig.audit), "%s/audit.log", rig.dir);

    assert_int_equal(sign_generate_pair(rig.priv, rig.pub, err, sizeof(err)),
                     0);
    assert_int_equal(
        sign_load_private(rig.priv, NULL, &rig.key, err, sizeof(err)), 0);
    assert_int_equal(sign_load_public(rig.pub, &rig.pubkey, err, sizeof(err)),
                     0);
    write_file(rig.conf, conf_text);
    load_replies();
    make_answers();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    for (size_t i = 0; i < rig.nreplies; i++)
        free(rig.replies[i].body);
    for (int i = 0; i < 5; i++)
        free(rig.want_bodies[i]);
    free(rig.want_dump);
    free(rig.want_sig);
    qr_free(&rig.want_qr);
    sign_key_free(rig.key);
    sign_key_free(rig.pubkey);
    unlink(rig.priv);
    unlink(rig.pub);
    unlink(rig.conf);
    unlink(rig.audit);
    rmdir(rig.dir);
    return 0;
}

/* Tests */

static void test_counter_fails_the_chosen_one(void **state)
{
    void *a, *b, *c;
    long base = failalloc_live();

    (void)state;
    failalloc_arm(2);
    a = malloc(8);
    b = malloc(8);
    c = realloc(a, 64);
    assert_int_equal(failalloc_disarm(), 3);
    assert_true(failalloc_injected());
    assert_non_null(a);
    assert_null(b);
    assert_non_null(c);
    assert_int_equal(failalloc_live(), base + 1);
    free(c);
    assert_int_equal(failalloc_live(), base);
}

/* jansson's reader crashes on some failed allocations, so here only the
 * blocks are counted: every reply parsed must leave none behind. */
static void test_api_parse(void **state)
{
    (void)state;
    failalloc_spare_json(1);
    assert_int_equal(drive("api_parse", path_api_parse), 0);
    failalloc_spare_json(0);
}

static void test_api_bodies(void **state)
{
    (void)state;
    assert_true(drive("api_body_*", path_api_bodies) >= 5);
}

static void test_config(void **state)
{
    (void)state;
    assert_true(drive("config load/env/dump", path_config) > 0);
}

/* Every line written, whatever failed, is a whole JSON object. */
static void assert_audit_lines(void)
{
    FILE *fp = fopen(rig.audit, "r");
    char line[4096];
    long n = 0;

    assert_non_null(fp);
    while (fgets(line, sizeof(line), fp) != NULL) {
        json_error_t jerr;
        json_t *obj = json_loads(line, 0, &jerr);

        if (obj == NULL)
            fail_msg("audit line %ld is not JSON: %s", n + 1, line);
        assert_true(json_is_object(obj));
        assert_string_equal(json_string_value(json_object_get(obj, "inn")),
                            "50********40");
        json_decref(obj);
        n++;
    }
    fclose(fp);
    assert_true(n > 0);
}

static void test_audit(void **state)
{
    (void)state;
    assert_true(drive("audit_open+audit_event", path_audit) > 0);
    assert_audit_lines();
}

static void test_qr(void **state)
{
    (void)state;
    assert_true(drive("qr_make", path_qr) > 0);
}

static void test_sign(void **state)
{
    (void)state;
    assert_true(drive("sign load/body/verify", path_sign) > 0);
}

static void test_client(void **state)
{
    (void)state;
    assert_true(drive("net_new+client_send", path_client) > 0);
}

static void test_flow(void **state)
{
    (void)state;
    assert_true(drive("flow to waiting", path_flow) > 0);
}

static void test_engine(void **state)
{
    (void)state;
    assert_true(drive("engine_new+engine_free", path_engine) > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counter_fails_the_chosen_one),
        cmocka_unit_test(test_api_parse),
        cmocka_unit_test(test_api_bodies),
        cmocka_unit_test(test_config),
        cmocka_unit_test(test_audit),
        cmocka_unit_test(test_qr),
        cmocka_unit_test(test_sign),
        cmocka_unit_test(test_client),
        cmocka_unit_test(test_flow),
        cmocka_unit_test(test_engine),
    };
    int rc;

    /* Before anything else can allocate through the libraries. */
    if (failalloc_init() != 0) {
        fprintf(stderr, "test_alloc: allocator hooks could not be set\n");
        return 1;
    }
    rc = cmocka_run_group_tests(tests, setup, teardown);
    failalloc_done();
    return rc;
}
