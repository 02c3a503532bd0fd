/*
 * Unit tests for flow: the state machine driven by a fake clock and
 * hand-made replies; no network.
 */
#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "flow.h"

#define INN_LINKABLE "500000000340"
#define INN_OTHER "500000000413"

static const char *const perms[] = {"INCOME_REGISTRATION",
                                    "PAYMENT_INFORMATION"};

/* One flow, a fake clock, and the last request taken from the flow. */
struct rig {
    struct flow *f;
    int64_t now;
    struct flow_req req;
    int sent[API_CALL_COUNT];
    int64_t check_at[64];
    int nchecks;
};

static int rig_setup(void **state)
{
    struct rig *r = calloc(1, sizeof(*r));
    struct flow_config cfg;

    assert_non_null(r);
    flow_config_defaults(&cfg);
    cfg.permissions = perms;
    cfg.npermissions = 2;
    r->f = flow_new(&cfg);
    assert_non_null(r->f);
    *state = r;
    return 0;
}

static int rig_teardown(void **state)
{
    struct rig *r = *state;

    free(r->req.body);
    flow_free(r->f);
    free(r);
    return 0;
}

/* Takes the next queued request, or returns 0 when there is none. */
static int rig_take(struct rig *r)
{
    struct flow_req req;

    if (!flow_next_request(r->f, &req))
        return 0;

    assert_int_equal(FLOW_TAG_CALL(req.tag), req.call);
    assert_non_null(req.body);
    free(r->req.body);
    r->req = req;
    r->sent[req.call]++;
    if (req.call == API_CHECK && r->nchecks < 64)
        r->check_at[r->nchecks++] = r->now;
    return 1;
}

static void rig_expect(struct rig *r, enum api_call call)
{
    assert_int_equal(rig_take(r), 1);
    assert_int_equal(r->req.call, call);
}

static void rig_expect_none(struct rig *r)
{
    assert_int_equal(rig_take(r), 0);
}

/* Moves the clock to `to`, ticking at every deadline on the way, and
 * stops early (returning 1) when a request is queued. */
static int rig_run(struct rig *r, int64_t to)
{
    for (int spins = 0;; spins++) {
        int64_t d = flow_next_deadline(r->f, r->now);

        /* A deadline that stays due after a tick would spin forever. */
        assert_true(spins < 10000);

        if (d < 0 || r->now + d > to) {
            r->now = to;
            flow_tick(r->f, r->now);
            return rig_take(r);
        }
        r->now += d;
        flow_tick(r->f, r->now);
        if (rig_take(r))
            return 1;
    }
}

static void rig_reply(struct rig *r, const struct api_reply *rep)
{
    flow_on_reply(r->f, r->req.tag, rep, r->now);
}

static struct api_reply ok_reply(void)
{
    struct api_reply rep;

    memset(&rep, 0, sizeof(rep));
    rep.result = API_RES_OK;
    rep.http_status = 200;
    rep.retry_after_s = -1;
    return rep;
}

static void answer_check_id(struct rig *r, const char *id)
{
    struct api_reply rep = ok_reply();

    snprintf(rep.request_id, sizeof(rep.request_id), "%s", id);
    rig_reply(r, &rep);
}

static void answer_pending(struct rig *r)
{
    struct api_reply rep = ok_reply();

    rep.result = API_RES_PENDING;
    rig_reply(r, &rep);
}

static void answer_verdict(struct rig *r, enum api_verdict v)
{
    struct api_reply rep = ok_reply();

    rep.verdict = v;
    rig_reply(r, &rep);
}

static void answer_fault(struct rig *r, enum api_fault fault, long http,
                         const char *code, const char *text)
{
    struct api_reply rep = ok_reply();

    rep.result = API_RES_ERROR;
    rep.fault = fault;
    rep.http_status = http;
    snprintf(rep.code, sizeof(rep.code), "%s", code);
    snprintf(rep.description, sizeof(rep.description), "%s", text);
    /* A reply that failed must never be read as an answer. */
    rep.verdict = API_VERDICT_LINKED;
    rep.link_state = API_LINK_COMPLETED;
    rig_reply(r, &rep);
}

static void answer_token(struct rig *r)
{
    struct api_reply rep = ok_reply();

    memset(rep.public_token, 'a', 64);
    rig_reply(r, &rep);
}

static void answer_link(struct rig *r, const char *id, enum api_link_state st)
{
    struct api_reply rep = ok_reply();

    snprintf(rep.link_id, sizeof(rep.link_id), "%s", id);
    rep.link_state = st;
    rig_reply(r, &rep);
}

static void answer_link_state(struct rig *r, enum api_link_state st)
{
    struct api_reply rep = ok_reply();

    rep.link_state = st;
    rig_reply(r, &rep);
}

static enum flow_state state_of(const struct rig *r)
{
    return flow_view(r->f)->state;
}

/* npd/check, then one status poll that gives the verdict. */
static void run_check(struct rig *r, enum api_verdict v)
{
    assert_int_equal(r->req.call, API_CHECK);
    r->now += 100;
    answer_check_id(r, "req-1");
    assert_int_equal(rig_run(r, r->now + 10000), 1);
    assert_int_equal(r->req.call, API_STATUS);
    r->now += 100;
    answer_verdict(r, v);
}

/* From a fresh flow at t=0 to the waiting screen, link id "link-9". */
static void reach_waiting(struct rig *r)
{
    assert_int_equal(flow_submit_inn(r->f, INN_LINKABLE, r->now), INN_OK);
    rig_expect(r, API_CHECK);
    run_check(r, API_VERDICT_NOT_LINKED);
    assert_int_equal(state_of(r), FLOW_CONSENT);

    assert_int_equal(flow_agree(r->f, r->now), 0);
    rig_expect(r, API_TOKEN);
    r->now += 100;
    answer_token(r);
    rig_expect(r, API_LINK);
    r->now += 100;
    answer_link(r, "link-9", API_LINK_IN_PROGRESS);
    assert_int_equal(state_of(r), FLOW_WAITING);
}

static int is_hex32(const char *s)
{
    if (strlen(s) != 32)
        return 0;
    for (size_t i = 0; i < 32; i++) {
        if (!isxdigit((unsigned char)s[i]))
            return 0;
    }
    return 1;
}

/* Happy path, first part: INN, check, one pending poll, "not linked". */
static void happy_check(struct rig *r, const struct flow_view *v)
{
    assert_int_equal(flow_submit_inn(r->f, INN_LINKABLE, 0), INN_OK);
    assert_int_equal(v->state, FLOW_CHECKING);
    assert_string_equal(v->inn_masked, "50********40");
    assert_int_equal(v->started_ms, 0);
    assert_int_equal(v->busy, 1);
    rig_expect(r, API_CHECK);
    assert_non_null(strstr(r->req.body, INN_LINKABLE));

    r->now = 200;
    answer_check_id(r, "req-1");
    assert_int_equal(v->busy, 0);
    assert_int_equal(flow_next_deadline(r->f, r->now), 500);
    assert_int_equal(rig_run(r, 5000), 1);
    assert_int_equal(r->now, 700);
    assert_int_equal(r->req.call, API_STATUS);
    assert_non_null(strstr(r->req.body, "req-1"));

    r->now = 800;
    answer_pending(r);
    assert_int_equal(v->state, FLOW_CHECKING);
    assert_int_equal(rig_run(r, 5000), 1);
    assert_int_equal(r->now, 1800);
    assert_int_equal(r->req.call, API_STATUS);

    r->now = 1900;
    answer_verdict(r, API_VERDICT_NOT_LINKED);
    assert_int_equal(v->state, FLOW_CONSENT);
    assert_int_equal(v->last_verdict, API_VERDICT_NOT_LINKED);
    assert_int_equal(v->last_answer_ms, 1900);
    assert_int_equal(v->started_ms, -1);
    rig_expect_none(r);
}

