/*
 * The fault matrix over real loopback HTTP: every fault the sandbox can
 * play, on npd/check and on npd/request/status during the first check,
 * must end on the error screen with the right fault (or, for the three
 * error codes that are answers, on that answer), never on a made-up
 * verdict, and with a detail that is clean UTF-8 without control bytes.
 * While waiting for the customer a fault is only a notice: the flow stays
 * waiting, keeps its last answer, backs the next check off and comes back
 * once the fault is gone; the sandbox's arrival times show no two checks
 * closer than 30 s. The matrix must match docs/reliability.md row for row.
 */
/* harness.h serves every integration test; this one uses only part. */
#pragma GCC diagnostic ignored "-Wunused-function"
#include "harness.h"

#include <locale.h>
#include <wchar.h>
#include <wctype.h>

#define GAP_MS 30000
#define FIRST_LIMIT_MS 8000
#define WAIT_LIMIT_MS 80000
#define INN_MANUAL "500000000734"

struct row {
    const char *fault; /* as given to /sandbox/fault */
    enum flow_state state;
    enum api_fault api_fault;
};

/* The matrix; docs/reliability.md holds the same rows. */
static const struct row rows[] = {
    {"delay:200", FLOW_NOT_SELF_EMPLOYED, API_FAULT_NONE},
    {"delay:3000", FLOW_ERROR, API_FAULT_NETWORK},
    {"hang", FLOW_ERROR, API_FAULT_NETWORK},
    {"reset", FLOW_ERROR, API_FAULT_NETWORK},
    {"http429", FLOW_ERROR, API_FAULT_BANK},
    {"http500", FLOW_ERROR, API_FAULT_BANK},
    {"http502", FLOW_ERROR, API_FAULT_BANK},
    {"http503", FLOW_ERROR, API_FAULT_BANK},
    {"empty200", FLOW_ERROR, API_FAULT_BANK},
    {"badjson", FLOW_ERROR, API_FAULT_BANK},
    {"wrongtypes", FLOW_ERROR, API_FAULT_BANK},
    {"missing", FLOW_ERROR, API_FAULT_BANK},
    {"nulls", FLOW_ERROR, API_FAULT_BANK},
    {"hugenum", FLOW_ERROR, API_FAULT_BANK},
    {"longstr", FLOW_ERROR, API_FAULT_BANK},
    {"ctrlbytes", FLOW_ERROR, API_FAULT_BANK},
    {"badutf8", FLOW_ERROR, API_FAULT_BANK},
    {"oversize", FLOW_ERROR, API_FAULT_BANK},
    {"error:identification_error", FLOW_ERROR, API_FAULT_CONFIG},
    {"error:authentication_error", FLOW_ERROR, API_FAULT_CONFIG},
    {"error:authorization_error", FLOW_ERROR, API_FAULT_CONFIG},
    {"error:invalid_request", FLOW_ERROR, API_FAULT_CONFIG},
    {"error:internal_error", FLOW_ERROR, API_FAULT_BANK},
    {"error:taxpayer_unknown", FLOW_NOT_SELF_EMPLOYED, API_FAULT_NONE},
    {"error:taxpayer_not_bound", FLOW_CONSENT, API_FAULT_NONE},
    {"error:taxpayer_already_bound", FLOW_ALREADY_LINKED, API_FAULT_NONE},
    {"error:npd_service_internal_error", FLOW_ERROR, API_FAULT_TAX_SERVICE},
    {"error:provider_timeout", FLOW_ERROR, API_FAULT_TAX_SERVICE},
    {"error:provider_internal_error", FLOW_ERROR, API_FAULT_TAX_SERVICE},
};

#define NROWS (sizeof rows / sizeof *rows)

static int group_setup(void **state)
{
    setlocale(LC_CTYPE, "C.UTF-8");
    *state = harness_new();
    return 0;
}

static int group_teardown(void **state)
{
    harness_free(*state);
    return 0;
}

static int start_sandbox(void **state)
{
    harness_start(*state);
    return 0;
}

/* A valid INN no scenario uses, new on every call, so the sandbox's own
 * 30 s rule never meets two rows. */
static void next_inn(char out[INN_LEN + 1])
{
    static const int w11[] = {7, 2, 4, 10, 3, 5, 9, 4, 6, 8};
    static const int w12[] = {3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8};
    static unsigned serial = 1000;
    int s11 = 0, s12 = 0;

    snprintf(out, INN_LEN + 1, "7712%06u00", serial++);
    for (int i = 0; i < 10; i++)
        s11 += (out[i] - '0') * w11[i];
    out[10] = (char)('0' + s11 % 11 % 10);
    for (int i = 0; i < 11; i++)
        s12 += (out[i] - '0') * w12[i];
    out[11] = (char)('0' + s12 % 11 % 10);
    assert_int_equal(inn_check(out), INN_OK);
}

static void set_fault(const struct harness *h, const char *endpoint,
                      const char *fault, long retry_after)
{
    struct harness_reply r;
    char body[256];

    snprintf(body, sizeof body,
             "{\"endpoint\":\"%s\",\"fault\":\"%s\",\"retry_after\":%ld}",
             endpoint, fault, retry_after);
    harness_request(h, "/sandbox/fault", body, NULL, NULL, NULL, &r);
    if (r.status != 200)
        fail_msg("/sandbox/fault %s: HTTP %ld %s", body, r.status, r.body);
}

/* A detail an agent may read: valid UTF-8 and no control characters. */
static void assert_clean(const char *s)
{
    mbstate_t st;
    size_t left = strlen(s);

    memset(&st, 0, sizeof st);
    while (left > 0) {
        wchar_t wc;
        size_t n = mbrtowc(&wc, s, left, &st);

        if (n == (size_t)-1 || n == (size_t)-2)
            fail_msg("detail is not valid UTF-8: \"%s\"", s);
        if (iswcntrl((wint_t)wc) || (wc >= 0x80 && wc <= 0x9f))
            fail_msg("detail holds control U+%04X", (unsigned)wc);
        s += n;
        left -= n;
    }
}

/* Engine with short timeouts, so hang and delay end in a second. */
static void open_run(const struct harness *h, struct harness_run *run)
{
    char err[512] = "";

    config_defaults(&run->cfg);
    snprintf(run->cfg.base_url, sizeof run->cfg.base_url, "http://127.0.0.1:%d",
             h->sandbox.port);
    snprintf(run->cfg.project_id, sizeof run->cfg.project_id, "sandbox");
    snprintf(run->cfg.key_file, sizeof run->cfg.key_file, "%s", h->priv);
    run->cfg.sandbox = 1;
    run->cfg.connect_timeout_ms = 500;
    run->cfg.total_timeout_ms = 800;
    run->e = engine_new(&run->cfg, err, sizeof err);
    if (run->e == NULL)
        fail_msg("engine_new: %s", err);
}

/* Steps twice like harness_step(), each time with the clock read afresh:
 * a reply delivered in the second step must not be stamped earlier than
 * the sandbox saw its request. */
static void step_now(struct harness_run *run)
{
    for (int i = 0; i < 2; i++)
        if (engine_step(run->e, clock_mono_ms()) != 0)
            fail_msg("engine_step: %s", engine_error(run->e));
}

/* Submits inn and steps until the first check has ended. */
static struct flow_view first_check(const struct harness *h,
                                    struct harness_run *run, const char *inn)
{
    int64_t end = clock_mono_ms() + FIRST_LIMIT_MS;
    const struct flow_view *v;

    open_run(h, run);
    v = flow_view(engine_flow(run->e));
    assert_int_equal(flow_submit_inn(engine_flow(run->e), inn, clock_mono_ms()),
                     INN_OK);
    while (v->state == FLOW_CHECKING && clock_mono_ms() < end) {
        step_now(run);
        engine_wait(run->e, NULL, 0, 20);
    }
    return *v;
}