/* Happy path, second part: consent, token, link request, waiting. */
static void happy_filing(struct rig *r, const struct flow_view *v)
{
    r->now = 5000;
    assert_int_equal(flow_agree(r->f, r->now), 0);
    assert_int_equal(v->state, FLOW_FILING);
    rig_expect(r, API_TOKEN);
    assert_non_null(strstr(r->req.body, INN_LINKABLE));

    r->now = 5200;
    answer_token(r);
    rig_expect(r, API_LINK);
    assert_non_null(strstr(r->req.body, "INCOME_REGISTRATION"));
    assert_non_null(strstr(r->req.body, "PAYMENT_INFORMATION"));

    r->now = 5400;
    answer_link(r, "link-9", API_LINK_IN_PROGRESS);
    assert_int_equal(v->state, FLOW_WAITING);
    assert_int_equal(v->next_check_ms, 30200);
    assert_int_equal(flow_next_deadline(r->f, r->now), 30200 - 5400);
}

static void test_happy_path(void **state)
{
    struct rig *r = *state;
    const struct flow_view *v = flow_view(r->f);

    happy_check(r, v);
    happy_filing(r, v);

    assert_int_equal(rig_run(r, 40000), 1);
    assert_int_equal(r->now, 30200);
    assert_int_equal(r->req.call, API_CHECK);
    run_check(r, API_VERDICT_LINKED);
    assert_int_equal(v->state, FLOW_LINKED);
    assert_int_equal(v->next_check_ms, -1);
    assert_int_equal(flow_next_deadline(r->f, r->now), -1);

    assert_int_equal(r->sent[API_CHECK], 2);
    assert_int_equal(r->sent[API_STATUS], 3);
    assert_int_equal(r->sent[API_TOKEN], 1);
    assert_int_equal(r->sent[API_LINK], 1);
    assert_int_equal(r->sent[API_LINK_STATUS], 0);
}

static void test_bad_inn_queues_nothing(void **state)
{
    struct rig *r = *state;
    const struct flow_view *v = flow_view(r->f);

    assert_int_equal(flow_submit_inn(r->f, "500000000341", 0), INN_BAD_CHECK12);
    assert_int_equal(v->state, FLOW_INN);
    assert_int_equal(v->inn_verdict, INN_BAD_CHECK12);
    assert_string_equal(v->inn_masked, "");

    assert_int_equal(flow_submit_inn(r->f, "7707083893", 0), INN_COMPANY);
    assert_int_equal(v->inn_verdict, INN_COMPANY);
    assert_int_equal(v->state, FLOW_INN);
    rig_expect_none(r);
    assert_int_equal(flow_next_deadline(r->f, 0), -1);
}

static void test_verdict_not_self_employed(void **state)
{
    struct rig *r = *state;

    flow_submit_inn(r->f, INN_LINKABLE, 0);
    rig_expect(r, API_CHECK);
    run_check(r, API_VERDICT_NOT_SELF_EMPLOYED);

    assert_int_equal(state_of(r), FLOW_NOT_SELF_EMPLOYED);
    assert_int_equal(flow_view(r->f)->last_verdict,
                     API_VERDICT_NOT_SELF_EMPLOYED);
    assert_int_equal(flow_agree(r->f, r->now), -1);
    rig_expect_none(r);
}

static void test_verdict_already_linked(void **state)
{
    struct rig *r = *state;

    flow_submit_inn(r->f, INN_LINKABLE, 0);
    rig_expect(r, API_CHECK);
    run_check(r, API_VERDICT_LINKED);

    assert_int_equal(state_of(r), FLOW_ALREADY_LINKED);
    assert_int_equal(flow_view(r->f)->last_verdict, API_VERDICT_LINKED);
    rig_expect_none(r);
}

/* The error-code form of a verdict comes straight in the check reply. */
static void test_verdict_in_check_reply_settles_at_once(void **state)
{
    struct rig *r = *state;

    flow_submit_inn(r->f, INN_LINKABLE, 0);
    rig_expect(r, API_CHECK);
    r->now = 300;
    answer_verdict(r, API_VERDICT_NOT_SELF_EMPLOYED);

    assert_int_equal(state_of(r), FLOW_NOT_SELF_EMPLOYED);
    assert_int_equal(flow_view(r->f)->last_answer_ms, 300);
    assert_int_equal(rig_run(r, 120000), 0);
    assert_int_equal(r->sent[API_STATUS], 0);
}

struct fault_case {
    enum api_fault fault;
    long http;
    const char *code;
    const char *text;
};

static const struct fault_case fault_cases[] = {
    {API_FAULT_NETWORK, 0, "", "could not connect"},
    {API_FAULT_BANK, 502, "", "the bank failed (HTTP 502)"},
    {API_FAULT_TAX_SERVICE, 200, "npd_service_internal_error",
     "the tax service failed"},
    {API_FAULT_CONFIG, 401, "authentication_error", "bad signature"},
};

static void assert_fault(const struct flow_view *v, const struct fault_case *c,
                         enum api_call call)
{
    assert_int_equal(v->state, FLOW_ERROR);
    assert_int_equal(v->fault, c->fault);
    assert_int_equal(v->failed_call, call);
    assert_int_equal(v->http_status, c->http);
    assert_string_equal(v->code, c->code);
    assert_string_equal(v->detail, c->text);
    assert_int_equal(v->last_verdict, API_VERDICT_NONE);
    assert_int_equal(v->last_answer_ms, -1);
    assert_int_equal(v->busy, 0);
}

static void test_faults_on_check_land_in_error(void **state)
{
    struct rig *r = *state;

    for (size_t i = 0; i < sizeof(fault_cases) / sizeof(fault_cases[0]); i++) {
        const struct fault_case *c = &fault_cases[i];

        flow_reset(r->f);
        r->now += 60000;
        flow_submit_inn(r->f, INN_LINKABLE, r->now);
        rig_expect(r, API_CHECK);
        answer_fault(r, c->fault, c->http, c->code, c->text);

        assert_fault(flow_view(r->f), c, API_CHECK);
        assert_int_equal(rig_run(r, r->now + 120000), 0);
    }
}

static void test_faults_on_status_land_in_error(void **state)
{
    struct rig *r = *state;

    for (size_t i = 0; i < sizeof(fault_cases) / sizeof(fault_cases[0]); i++) {
        const struct fault_case *c = &fault_cases[i];

        flow_reset(r->f);
        r->now += 60000;
        flow_submit_inn(r->f, INN_LINKABLE, r->now);
        rig_expect(r, API_CHECK);
        answer_check_id(r, "req-2");
        assert_int_equal(rig_run(r, r->now + 5000), 1);
        assert_int_equal(r->req.call, API_STATUS);
        answer_fault(r, c->fault, c->http, c->code, c->text);

        assert_fault(flow_view(r->f), c, API_STATUS);
        assert_int_equal(rig_run(r, r->now + 120000), 0);
    }
}

static void test_status_time_limit(void **state)
{
    struct rig *r = *state;
    const struct flow_view *v = flow_view(r->f);
    int64_t last_poll = 0;

    flow_submit_inn(r->f, INN_LINKABLE, 0);
    rig_expect(r, API_CHECK);
    answer_check_id(r, "slow");

    while (rig_run(r, 70000)) {
        assert_int_equal(r->req.call, API_STATUS);
        assert_true(r->now - last_poll <= 4000);
        last_poll = r->now;
        answer_pending(r);
    }

    assert_int_equal(v->state, FLOW_ERROR);
    assert_int_equal(v->fault, API_FAULT_TAX_SERVICE);
    assert_int_equal(v->failed_call, API_STATUS);
    assert_string_equal(v->detail, "the tax service did not answer in time");
    assert_int_equal(v->last_verdict, API_VERDICT_NONE);
    assert_true(last_poll < 60000);
    assert_true(last_poll > 55000);
    assert_int_equal(r->sent[API_CHECK], 1);
}

/* Polls double from 0.5 s and stop growing at 4 s. */
static void test_status_polls_back_off(void **state)
{
    struct rig *r = *state;
    const int64_t want[] = {500, 1000, 2000, 4000, 4000, 4000};
    int64_t prev = 0;

    flow_submit_inn(r->f, INN_LINKABLE, 0);
    rig_expect(r, API_CHECK);
    answer_check_id(r, "slow");

    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        assert_int_equal(rig_run(r, 60000), 1);
        assert_int_equal(r->now - prev, want[i]);
        prev = r->now;
        answer_pending(r);
    }
    assert_int_equal(state_of(r), FLOW_CHECKING);
}

static void test_refresh_five_times_one_check(void **state)
{
    struct rig *r = *state;
    const int64_t presses[] = {26000, 28500, 31000, 33500, 36000};
    int checks_before;

    reach_waiting(r);
    checks_before = r->sent[API_CHECK];

    for (size_t i = 0; i < 5; i++) {
        r->now = presses[i];
        flow_tick(r->f, r->now);
        flow_refresh(r->f, r->now);
        while (rig_take(r)) {
            if (r->req.call == API_CHECK)
                answer_check_id(r, "req-r");
            else if (r->req.call == API_STATUS)
                answer_verdict(r, API_VERDICT_NOT_LINKED);
            else
                answer_link_state(r, API_LINK_IN_PROGRESS);
        }
    }

    assert_int_equal(r->sent[API_CHECK] - checks_before, 1);
    assert_int_equal(state_of(r), FLOW_WAITING);
    assert_int_equal(flow_view(r->f)->refresh_wait_s, 25);
}

static void test_refresh_reports_seconds_left(void **state)
{
    struct rig *r = *state;
    const struct flow_view *v = flow_view(r->f);
    unsigned long version;

    reach_waiting(r);

    r->now = 10100;
    version = v->version;
    assert_int_equal(flow_refresh(r->f, r->now), 20);
    assert_int_equal(v->refresh_wait_s, 20);
    assert_int_equal(v->refresh_refused_ms, 10100);
    assert_true(v->version != version);
    rig_expect_none(r);

    assert_int_equal(flow_refresh(r->f, 10101), 20);
    assert_int_equal(flow_refresh(r->f, 29101), 1);
    rig_expect_none(r);

    r->now = 30100;
    assert_int_equal(flow_refresh(r->f, r->now), 0);
    assert_int_equal(v->refresh_wait_s, 0);
    assert_int_equal(v->refresh_refused_ms, -1);
    rig_expect(r, API_CHECK);

    /* A check already under way: nothing new goes out. */
    assert_int_equal(flow_refresh(r->f, 30100), 0);
    rig_expect_none(r);
}

static void test_refresh_outside_waiting_is_refused(void **state)
{
    struct rig *r = *state;

    assert_int_equal(flow_refresh(r->f, 0), -1);
    flow_submit_inn(r->f, INN_LINKABLE, 0);
    assert_int_equal(flow_refresh(r->f, 0), -1);
}

/* Background checks back off while failing, never closer than the gap,
 * and return to the normal period after one success. */
static void test_waiting_failures_back_off(void **state)
{
    struct rig *r = *state;
    const struct flow_view *v = flow_view(r->f);

    reach_waiting(r);

    assert_int_equal(rig_run(r, 100000), 1);
    assert_int_equal(r->now, 30100);
    answer_fault(r, API_FAULT_NETWORK, 0, "", "no answer in time");
    assert_int_equal(v->state, FLOW_WAITING);
    assert_int_equal(v->fault, API_FAULT_NETWORK);
    assert_int_equal(v->failures, 1);
    assert_int_equal(v->next_check_ms, 90100);

    assert_int_equal(rig_run(r, 1000000), 1);
    assert_int_equal(r->now, 90100);
    answer_fault(r, API_FAULT_BANK, 502, "", "the bank failed (HTTP 502)");
    assert_int_equal(v->failures, 2);
    assert_int_equal(v->next_check_ms, 90100 + 120000);

    assert_int_equal(rig_run(r, 1000000), 1);
    assert_int_equal(r->now, 210100);
    run_check(r, API_VERDICT_NOT_LINKED);
    rig_expect(r, API_LINK_STATUS);
    assert_non_null(strstr(r->req.body, "link-9"));
    answer_link_state(r, API_LINK_IN_PROGRESS);
    assert_int_equal(v->fault, API_FAULT_NONE);
    assert_int_equal(v->failures, 0);
    assert_string_equal(v->detail, "");
    assert_int_equal(v->next_check_ms, 240200);

    assert_int_equal(rig_run(r, 1000000), 1);
    assert_int_equal(r->now, 240200);
    for (int i = 1; i < r->nchecks; i++)
        assert_true(r->check_at[i] - r->check_at[i - 1] >= 30000);
}

static void test_backoff_is_capped_and_honours_retry_after(void **state)
{
    struct rig *r = *state;
    const struct flow_view *v = flow_view(r->f);
    struct api_reply rep = ok_reply();

    reach_waiting(r);
    for (int i = 0; i < 6; i++) {
        assert_int_equal(rig_run(r, r->now + 1000000), 1);
        answer_fault(r, API_FAULT_NETWORK, 0, "", "could not connect");
    }
    assert_int_equal(v->failures, 6);
    assert_int_equal(v->next_check_ms - r->now, 300000);

    assert_int_equal(rig_run(r, r->now + 1000000), 1);
    rep.result = API_RES_ERROR;
    rep.fault = API_FAULT_BANK;
    rep.http_status = 429;
    rep.retry_after_s = 900;
    rig_reply(r, &rep);
    assert_int_equal(v->next_check_ms - r->now, 900000);
}

static void test_stale_reply_after_reset_is_ignored(void **state)
{
    struct rig *r = *state;
    const struct flow_view *v = flow_view(r->f);
    unsigned long old_tag, version;
    struct api_reply rep = ok_reply();

    flow_submit_inn(r->f, INN_LINKABLE, 0);
    rig_expect(r, API_CHECK);
    old_tag = r->req.tag;

    flow_reset(r->f);
    rep.verdict = API_VERDICT_LINKED;
    version = v->version;
    flow_on_reply(r->f, old_tag, &rep, 100);
    assert_int_equal(v->state, FLOW_INN);
    assert_int_equal(v->version, version);

    flow_submit_inn(r->f, INN_OTHER, 200);
    rig_expect(r, API_CHECK);
    assert_int_equal(FLOW_TAG_CALL(r->req.tag), FLOW_TAG_CALL(old_tag));
    assert_true(r->req.tag != old_tag);

    flow_on_reply(r->f, old_tag, &rep, 300);
    assert_int_equal(v->state, FLOW_CHECKING);
    assert_int_equal(v->busy, 1);

    r->now = 400;
    answer_verdict(r, API_VERDICT_NOT_SELF_EMPLOYED);
    assert_int_equal(v->state, FLOW_NOT_SELF_EMPLOYED);

    /* The same reply delivered twice changes nothing the second time. */
    version = v->version;
    answer_verdict(r, API_VERDICT_LINKED);
    assert_int_equal(v->state, FLOW_NOT_SELF_EMPLOYED);
    assert_int_equal(v->version, version);
}