static void check_row(const struct harness *h, const char *endpoint,
                      const struct row *row)
{
    struct harness_run run = {0};
    struct flow_view v;
    char inn[INN_LEN + 1];

    next_inn(inn);
    set_fault(h, endpoint, row->fault, 1);
    v = first_check(h, &run, inn);
    set_fault(h, endpoint, "none", 0);

    if (v.state != row->state || v.fault != row->api_fault)
        fail_msg("%s=%s: %s with fault %d (HTTP %ld, \"%s\"), want %s "
                 "with fault %d",
                 endpoint, row->fault, flow_state_name(v.state), (int)v.fault,
                 v.http_status, v.detail, flow_state_name(row->state),
                 (int)row->api_fault);
    if (row->state == FLOW_ERROR)
        assert_int_equal(v.last_verdict, API_VERDICT_NONE);
    assert_clean(v.detail);
    assert_clean(v.code);
    harness_run_close(&run);
}

static void test_first_check_faults_on_check(void **state)
{
    for (size_t i = 0; i < NROWS; i++)
        check_row(*state, "check", &rows[i]);
}

static void test_first_check_faults_on_status(void **state)
{
    for (size_t i = 0; i < NROWS; i++)
        check_row(*state, "status", &rows[i]);
}

/* The control bytes reach the client and are gone from the detail. */
static void test_control_bytes_are_stripped(void **state)
{
    struct harness *h = *state;
    struct harness_run run = {0};
    char inn[INN_LEN + 1];
    struct flow_view v;

    next_inn(inn);
    set_fault(h, "check", "ctrlbytes", 0);
    v = first_check(h, &run, inn);
    set_fault(h, "check", "none", 0);

    assert_int_equal(v.state, FLOW_ERROR);
    assert_string_equal(v.detail, "cleared 31mred end");
    harness_run_close(&run);
}

/* One customer waiting in My Tax while one call fails. */
struct waiter {
    const char *endpoint;
    const char *fault;
    long retry_after;
    int64_t min_backoff_ms; /* least delay of the next check after it */
    enum api_fault api_fault;

    struct harness *h;
    struct harness_run run;
    int phase; /* 0 to waiting, 1 fault set, 2 fault seen, 3 cleared, 4 */
    int64_t answer_ms, fault_ms;
    long checks_at_fault;
};

static int64_t last_time(struct harness *h, const char *endpoint)
{
    struct harness_reply r;
    json_t *root, *arr;
    int64_t t;

    harness_request(h, "/sandbox/stats", NULL, NULL, NULL, NULL, &r);
    root = json_loadb(r.body, r.len, 0, NULL);
    arr = json_object_get(json_object_get(root, "times"), endpoint);
    assert_true(json_array_size(arr) > 0);
    t = (int64_t)json_integer_value(
        json_array_get(arr, json_array_size(arr) - 1));
    json_decref(root);
    return t;
}

/* No two checks of the one INN arrived closer than the gap. */
static void assert_spaced(struct harness *h, size_t want)
{
    struct harness_reply r;
    json_t *root, *arr;

    harness_request(h, "/sandbox/stats", NULL, NULL, NULL, NULL, &r);
    root = json_loadb(r.body, r.len, 0, NULL);
    arr = json_object_get(json_object_get(root, "times"), "check");
    assert_int_equal(json_array_size(arr), want);
    for (size_t i = 1; i < json_array_size(arr); i++) {
        json_int_t gap = json_integer_value(json_array_get(arr, i)) -
                         json_integer_value(json_array_get(arr, i - 1));

        if (gap < GAP_MS)
            fail_msg("checks %zu and %zu arrived %lld ms apart", i - 1, i,
                     (long long)gap);
    }
    json_decref(root);
}