/* While a status poll is out, a late second copy of the check's reply
 * must not be taken for the poll's answer. */
static void test_reply_to_another_request_is_ignored(void **state)
{
    struct rig *r = *state;
    unsigned long check_tag;
    struct api_reply rep = ok_reply();

    flow_submit_inn(r->f, INN_LINKABLE, 0);
    rig_expect(r, API_CHECK);
    check_tag = r->req.tag;
    answer_check_id(r, "req-1");
    assert_int_equal(rig_run(r, 5000), 1);
    assert_int_equal(r->req.call, API_STATUS);

    rep.verdict = API_VERDICT_LINKED;
    flow_on_reply(r->f, check_tag, &rep, r->now);
    assert_int_equal(state_of(r), FLOW_CHECKING);
    assert_int_equal(flow_view(r->f)->busy, 1);

    answer_verdict(r, API_VERDICT_NOT_LINKED);
    assert_int_equal(state_of(r), FLOW_CONSENT);
}

/* Sixteen requests after a reset the sequence bits repeat; the
 * generation still tells the old reply apart. */
static void test_stale_reply_after_sequence_wraps(void **state)
{
    struct rig *r = *state;
    unsigned long old_tag;
    struct api_reply rep = ok_reply();

    flow_submit_inn(r->f, INN_LINKABLE, 0);
    rig_expect(r, API_CHECK);
    answer_check_id(r, "req-1");
    assert_int_equal(rig_run(r, 5000), 1);
    old_tag = r->req.tag;
    flow_reset(r->f);

    flow_submit_inn(r->f, INN_OTHER, r->now);
    rig_expect(r, API_CHECK);
    answer_check_id(r, "req-2");
    for (int i = 0; i < 14; i++) {
        assert_int_equal(rig_run(r, r->now + 5000), 1);
        answer_pending(r);
    }
    assert_int_equal(rig_run(r, r->now + 5000), 1);
    assert_int_equal(r->req.call, API_STATUS);
    assert_int_equal(r->req.tag & 0xffu, old_tag & 0xffu);

    rep.verdict = API_VERDICT_LINKED;
    flow_on_reply(r->f, old_tag, &rep, r->now);
    assert_int_equal(state_of(r), FLOW_CHECKING);

    answer_verdict(r, API_VERDICT_NOT_SELF_EMPLOYED);
    assert_int_equal(state_of(r), FLOW_NOT_SELF_EMPLOYED);
}

static void test_reset_wipes_the_view(void **state)
{
    struct rig *r = *state;
    const struct flow_view *v;

    reach_waiting(r);
    v = flow_view(r->f);
    assert_string_equal(v->inn_masked, "50********40");
    assert_null(memmem(v, sizeof(*v), INN_LINKABLE, INN_LEN));

    flow_reset(r->f);
    v = flow_view(r->f);
    assert_int_equal(v->state, FLOW_INN);
    assert_string_equal(v->inn_masked, "");
    assert_null(memmem(v, sizeof(*v), "5000000", 7));
    assert_int_equal(v->last_verdict, API_VERDICT_NONE);
    assert_int_equal(v->next_check_ms, -1);
    assert_int_equal(v->busy, 0);
    assert_int_equal(flow_next_deadline(r->f, r->now), -1);
    assert_int_equal(rig_run(r, r->now + 200000), 0);
}

static void test_same_inn_again_waits_for_gap(void **state)
{
    struct rig *r = *state;
    const struct flow_view *v = flow_view(r->f);

    flow_submit_inn(r->f, INN_LINKABLE, 0);
    rig_expect(r, API_CHECK);
    run_check(r, API_VERDICT_NOT_SELF_EMPLOYED);

    flow_reset(r->f);
    r->now = 10000;
    assert_int_equal(flow_submit_inn(r->f, INN_LINKABLE, r->now), INN_OK);
    assert_int_equal(v->state, FLOW_CHECKING);
    assert_int_equal(v->next_check_ms, 30100);
    assert_int_equal(flow_next_deadline(r->f, r->now), 20100);
    rig_expect_none(r);

    flow_tick(r->f, 30099);
    rig_expect_none(r);
    assert_int_equal(rig_run(r, 60000), 1);
    assert_int_equal(r->now, 30100);
    assert_int_equal(r->req.call, API_CHECK);

    /* Another customer's INN is not held back. */
    flow_reset(r->f);
    flow_submit_inn(r->f, INN_OTHER, 31000);
    rig_expect(r, API_CHECK);
}

/* The bank counts the gap from when a check reached it, which may be as
 * late as its reply: a slow reply pushes the next check out. */
static void test_gap_counts_from_the_reply(void **state)
{
    struct rig *r = *state;
    const struct flow_view *v = flow_view(r->f);

    flow_submit_inn(r->f, INN_LINKABLE, 0);
    rig_expect(r, API_CHECK);
    r->now = 5000;
    answer_verdict(r, API_VERDICT_NOT_SELF_EMPLOYED);

    flow_reset(r->f);
    flow_submit_inn(r->f, INN_LINKABLE, 20000);
    assert_int_equal(v->next_check_ms, 35000);
    r->now = 20000;
    assert_int_equal(rig_run(r, 60000), 1);
    assert_int_equal(r->now, 35000);
}

/* While a check is out, the same INN typed again after a reset waits. */
static void test_check_out_blocks_same_inn(void **state)
{
    struct rig *r = *state;
    const struct flow_view *v = flow_view(r->f);

    flow_submit_inn(r->f, INN_LINKABLE, 0);
    rig_expect(r, API_CHECK);
    flow_reset(r->f);

    flow_submit_inn(r->f, INN_LINKABLE, 500);
    assert_int_equal(v->state, FLOW_CHECKING);
    assert_int_equal(v->next_check_ms, 30000);
    rig_expect_none(r);
}

/* A check's reply that arrives after a reset still counts for the gap. */
static void test_stale_check_reply_counts_for_gap(void **state)
{
    struct rig *r = *state;
    const struct flow_view *v = flow_view(r->f);

    flow_submit_inn(r->f, INN_LINKABLE, 0);
    rig_expect(r, API_CHECK);
    flow_reset(r->f);

    r->now = 4000;
    answer_check_id(r, "late");
    assert_int_equal(v->state, FLOW_INN);

    flow_submit_inn(r->f, INN_LINKABLE, 20000);
    assert_int_equal(v->state, FLOW_CHECKING);
    assert_int_equal(v->next_check_ms, 34000);
    rig_expect_none(r);
}

/* The bank's text reaches output files: the INN and other runs of 10 to
 * 12 digits in it are masked, longer numbers are left as they are. */
static void test_fault_text_masks_inn(void **state)
{
    struct rig *r = *state;
    const struct flow_view *v = flow_view(r->f);

    flow_submit_inn(r->f, INN_LINKABLE, 0);
    rig_expect(r, API_CHECK);
    answer_fault(r, API_FAULT_BANK, 400, "bad",
                 "ИНН 500000000340 (x9" INN_LINKABLE "), 1234567890, "
                 "+79990000000, 40702810000000000001, 123456789");

    assert_string_equal(v->detail, "ИНН 50********40 (x950********40), "
                                   "12******90, +79*******00, "
                                   "40702810000000000001, 123456789");
    assert_null(strstr(v->detail, INN_LINKABLE));
}

/* Parts of the INN are masked too: the INN in groups, and its start
 * where the bank's text was cut off, whatever its length; the code is
 * masked as well. Short numbers and numbers not found in the INN stay. */
static void test_fault_text_masks_inn_parts(void **state)
{
    struct rig *r = *state;
    const struct flow_view *v = flow_view(r->f);

    flow_submit_inn(r->f, INN_LINKABLE, 0);
    rig_expect(r, API_CHECK);
    answer_fault(r, API_FAULT_BANK, 500, "bad_inn_" INN_LINKABLE,
                 "ИНН 5000 0000 0340 at 12:30, code 4711, cut 50000000");

    assert_string_equal(v->detail, "ИНН **** **** **** at 12:30, code 4711, "
                                   "cut ********");
    assert_string_equal(v->code, "bad_inn_50********40");

    flow_reset(r->f);
    flow_submit_inn(r->f, INN_LINKABLE, 40000);
    rig_expect(r, API_CHECK);
    answer_fault(r, API_FAULT_BANK, 500, "bad",
                 "500 000 000 340; 50-00-00-00-03-40; 2026-12-04; "
                 "cut 5000000003");
    assert_string_equal(v->detail, "*** *** *** ***; **-**-**-**-**-**; "
                                   "2026-12-04; cut **********");

    flow_reset(r->f);
    flow_submit_inn(r->f, INN_LINKABLE, 80000);
    rig_expect(r, API_CHECK);
    answer_fault(r, API_FAULT_BANK, 500, "bad", "cut 50000000034");
    assert_string_equal(v->detail, "cut ***********");
}

static void test_one_link_per_consent(void **state)
{
    struct rig *r = *state;

    flow_submit_inn(r->f, INN_LINKABLE, 0);
    rig_expect(r, API_CHECK);
    run_check(r, API_VERDICT_NOT_LINKED);

    assert_int_equal(flow_agree(r->f, r->now), 0);
    assert_int_equal(flow_agree(r->f, r->now), -1);
    rig_expect(r, API_TOKEN);
    rig_expect_none(r);

    answer_token(r);
    assert_int_equal(flow_agree(r->f, r->now), -1);
    rig_expect(r, API_LINK);
    assert_int_equal(flow_agree(r->f, r->now), -1);
    rig_expect_none(r);

    answer_link(r, "link-1", API_LINK_IN_PROGRESS);
    assert_int_equal(flow_agree(r->f, r->now), -1);
    rig_expect_none(r);
    assert_int_equal(r->sent[API_TOKEN], 1);
    assert_int_equal(r->sent[API_LINK], 1);
}

static void test_idempotency_key_on_link_only(void **state)
{
    struct rig *r = *state;
    char first[40];

    flow_submit_inn(r->f, INN_LINKABLE, 0);
    rig_expect(r, API_CHECK);
    assert_string_equal(r->req.idempotency_key, "");
    r->now = 100;
    answer_check_id(r, "req-1");
    rig_run(r, 5000);
    assert_int_equal(r->req.call, API_STATUS);
    assert_string_equal(r->req.idempotency_key, "");
    answer_verdict(r, API_VERDICT_NOT_LINKED);

    flow_agree(r->f, r->now);
    rig_expect(r, API_TOKEN);
    assert_string_equal(r->req.idempotency_key, "");
    answer_token(r);
    rig_expect(r, API_LINK);
    assert_true(is_hex32(r->req.idempotency_key));
    snprintf(first, sizeof(first), "%s", r->req.idempotency_key);

    answer_link(r, "link-2", API_LINK_IN_PROGRESS);
    assert_int_equal(rig_run(r, 60000), 1);
    run_check(r, API_VERDICT_NOT_LINKED);
    rig_expect(r, API_LINK_STATUS);
    assert_string_equal(r->req.idempotency_key, "");
    answer_link_state(r, API_LINK_FAILED);
    assert_int_equal(state_of(r), FLOW_DECLINED);

    /* A new consent files a new request under a new key. */
    assert_int_equal(flow_retry(r->f, r->now), 0);
    flow_agree(r->f, r->now);
    rig_expect(r, API_TOKEN);
    answer_token(r);
    rig_expect(r, API_LINK);
    assert_true(is_hex32(r->req.idempotency_key));
    assert_string_not_equal(r->req.idempotency_key, first);
}

static void test_declined_then_retry_asks_consent(void **state)
{
    struct rig *r = *state;
    const struct flow_view *v = flow_view(r->f);

    reach_waiting(r);
    assert_int_equal(rig_run(r, 60000), 1);
    run_check(r, API_VERDICT_NOT_LINKED);
    rig_expect(r, API_LINK_STATUS);
    assert_non_null(strstr(r->req.body, "link-9"));
    answer_link_state(r, API_LINK_FAILED);

    assert_int_equal(v->state, FLOW_DECLINED);
    assert_int_equal(v->next_check_ms, -1);
    assert_int_equal(rig_run(r, 200000), 0);

    assert_int_equal(flow_retry(r->f, r->now), 0);
    assert_int_equal(v->state, FLOW_CONSENT);
    rig_expect_none(r);
}

static void test_link_reply_failed_is_declined(void **state)
{
    struct rig *r = *state;

    flow_submit_inn(r->f, INN_LINKABLE, 0);
    rig_expect(r, API_CHECK);
    run_check(r, API_VERDICT_NOT_LINKED);
    flow_agree(r->f, r->now);
    rig_expect(r, API_TOKEN);
    answer_token(r);
    rig_expect(r, API_LINK);
    answer_link(r, "link-3", API_LINK_FAILED);

    assert_int_equal(state_of(r), FLOW_DECLINED);
}

static void test_link_status_completed_is_linked(void **state)
{
    struct rig *r = *state;

    reach_waiting(r);
    assert_int_equal(rig_run(r, 60000), 1);
    run_check(r, API_VERDICT_NOT_LINKED);
    assert_int_equal(state_of(r), FLOW_WAITING);
    rig_expect(r, API_LINK_STATUS);
    answer_link_state(r, API_LINK_COMPLETED);

    assert_int_equal(state_of(r), FLOW_LINKED);
    assert_int_equal(rig_run(r, 200000), 0);
}

static void test_waiting_not_self_employed_is_a_verdict(void **state)
{
    struct rig *r = *state;

    reach_waiting(r);
    assert_int_equal(rig_run(r, 60000), 1);
    run_check(r, API_VERDICT_NOT_SELF_EMPLOYED);

    assert_int_equal(state_of(r), FLOW_NOT_SELF_EMPLOYED);
    assert_int_equal(flow_view(r->f)->fault, API_FAULT_NONE);
    rig_expect_none(r);
}

/* A failed filing returns to consent on retry and sends nothing by
 * itself. */
static void test_filing_fault_retry_returns_to_consent(void **state)
{
    struct rig *r = *state;
    const struct flow_view *v = flow_view(r->f);

    flow_submit_inn(r->f, INN_LINKABLE, 0);
    rig_expect(r, API_CHECK);
    run_check(r, API_VERDICT_NOT_LINKED);
    flow_agree(r->f, r->now);
    rig_expect(r, API_TOKEN);
    answer_token(r);
    rig_expect(r, API_LINK);
    answer_fault(r, API_FAULT_NETWORK, 0, "", "no answer in time");

    assert_int_equal(v->state, FLOW_ERROR);
    assert_int_equal(v->failed_call, API_LINK);
    assert_int_equal(rig_run(r, 200000), 0);

    assert_int_equal(flow_retry(r->f, r->now), 0);
    assert_int_equal(v->state, FLOW_CONSENT);
    assert_int_equal(v->fault, API_FAULT_NONE);
    rig_expect_none(r);
    assert_int_equal(r->sent[API_LINK], 1);
}