static void waiter_fault_seen(struct waiter *w, const struct flow_view *v,
                              int64_t now)
{
    int64_t last = last_time(w->h, "check");

    w->fault_ms = now;
    w->checks_at_fault = harness_stat(w->h, "check");
    assert_int_equal(w->checks_at_fault, 2);
    assert_int_equal(v->state, FLOW_WAITING);
    assert_int_equal(v->fault, w->api_fault);
    /* A failed link state query follows a check that did answer. */
    if (strcmp(w->endpoint, "link_status") == 0)
        assert_true(v->last_answer_ms > w->answer_ms);
    else
        assert_int_equal(v->last_answer_ms, w->answer_ms);
    assert_int_equal(v->last_verdict, API_VERDICT_NOT_LINKED);
    assert_clean(v->detail);
    if (v->next_check_ms - now < w->min_backoff_ms - 1000)
        fail_msg("%s=%s: next check in %lld ms, want at least %lld",
                 w->endpoint, w->fault, (long long)(v->next_check_ms - now),
                 (long long)w->min_backoff_ms);
    assert_true(v->next_check_ms - last >= GAP_MS);
    w->phase = 2;
}

/* A gap after the failed check: the fault is cleared and Refresh asked;
 * Retry-After still holds it back, otherwise a check goes. */
static void waiter_clear(struct waiter *w, int64_t now)
{
    struct flow *f = engine_flow(w->run.e);
    int rc;

    assert_int_equal(harness_stat(w->h, "check"), w->checks_at_fault);
    set_fault(w->h, w->endpoint, "none", 0);
    rc = flow_refresh(f, now);
    if (w->retry_after > GAP_MS / 1000) {
        assert_in_range(rc, 1, w->retry_after - GAP_MS / 1000);
        w->phase = 4;
        return;
    }
    assert_int_equal(rc, 0);
    w->phase = 3;
}

static void waiter_recovered(struct waiter *w, const struct flow_view *v)
{
    int64_t last = last_time(w->h, "check");

    assert_int_equal(v->state, FLOW_WAITING);
    assert_int_equal(v->failures, 0);
    if (v->next_check_ms < last + GAP_MS)
        fail_msg("%s=%s: next check %lld ms after the last arrival",
                 w->endpoint, w->fault, (long long)(v->next_check_ms - last));
    w->phase = 4;
}

static void waiter_step(struct waiter *w, int64_t now)
{
    struct flow *f = engine_flow(w->run.e);
    const struct flow_view *v = flow_view(f);

    step_now(&w->run);
    if (w->phase == 0 && v->state == FLOW_CONSENT && !v->busy) {
        assert_int_equal(flow_agree(f, now), 0);
        step_now(&w->run);
    } else if (w->phase == 0 && v->state == FLOW_WAITING && !v->busy) {
        w->answer_ms = v->last_answer_ms;
        set_fault(w->h, w->endpoint, w->fault, w->retry_after);
        w->phase = 1;
    } else if (w->phase == 1 && v->fault != API_FAULT_NONE && !v->busy) {
        waiter_fault_seen(w, v, now);
    } else if (w->phase == 2 && now >= w->fault_ms + GAP_MS + 1000) {
        waiter_clear(w, now);
        step_now(&w->run);
    } else if (w->phase == 3 && !v->busy && !harness_final(v->state) &&
               v->fault == API_FAULT_NONE && v->last_answer_ms > w->fault_ms) {
        waiter_recovered(w, v);
    }
    if (w->phase < 4 && harness_final(v->state))
        fail_msg("%s=%s: ended in %s", w->endpoint, w->fault,
                 flow_state_name(v->state));
}

/* Several customers side by side, each with its own sandbox, so the 30 s
 * waits overlap. */