static void test_check_fault_retry_honours_gap(void **state)
{
    struct rig *r = *state;
    const struct flow_view *v = flow_view(r->f);

    flow_submit_inn(r->f, INN_LINKABLE, 0);
    rig_expect(r, API_CHECK);
    r->now = 1000;
    answer_fault(r, API_FAULT_BANK, 500, "internal_error", "the bank failed");

    r->now = 5000;
    assert_int_equal(flow_retry(r->f, r->now), 0);
    assert_int_equal(v->state, FLOW_CHECKING);
    assert_int_equal(v->fault, API_FAULT_NONE);
    assert_int_equal(v->next_check_ms, 31000);
    rig_expect_none(r);

    assert_int_equal(rig_run(r, 60000), 1);
    assert_int_equal(r->now, 31000);
    assert_int_equal(r->req.call, API_CHECK);
}

static void test_retry_elsewhere_is_refused(void **state)
{
    struct rig *r = *state;

    assert_int_equal(flow_retry(r->f, 0), -1);
    reach_waiting(r);
    assert_int_equal(flow_retry(r->f, r->now), -1);
    assert_int_equal(state_of(r), FLOW_WAITING);
}

static void test_version_changes_with_view(void **state)
{
    struct rig *r = *state;
    const struct flow_view *v = flow_view(r->f);
    unsigned long version = v->version;

    flow_tick(r->f, 100);
    assert_int_equal(v->version, version);

    flow_submit_inn(r->f, INN_LINKABLE, 100);
    assert_true(v->version > version);
    version = v->version;

    rig_expect(r, API_CHECK);
    answer_check_id(r, "req-1");
    assert_true(v->version > version);
}

static void test_state_names(void **state)
{
    (void)state;

    assert_string_equal(flow_state_name(FLOW_INN), "inn");
    assert_string_equal(flow_state_name(FLOW_CHECKING), "checking");
    assert_string_equal(flow_state_name(FLOW_CONSENT), "consent");
    assert_string_equal(flow_state_name(FLOW_NOT_SELF_EMPLOYED),
                        "not_self_employed");
    assert_string_equal(flow_state_name(FLOW_ALREADY_LINKED), "already_linked");
    assert_string_equal(flow_state_name(FLOW_FILING), "filing");
    assert_string_equal(flow_state_name(FLOW_WAITING), "waiting");
    assert_string_equal(flow_state_name(FLOW_DECLINED), "declined");
    assert_string_equal(flow_state_name(FLOW_LINKED), "linked");
    assert_string_equal(flow_state_name(FLOW_ERROR), "error");
}

/* A stand-in for the shared ledger: says "wait" while wait > 0 and
 * records what it was asked. */
struct gate_fake {
    int64_t wait;
    int id_fails; /* id() fails while set */
    int ids, claims, releases;
    unsigned char claim_id[32], release_id[32];
    int64_t release_at;
};

static struct gate_fake gate_fake;

static int gate_fake_id(void *ctx, const char *inn, unsigned char id[32])
{
    (void)ctx;
    if (gate_fake.id_fails)
        return -1;
    memset(id, 0x11, 32);
    id[0] = (unsigned char)inn[10];
    id[1] = (unsigned char)inn[11];
    gate_fake.ids++;
    return 0;
}

static int64_t gate_fake_claim(void *ctx, const unsigned char id[32],
                               int64_t now_ms)
{
    (void)ctx;
    (void)now_ms;
    memcpy(gate_fake.claim_id, id, 32);
    gate_fake.claims++;
    return gate_fake.wait;
}

static void gate_fake_release(void *ctx, const unsigned char id[32],
                              int64_t now_ms)
{
    (void)ctx;
    memcpy(gate_fake.release_id, id, 32);
    gate_fake.release_at = now_ms;
    gate_fake.releases++;
}

static int rig_setup_gate(void **state)
{
    struct rig *r = calloc(1, sizeof(*r));
    struct flow_config cfg;

    assert_non_null(r);
    memset(&gate_fake, 0, sizeof(gate_fake));
    flow_config_defaults(&cfg);
    cfg.permissions = perms;
    cfg.npermissions = 2;
    cfg.gate.id = gate_fake_id;
    cfg.gate.claim = gate_fake_claim;
    cfg.gate.release = gate_fake_release;
    r->f = flow_new(&cfg);
    assert_non_null(r->f);
    *state = r;
    return 0;
}

static void expect_fake_id(const unsigned char *id)
{
    unsigned char want[32];

    gate_fake_id(NULL, INN_LINKABLE, want);
    gate_fake.ids--;
    assert_memory_equal(id, want, 32);
}

/* Another process holds the INN: nothing is sent, the wait is shown as
 * the next check, and the check goes once the gate allows it. */
static void test_gate_wait_is_the_next_check(void **state)
{
    struct rig *r = *state;
    const struct flow_view *v = flow_view(r->f);

    gate_fake.wait = 12000;
    assert_int_equal(flow_submit_inn(r->f, INN_LINKABLE, 0), INN_OK);
    assert_int_equal(gate_fake.ids, 1);
    assert_int_equal(gate_fake.claims, 1);
    expect_fake_id(gate_fake.claim_id);
    rig_expect_none(r);
    assert_int_equal(v->state, FLOW_CHECKING);
    assert_int_equal(v->busy, 0);
    assert_int_equal(v->next_check_ms, 12000);

    gate_fake.wait = 0;
    assert_int_equal(rig_run(r, 20000), 1);
    assert_int_equal(r->req.call, API_CHECK);
    assert_int_equal(r->now, 12000);
    assert_int_equal(gate_fake.claims, 2);
    assert_int_equal(v->next_check_ms, -1);

    r->now = 12300;
    answer_check_id(r, "req-1");
    assert_int_equal(gate_fake.releases, 1);
    assert_int_equal(gate_fake.release_at, 12300);
    expect_fake_id(gate_fake.release_id);
}

/* Our own gap is asked first: the gate is not asked (and so claims
 * nothing) while it runs. */
static void test_gate_not_asked_inside_own_gap(void **state)
{
    struct rig *r = *state;

    assert_int_equal(flow_submit_inn(r->f, INN_LINKABLE, 0), INN_OK);
    rig_expect(r, API_CHECK);
    r->now = 100;
    answer_verdict(r, API_VERDICT_NOT_SELF_EMPLOYED);
    assert_int_equal(gate_fake.releases, 1);

    flow_reset(r->f);
    assert_int_equal(flow_submit_inn(r->f, INN_LINKABLE, 5000), INN_OK);
    assert_int_equal(gate_fake.claims, 1);
    assert_int_equal(flow_view(r->f)->next_check_ms, 30100);
}

static void test_gate_wait_on_refresh(void **state)
{
    struct rig *r = *state;

    reach_waiting(r);
    r->now += 31000;
    gate_fake.wait = 7000;
    assert_int_equal(flow_refresh(r->f, r->now), 7);
    assert_int_equal(flow_view(r->f)->refresh_wait_s, 7);
    rig_expect_none(r);

    gate_fake.wait = 0;
    assert_int_equal(flow_refresh(r->f, r->now + 7000), 0);
    rig_expect(r, API_CHECK);
}

/* A check still out when the flow goes away is released. */
static void test_gate_released_on_free(void **state)
{
    struct rig *r = *state;

    assert_int_equal(flow_submit_inn(r->f, INN_LINKABLE, 0), INN_OK);
    rig_expect(r, API_CHECK);
    assert_int_equal(gate_fake.releases, 0);

    flow_free(r->f);
    r->f = NULL;
    assert_int_equal(gate_fake.releases, 1);
    expect_fake_id(gate_fake.release_id);
}

/* Two checks out at once, for A and then B after a reset: A's late reply
 * still ends A's claim and restarts A's gap, and B's is kept apart. */
static void test_gate_two_checks_out_across_reset(void **state)
{
    struct rig *r = *state;
    unsigned char id_b[32];
    unsigned long tag_a;
    struct api_reply rep = ok_reply();

    assert_int_equal(flow_submit_inn(r->f, INN_LINKABLE, 0), INN_OK);
    rig_expect(r, API_CHECK);
    tag_a = r->req.tag;
    flow_reset(r->f);
    r->now = 1000;
    assert_int_equal(flow_submit_inn(r->f, INN_OTHER, r->now), INN_OK);
    rig_expect(r, API_CHECK);
    gate_fake_id(NULL, INN_OTHER, id_b);

    flow_on_reply(r->f, tag_a, &rep, 4000);
    assert_int_equal(gate_fake.releases, 1);
    assert_int_equal(gate_fake.release_at, 4000);
    expect_fake_id(gate_fake.release_id);

    r->now = 5000;
    answer_verdict(r, API_VERDICT_NOT_SELF_EMPLOYED);
    assert_int_equal(gate_fake.releases, 2);
    assert_memory_equal(gate_fake.release_id, id_b, 32);

    flow_reset(r->f);
    assert_int_equal(flow_submit_inn(r->f, INN_LINKABLE, 20000), INN_OK);
    assert_int_equal(flow_view(r->f)->next_check_ms, 34000);
    assert_int_equal(gate_fake.claims, 2);
    rig_expect_none(r);
}

/* Every check still out is released when the flow goes away. */
static void test_gate_free_releases_every_check_out(void **state)
{
    struct rig *r = *state;

    assert_int_equal(flow_submit_inn(r->f, INN_LINKABLE, 0), INN_OK);
    rig_expect(r, API_CHECK);
    flow_reset(r->f);
    assert_int_equal(flow_submit_inn(r->f, INN_OTHER, 1000), INN_OK);
    rig_expect(r, API_CHECK);

    flow_free(r->f);
    r->f = NULL;
    assert_int_equal(gate_fake.releases, 2);
}

/* An INN that could not be keyed is keyed again on retry, never checked
 * under an empty id past the gap and the gate. */
static void test_gate_retry_after_id_failure_keys_again(void **state)
{
    struct rig *r = *state;
    const struct flow_view *v = flow_view(r->f);

    gate_fake.id_fails = 1;
    assert_int_equal(flow_submit_inn(r->f, INN_LINKABLE, 0), INN_OK);
    assert_int_equal(v->state, FLOW_ERROR);
    assert_int_equal(flow_retry(r->f, 100), 0);
    assert_int_equal(v->state, FLOW_ERROR);
    assert_int_equal(gate_fake.claims, 0);
    rig_expect_none(r);

    gate_fake.id_fails = 0;
    assert_int_equal(flow_retry(r->f, 200), 0);
    assert_int_equal(gate_fake.claims, 1);
    expect_fake_id(gate_fake.claim_id);
    rig_expect(r, API_CHECK);
}

/* Personal data check */

static const struct flow_person person_ivanov = {"Иванов", "Иван", "Иванович",
                                                 "+79990000000"};

/* An already linked customer, with the data check offered. */
static void to_already_linked(struct rig *r)
{
    assert_int_equal(flow_submit_inn(r->f, INN_LINKABLE, r->now), INN_OK);
    rig_expect(r, API_CHECK);
    answer_verdict(r, API_VERDICT_LINKED);
    assert_int_equal(flow_view(r->f)->state, FLOW_ALREADY_LINKED);
}

static void answer_matches(struct rig *r, int last, int phone)
{
    struct api_reply rep = ok_reply();

    snprintf(rep.fields[0].name, API_FIELD_NAME_MAX, "tax_reference");
    rep.fields[0].matches = 1;
    snprintf(rep.fields[1].name, API_FIELD_NAME_MAX, "last_name");
    rep.fields[1].matches = last;
    snprintf(rep.fields[2].name, API_FIELD_NAME_MAX, "phone");
    rep.fields[2].matches = phone;
    rep.nfields = 3;
    rig_reply(r, &rep);
}

static void test_person_one_request_per_submit(void **state)
{
    struct rig *r = *state;

    to_already_linked(r);
    assert_int_equal(flow_personal_info(r->f, &person_ivanov, r->now), 0);
    rig_expect(r, API_PERSONAL_INFO);
    assert_non_null(strstr(r->req.body, "\"last_name\":\"Иванов\""));
    assert_non_null(strstr(r->req.body, "\"tax_reference\":\"" INN_LINKABLE));
    assert_non_null(strstr(r->req.body, "\"phone\":\"+79990000000\""));
    assert_int_equal(flow_view(r->f)->state, FLOW_PERSON_CHECKING);

    /* A second submit while the first is out sends nothing. */
    assert_int_equal(flow_personal_info(r->f, &person_ivanov, r->now), -1);
    rig_expect_none(r);
    assert_int_equal(r->sent[API_PERSONAL_INFO], 1);
}

static void test_person_results_per_field(void **state)
{
    struct rig *r = *state;
    const struct flow_view *v = flow_view(r->f);

    to_already_linked(r);
    flow_personal_info(r->f, &person_ivanov, r->now);
    rig_expect(r, API_PERSONAL_INFO);
    answer_matches(r, 1, 0);

    assert_int_equal(v->state, FLOW_PERSON_RESULT);
    assert_int_equal(v->person_from, FLOW_ALREADY_LINKED);
    assert_int_equal(v->person[FLOW_FIELD_INN], FLOW_MATCH_YES);
    assert_int_equal(v->person[FLOW_FIELD_LAST], FLOW_MATCH_YES);
    assert_int_equal(v->person[FLOW_FIELD_PHONE], FLOW_MATCH_NO);
    /* Sent, but the reply did not say. */
    assert_int_equal(v->person[FLOW_FIELD_FIRST], FLOW_MATCH_UNKNOWN);
    assert_int_equal(v->fault, API_FAULT_NONE);
    rig_expect_none(r);
}

/* From a result, corrected data goes out for the same customer, and the
 * outcome before the first data check is kept. */
static void test_person_again_from_result(void **state)
{
    struct rig *r = *state;
    const struct flow_view *v = flow_view(r->f);

    to_already_linked(r);
    flow_personal_info(r->f, &person_ivanov, r->now);
    rig_expect(r, API_PERSONAL_INFO);
    answer_matches(r, 1, 0);
    assert_int_equal(v->state, FLOW_PERSON_RESULT);

    assert_int_equal(flow_personal_info(r->f, &person_ivanov, r->now), 0);
    rig_expect(r, API_PERSONAL_INFO);
    assert_int_equal(v->state, FLOW_PERSON_CHECKING);
    answer_matches(r, 1, 1);
    assert_int_equal(v->state, FLOW_PERSON_RESULT);
    assert_int_equal(v->person_from, FLOW_ALREADY_LINKED);
    assert_int_equal(v->person[FLOW_FIELD_PHONE], FLOW_MATCH_YES);
    assert_int_equal(r->sent[API_PERSONAL_INFO], 2);
}