static void test_waiting_faults_back_off(void **state)
{
#define W(ep, name, ra, min, af)                                               \
    {                                                                          \
        .endpoint = ep, .fault = name, .retry_after = ra,                      \
        .min_backoff_ms = min, .api_fault = af                                 \
    }
    struct waiter ws[] = {
        W("check", "http503", 0, 2 * GAP_MS, API_FAULT_BANK),
        W("check", "http429", 75, 75000, API_FAULT_BANK),
        W("check", "reset", 0, 2 * GAP_MS, API_FAULT_NETWORK),
        W("status", "hang", 0, 2 * GAP_MS, API_FAULT_NETWORK),
        W("status", "error:provider_timeout", 0, 2 * GAP_MS,
          API_FAULT_TAX_SERVICE),
        W("link_status", "badjson", 0, 2 * GAP_MS, API_FAULT_BANK),
    };
#undef W
    size_t n = sizeof ws / sizeof *ws, left = n;
    int64_t end = clock_mono_ms() + WAIT_LIMIT_MS;

    (void)state;
    for (size_t i = 0; i < n; i++) {
        ws[i].h = harness_new();
        harness_start(ws[i].h);
        open_run(ws[i].h, &ws[i].run);
        assert_int_equal(flow_submit_inn(engine_flow(ws[i].run.e), INN_MANUAL,
                                         clock_mono_ms()),
                         INN_OK);
    }
    while (left > 0 && clock_mono_ms() < end) {
        left = 0;
        for (size_t i = 0; i < n; i++) {
            if (ws[i].phase == 4)
                continue;
            engine_wait(ws[i].run.e, NULL, 0, 5);
            waiter_step(&ws[i], clock_mono_ms());
            left += ws[i].phase != 4;
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (ws[i].phase != 4)
            fail_msg("%s=%s: stuck in phase %d", ws[i].endpoint, ws[i].fault,
                     ws[i].phase);
        assert_spaced(ws[i].h, ws[i].retry_after > 0 ? 2 : 3);
        harness_run_close(&ws[i].run);
        harness_free(ws[i].h);
    }
}

/* The first column of the table in docs/reliability.md, one name per
 * row; returns how many. */
static size_t doc_faults(char names[][64], size_t max)
{
    const char *dir = getenv("NPD_DOCS");
    char path[512], line[1024];
    size_t n = 0;
    FILE *fp;

    snprintf(path, sizeof path, "%s/reliability.md",
             dir != NULL ? dir : "docs");
    fp = fopen(path, "r");
    if (fp == NULL)
        fail_msg("cannot open %s (set NPD_DOCS)", path);
    while (fgets(line, sizeof line, fp) != NULL && n < max)
        if (sscanf(line, "| `%63[^`]` |", names[n]) == 1)
            n++;
    fclose(fp);
    return n;
}

static void test_doc_matches_matrix(void **state)
{
    char names[128][64];
    size_t n = doc_faults(names, 128);

    (void)state;
    for (size_t i = 0; i < NROWS; i++) {
        size_t j = 0;

        while (j < n && strcmp(names[j], rows[i].fault) != 0)
            j++;
        if (j == n)
            fail_msg("docs/reliability.md has no row for %s", rows[i].fault);
    }
    for (size_t j = 0; j < n; j++) {
        size_t i = 0;

        while (i < NROWS && strcmp(names[j], rows[i].fault) != 0)
            i++;
        if (i == NROWS)
            fail_msg("docs/reliability.md row %s is not tested", names[j]);
    }
    assert_int_equal(n, NROWS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_doc_matches_matrix),
        cmocka_unit_test_setup(test_first_check_faults_on_check, start_sandbox),
        cmocka_unit_test_setup(test_first_check_faults_on_status,
                               start_sandbox),
        cmocka_unit_test_setup(test_control_bytes_are_stripped, start_sandbox),
        cmocka_unit_test(test_waiting_faults_back_off),
    };

    curl_global_init(CURL_GLOBAL_DEFAULT);
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