static void test_person_listed_mismatches(void **state)
{
    struct rig *r = *state;
    struct flow_person p = person_ivanov;
    struct api_reply rep = ok_reply();
    const struct flow_view *v = flow_view(r->f);

    p.middle = "";
    to_already_linked(r);
    flow_personal_info(r->f, &p, r->now);
    rig_expect(r, API_PERSONAL_INFO);
    assert_null(strstr(r->req.body, "middle_name"));

    snprintf(rep.fields[0].name, API_FIELD_NAME_MAX, "first_name");
    rep.nfields = 1;
    rep.fields_listed = 1;
    rig_reply(r, &rep);

    assert_int_equal(v->person[FLOW_FIELD_FIRST], FLOW_MATCH_NO);
    assert_int_equal(v->person[FLOW_FIELD_LAST], FLOW_MATCH_YES);
    assert_int_equal(v->person[FLOW_FIELD_PHONE], FLOW_MATCH_YES);
    /* Not sent, so not checked. */
    assert_int_equal(v->person[FLOW_FIELD_MIDDLE], FLOW_MATCH_UNKNOWN);
}

static void test_person_fault_then_retry(void **state)
{
    struct rig *r = *state;
    const struct flow_view *v = flow_view(r->f);
    char *first;

    to_already_linked(r);
    flow_personal_info(r->f, &person_ivanov, r->now);
    rig_expect(r, API_PERSONAL_INFO);
    first = strdup(r->req.body);
    answer_fault(r, API_FAULT_TAX_SERVICE, 502, "npd_service_internal_error",
                 "down");

    assert_int_equal(v->state, FLOW_PERSON_RESULT);
    assert_int_equal(v->fault, API_FAULT_TAX_SERVICE);
    assert_int_equal(v->failed_call, API_PERSONAL_INFO);
    assert_int_equal(v->person[FLOW_FIELD_LAST], FLOW_MATCH_UNKNOWN);

    assert_int_equal(flow_retry(r->f, r->now), 0);
    rig_expect(r, API_PERSONAL_INFO);
    assert_string_equal(r->req.body, first);
    free(first);
    answer_matches(r, 1, 1);
    assert_int_equal(v->fault, API_FAULT_NONE);
    assert_int_equal(v->person[FLOW_FIELD_PHONE], FLOW_MATCH_YES);

    /* Without a fault there is nothing to retry. */
    assert_int_equal(flow_retry(r->f, r->now), -1);
    rig_expect_none(r);
}

static void test_person_refused_elsewhere(void **state)
{
    struct rig *r = *state;
    struct flow_person p = person_ivanov;

    assert_int_equal(flow_personal_info(r->f, &person_ivanov, r->now), -1);
    to_already_linked(r);
    p.phone = " ";
    assert_int_equal(flow_personal_info(r->f, &p, r->now), -1);
    p = person_ivanov;
    p.last = "\xff\xfe";
    assert_int_equal(flow_personal_info(r->f, &p, r->now), -1);
    rig_expect_none(r);
    assert_int_equal(flow_view(r->f)->state, FLOW_ALREADY_LINKED);
}

static void test_person_reset_wipes(void **state)
{
    struct rig *r = *state;
    const struct flow_view *v = flow_view(r->f);

    to_already_linked(r);
    flow_personal_info(r->f, &person_ivanov, r->now);
    rig_expect(r, API_PERSONAL_INFO);
    answer_matches(r, 0, 0);
    flow_reset(r->f);

    assert_int_equal(v->state, FLOW_INN);
    for (int i = 0; i < FLOW_FIELD_COUNT; i++)
        assert_int_equal(v->person[i], FLOW_MATCH_UNKNOWN);
    assert_null(memmem(v, sizeof(*v), "Иванов", strlen("Иванов")));
    /* Retrying after a reset has no kept request to send. */
    assert_int_equal(flow_retry(r->f, r->now), -1);
    rig_expect_none(r);
}

static void test_person_one_name_field(void **state)
{
    struct rig *r = *state;
    struct flow_config cfg;
    struct api_reply rep = ok_reply();
    const struct flow_view *v;

    flow_free(r->f);
    flow_config_defaults(&cfg);
    cfg.person_name_fields = "full_name";
    cfg.person_inn_field = "inn";
    r->f = flow_new(&cfg);
    v = flow_view(r->f);
    to_already_linked(r);
    flow_personal_info(r->f, &person_ivanov, r->now);
    rig_expect(r, API_PERSONAL_INFO);
    assert_non_null(
        strstr(r->req.body, "\"full_name\":\"Иванов Иван Иванович\""));
    assert_non_null(strstr(r->req.body, "\"inn\":\""));

    snprintf(rep.fields[0].name, API_FIELD_NAME_MAX, "full_name");
    rep.nfields = 1;
    rig_reply(r, &rep);
    assert_int_equal(v->person[FLOW_FIELD_LAST], FLOW_MATCH_NO);
    assert_int_equal(v->person[FLOW_FIELD_MIDDLE], FLOW_MATCH_NO);
    assert_int_equal(v->person[FLOW_FIELD_INN], FLOW_MATCH_UNKNOWN);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, rig_setup, rig_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_happy_path),
        T(test_bad_inn_queues_nothing),
        T(test_verdict_not_self_employed),
        T(test_verdict_already_linked),
        T(test_verdict_in_check_reply_settles_at_once),
        T(test_faults_on_check_land_in_error),
        T(test_faults_on_status_land_in_error),
        T(test_status_time_limit),
        T(test_status_polls_back_off),
        T(test_refresh_five_times_one_check),
        T(test_refresh_reports_seconds_left),
        T(test_refresh_outside_waiting_is_refused),
        T(test_waiting_failures_back_off),
        T(test_backoff_is_capped_and_honours_retry_after),
        T(test_stale_reply_after_reset_is_ignored),
        T(test_reply_to_another_request_is_ignored),
        T(test_stale_reply_after_sequence_wraps),
        T(test_reset_wipes_the_view),
        T(test_same_inn_again_waits_for_gap),
        T(test_gap_counts_from_the_reply),
        T(test_check_out_blocks_same_inn),
        T(test_stale_check_reply_counts_for_gap),
        T(test_fault_text_masks_inn),
        T(test_fault_text_masks_inn_parts),
        T(test_one_link_per_consent),
        T(test_idempotency_key_on_link_only),
        T(test_declined_then_retry_asks_consent),
        T(test_link_reply_failed_is_declined),
        T(test_link_status_completed_is_linked),
        T(test_waiting_not_self_employed_is_a_verdict),
        T(test_filing_fault_retry_returns_to_consent),
        T(test_check_fault_retry_honours_gap),
        T(test_retry_elsewhere_is_refused),
        T(test_version_changes_with_view),
        T(test_state_names),
        T(test_person_one_request_per_submit),
        T(test_person_results_per_field),
        T(test_person_again_from_result),
        T(test_person_listed_mismatches),
        T(test_person_fault_then_retry),
        T(test_person_refused_elsewhere),
        T(test_person_reset_wipes),
        T(test_person_one_name_field),
#define G(fn) cmocka_unit_test_setup_teardown(fn, rig_setup_gate, rig_teardown)
        G(test_gate_wait_is_the_next_check),
        G(test_gate_not_asked_inside_own_gap),
        G(test_gate_wait_on_refresh),
        G(test_gate_released_on_free),
        G(test_gate_two_checks_out_across_reset),
        G(test_gate_free_releases_every_check_out),
        G(test_gate_retry_after_id_failure_keys_again),
#undef G
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
