/*
 * flow: the customer's way from INN to "linked". See docs/flow.md for the
 * states and the table of transitions.
 */
#include "flow.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "persondata.h"
#include "sched.h"

#define FLOW_SECRET_LEN 32
#define FLOW_KEY_BYTES 16
#define FLOW_BACKOFF_CAP_MS (5 * 60 * 1000)
#define FLOW_CHECKS_OUT 8   /* resets while checks are still out */
#define FLOW_TEXT_DIGITS 64 /* longest number in the bank's text compared */

/* An npd/check sent and not yet answered, by its tag and keyed hash. */
struct flow_out {
    unsigned char id[SCHED_ID_LEN];
    unsigned long tag;
    int used;
};

struct flow {
    struct flow_config cfg;
    struct flow_view view;
    struct sched sched; /* outlives resets; holds only keyed hashes */
    unsigned char secret[FLOW_SECRET_LEN];
    unsigned long generation; /* bumped by reset; part of every tag */
    unsigned long seq;

    char inn[INN_LEN + 1];
    unsigned char inn_id[SCHED_ID_LEN];

    /* The one request: queued until the engine takes it, awaited until
     * its reply comes back. view.busy covers both. */
    struct flow_req queued;
    int has_queued;
    unsigned long awaited;

    /* The check in progress: npd/check sent, no definite answer yet. */
    int checking;
    char request_id[API_ID_MAX];
    int64_t check_sent_ms;
    int64_t next_poll_ms;
    int64_t poll_delay_ms;
    int64_t last_check_ms; /* last npd/check for this INN, -1 none */
    int64_t not_before_ms; /* from Retry-After, -1 none */

    /* The npd/checks out now, kept across resets: the bank counts the gap
     * from when a check reached it, which is no later than its reply, so
     * the gap is counted again from the reply, even a stale one. Hold only
     * keyed hashes. */
    struct flow_out out[FLOW_CHECKS_OUT];
    unsigned out_next; /* the one given up when all are out */

    char link_id[API_ID_MAX];
    enum flow_state failed_in; /* what FLOW_ERROR's retry redoes */

    char *person_body; /* the last data check sent, for its retry */
    unsigned person_sent;
};

void flow_config_defaults(struct flow_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->min_check_gap_ms = 30000;
    cfg->recheck_ms = 30000;
    cfg->status_limit_ms = 60000;
    cfg->status_first_ms = 500;
    cfg->status_max_ms = 4000;
    cfg->person_inn_field = "tax_reference";
    cfg->person_name_fields = "last_name,first_name,middle_name";
    cfg->person_phone_field = "phone";
}

const char *flow_state_name(enum flow_state s)
{
    static const char *const names[] = {
        [FLOW_INN] = "inn",
        [FLOW_CHECKING] = "checking",
        [FLOW_NOT_SELF_EMPLOYED] = "not_self_employed",
        [FLOW_ALREADY_LINKED] = "already_linked",
        [FLOW_CONSENT] = "consent",
        [FLOW_FILING] = "filing",
        [FLOW_WAITING] = "waiting",
        [FLOW_DECLINED] = "declined",
        [FLOW_LINKED] = "linked",
        [FLOW_ERROR] = "error",
        [FLOW_PERSON_CHECKING] = "person_checking",
        [FLOW_PERSON_RESULT] = "person_result",
    };

    if ((unsigned)s >= sizeof(names) / sizeof(names[0]))
        return "unknown";
    return names[s];
}

static int64_t flow_max(int64_t a, int64_t b)
{
    return a > b ? a : b;
}

static int64_t flow_min(int64_t a, int64_t b)
{
    return a < b ? a : b;
}

/* Bumps the version when anything a screen shows differs from before. */
static void flow_touch(struct flow *f, const struct flow_view *before)
{
    if (memcmp(before, &f->view, sizeof(*before)) != 0)
        f->view.version = before->version + 1;
}

static void flow_view_clear(struct flow_view *v)
{
    unsigned long version = v->version;

    memset(v, 0, sizeof(*v));
    v->version = version;
    v->state = FLOW_INN;
    v->inn_verdict = INN_EMPTY;
    v->started_ms = -1;
    v->last_answer_ms = -1;
    v->last_verdict = API_VERDICT_NONE;
    v->next_check_ms = -1;
    v->refresh_refused_ms = -1;
    v->fault = API_FAULT_NONE;
}

static void flow_drop_queued(struct flow *f)
{
    if (f->has_queued && f->queued.body) {
        inn_wipe(f->queued.body, strlen(f->queued.body));
        free(f->queued.body);
    }
    memset(&f->queued, 0, sizeof(f->queued));
    f->has_queued = 0;
}

/* The kept data check holds the INN, the names and the phone. */
static void flow_drop_person(struct flow *f)
{
    if (f->person_body)
        inn_wipe(f->person_body, strlen(f->person_body));
    free(f->person_body);
    f->person_body = NULL;
}

/* Forgets the customer. The scheduler and Retry-After are kept: they are
 * about the bank's limits, not about this customer. */
static void flow_forget(struct flow *f)
{
    flow_drop_queued(f);
    f->generation++;
    f->awaited = 0;
    f->checking = 0;
    f->check_sent_ms = -1;
    f->next_poll_ms = -1;
    f->last_check_ms = -1;
    f->failed_in = FLOW_CHECKING;

    inn_wipe(f->inn, sizeof(f->inn));
    inn_wipe(f->inn_id, sizeof(f->inn_id));
    inn_wipe(f->request_id, sizeof(f->request_id));
    inn_wipe(f->link_id, sizeof(f->link_id));
    flow_drop_person(f);

    flow_view_clear(&f->view);
}

struct flow *flow_new(const struct flow_config *cfg)
{
    struct flow *f = calloc(1, sizeof(*f));
    if (!f)
        return NULL;

    if (cfg)
        f->cfg = *cfg;
    else
        flow_config_defaults(&f->cfg);
    if (f->cfg.recheck_ms < f->cfg.min_check_gap_ms)
        f->cfg.recheck_ms = f->cfg.min_check_gap_ms;

    if (RAND_bytes(f->secret, sizeof(f->secret)) != 1) {
        free(f);
        return NULL;
    }

    sched_init(&f->sched, f->cfg.min_check_gap_ms);
    f->not_before_ms = -1;
    flow_forget(f);
    f->view.version = 0;
    return f;
}

void flow_free(struct flow *f)
{
    if (!f)
        return;

    /* Their replies will never come: the gap counts from now instead. */
    for (int i = 0; i < FLOW_CHECKS_OUT; i++) {
        if (f->out[i].used && f->cfg.gate.release)
            f->cfg.gate.release(f->cfg.gate.ctx, f->out[i].id, 0);
    }
    flow_forget(f);
    OPENSSL_cleanse(f->out, sizeof(f->out));
    OPENSSL_cleanse(f->secret, sizeof(f->secret));
    OPENSSL_cleanse(&f->sched, sizeof(f->sched));
    free(f);
}

/* Queues the one request; body is taken over (NULL: out of memory). */
static int flow_queue(struct flow *f, enum api_call call, char *body,
                      const char *key)
{
    if (!body)
        return -1;

    f->seq += 0x10;
    f->queued.call = call;
    f->queued.body = body;
    f->queued.tag =
        (f->generation << 8) | (f->seq & 0xf0u) | ((unsigned long)call & 0xfu);
    snprintf(f->queued.idempotency_key, sizeof(f->queued.idempotency_key), "%s",
             key ? key : "");
    f->has_queued = 1;

    f->awaited = f->queued.tag;
    f->view.busy = 1;
    return 0;
}

static void flow_end_check(struct flow *f)
{
    f->checking = 0;
    f->next_poll_ms = -1;
    inn_wipe(f->request_id, sizeof(f->request_id));
    f->view.started_ms = -1;
}

static void flow_clear_fault(struct flow *f)
{
    struct flow_view *v = &f->view;

    v->fault = API_FAULT_NONE;
    v->failed_call = API_CHECK;
    v->http_status = 0;
    memset(v->code, 0, sizeof(v->code));
    memset(v->detail, 0, sizeof(v->detail));
    v->failures = 0;
}

/* Keeps the first two and last two of n digits. */
static void flow_mask_run(char *run, size_t n)
{
    for (size_t i = 2; i + 2 < n; i++)
        run[i] = '*';
}

static int flow_is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* A separator inside a written number: "7712 3456", "77-12", "77.12". */
static int flow_is_digit_sep(const char *s)
{
    return (s[0] == ' ' || s[0] == '-' || s[0] == '.') && flow_is_digit(s[1]);
}

/* Masks every digit of the number at s (digits with single separators
 * between them) when its digits, four or more, are found in the INN: the
 * INN in groups, or a part of it where the text was cut. Returns the
 * number's length. */
static size_t flow_mask_inn_part(const struct flow *f, char *s)
{
    char digits[FLOW_TEXT_DIGITS];
    size_t n = 0, end = 0, len = strlen(f->inn);

    while (flow_is_digit(s[end]) || (end > 0 && flow_is_digit_sep(s + end))) {
        if (flow_is_digit(s[end]) && n < sizeof(digits))
            digits[n++] = s[end];
        end++;
    }

    if (n >= 4 && n < sizeof(digits) && len > 0 &&
        memmem(f->inn, len, digits, n) != NULL)
        for (size_t i = 0; i < end; i++)
            if (flow_is_digit(s[i]))
                s[i] = '*';
    inn_wipe(digits, sizeof(digits));
    return end;
}

/* The bank's text may echo what it was sent, and the text reaches files:
 * the INN wherever it stands, any part of it of four digits or more, and
 * any other run of 10 to 12 digits (an INN of a company, or an id made of
 * one) is shown masked. */
static void flow_mask_text(const struct flow *f, char *s)
{
    size_t len = strlen(f->inn);
    char *at;

    for (at = len ? strstr(s, f->inn) : NULL; at; at = strstr(at, f->inn))
        flow_mask_run(at, len);

    for (size_t i = 0; s[i] != '\0';) {
        if (flow_is_digit(s[i]) && (i == 0 || !flow_is_digit(s[i - 1])))
            i += flow_mask_inn_part(f, s + i);
        else
            i++;
    }
    inn_mask_runs(s);
}

static void flow_copy_fault(struct flow *f, enum api_call call,
                            const struct api_reply *r)
{
    struct flow_view *v = &f->view;

    v->fault = r->fault == API_FAULT_NONE ? API_FAULT_BANK : r->fault;
    v->failed_call = call;
    v->http_status = r->http_status;
    memset(v->code, 0, sizeof(v->code));
    snprintf(v->code, sizeof(v->code), "%s", r->code);
    flow_mask_text(f, v->code);
    memset(v->detail, 0, sizeof(v->detail));
    snprintf(v->detail, sizeof(v->detail), "%s", r->description);
    flow_mask_text(f, v->detail);
    v->failures++;
}

/* Earliest the next npd/check for this INN may go: the gap and any
 * Retry-After the bank gave. */
static int64_t flow_check_wait(const struct flow *f, int64_t now_ms)
{
    int64_t wait = sched_wait_ms(&f->sched, f->inn_id, now_ms);

    if (f->not_before_ms > now_ms)
        wait = flow_max(wait, f->not_before_ms - now_ms);
    return wait;
}

/* While waiting for the customer: the next background check after a
 * failure, backed off, and never inside the gap. */
static void flow_schedule_backoff(struct flow *f, long retry_after_s,
                                  int64_t now_ms)
{
    int64_t delay = sched_backoff_ms(f->view.failures, f->cfg.recheck_ms,
                                     FLOW_BACKOFF_CAP_MS, retry_after_s);
    int64_t at = now_ms + delay;

    if (f->last_check_ms >= 0)
        at = flow_max(at, f->last_check_ms + f->cfg.min_check_gap_ms);
    f->view.next_check_ms = at;
}

static void flow_schedule_recheck(struct flow *f, int64_t now_ms)
{
    int64_t at = now_ms + f->cfg.recheck_ms;

    if (f->last_check_ms >= 0)
        at = f->last_check_ms + f->cfg.recheck_ms;
    f->view.next_check_ms = at + flow_check_wait(f, at);
}

/* A fault never yields a verdict. During the first check or filing it
 * ends on the error screen; while waiting it is only a notice. */
static void flow_fault(struct flow *f, enum api_call call,
                       const struct api_reply *r, int64_t now_ms)
{
    flow_copy_fault(f, call, r);
    flow_end_check(f);
    if (r->retry_after_s > 0)
        f->not_before_ms = now_ms + (int64_t)r->retry_after_s * 1000;

    switch (f->view.state) {
    case FLOW_CHECKING:
    case FLOW_FILING:
        f->failed_in = f->view.state;
        f->view.state = FLOW_ERROR;
        f->view.next_check_ms = -1;
        break;
    case FLOW_WAITING:
        flow_schedule_backoff(f, r->retry_after_s, now_ms);
        break;
    default:
        break;
    }
}

static void flow_fault_text(struct flow *f, enum api_call call,
                            enum api_fault fault, long http_status,
                            const char *detail, int64_t now_ms)
{
    struct api_reply r;

    memset(&r, 0, sizeof(r));
    r.result = API_RES_ERROR;
    r.fault = fault;
    r.http_status = http_status;
    r.retry_after_s = -1;
    snprintf(r.description, sizeof(r.description), "%s", detail);
    flow_fault(f, call, &r, now_ms);
}

/* A failure of our own making (out of memory, no randomness). */
static void flow_fault_local(struct flow *f, enum api_call call,
                             const char *detail, int64_t now_ms)
{
    flow_fault_text(f, call, API_FAULT_CONFIG, 0, detail, now_ms);
}

/* The reply to an npd/check came at now_ms, or will never be waited for:
 * the gap counts again from now, and the gate's claim ends. */
static void flow_out_end(struct flow *f, struct flow_out *o, int64_t now_ms)
{
    sched_note(&f->sched, o->id, now_ms);
    if (f->cfg.gate.release)
        f->cfg.gate.release(f->cfg.gate.ctx, o->id, now_ms);
    memset(o, 0, sizeof(*o));
}

/* A free entry, else the next one in turn, which is ended first: more
 * checks out than entries takes resets faster than the bank answers. */
static void flow_out_add(struct flow *f, int64_t now_ms)
{
    struct flow_out *o = NULL;

    for (int i = 0; i < FLOW_CHECKS_OUT && !o; i++) {
        if (!f->out[i].used)
            o = &f->out[i];
    }
    if (!o) {
        o = &f->out[f->out_next];
        f->out_next = (f->out_next + 1) % FLOW_CHECKS_OUT;
        flow_out_end(f, o, now_ms);
    }

    memcpy(o->id, f->inn_id, sizeof(o->id));
    o->tag = f->queued.tag;
    o->used = 1;
}

static void flow_start_check(struct flow *f, int64_t now_ms)
{
    if (flow_queue(f, API_CHECK, api_body_check(f->inn), NULL) < 0) {
        if (f->cfg.gate.release)
            f->cfg.gate.release(f->cfg.gate.ctx, f->inn_id, now_ms);
        flow_fault_local(f, API_CHECK, "out of memory", now_ms);
        return;
    }

    sched_note(&f->sched, f->inn_id, now_ms);
    flow_out_add(f, now_ms);
    f->last_check_ms = now_ms;
    f->checking = 1;
    f->check_sent_ms = now_ms;
    f->next_poll_ms = -1;
    f->request_id[0] = '\0';

    f->view.started_ms = now_ms;
    f->view.next_check_ms = -1;
    f->view.refresh_wait_s = 0;
    f->view.refresh_refused_ms = -1;
}

/* Starts a check when both our own gap and the gate allow it; else the
 * milliseconds to wait. The gate is asked last, since a yes claims. */
static int64_t flow_try_check(struct flow *f, int64_t now_ms)
{
    int64_t wait = flow_check_wait(f, now_ms);

    if (wait == 0 && f->cfg.gate.claim)
        wait = f->cfg.gate.claim(f->cfg.gate.ctx, f->inn_id, now_ms);
    if (wait == 0)
        flow_start_check(f, now_ms);
    return wait;
}

static void flow_start_or_wait(struct flow *f, int64_t now_ms)
{
    int64_t wait = flow_try_check(f, now_ms);

    if (wait > 0)
        f->view.next_check_ms = now_ms + wait;
}

static void flow_send_link_status(struct flow *f, int64_t now_ms)
{
    char *body = api_body_link_status(f->link_id);

    if (flow_queue(f, API_LINK_STATUS, body, NULL) < 0)
        flow_fault_local(f, API_LINK_STATUS, "out of memory", now_ms);
}

static void flow_verdict_first(struct flow *f, enum api_verdict v)
{
    if (v == API_VERDICT_NOT_SELF_EMPLOYED)
        f->view.state = FLOW_NOT_SELF_EMPLOYED;
    else if (v == API_VERDICT_LINKED)
        f->view.state = FLOW_ALREADY_LINKED;
    else
        f->view.state = FLOW_CONSENT;
}

static void flow_verdict_waiting(struct flow *f, enum api_verdict v,
                                 int64_t now_ms)
{
    if (v == API_VERDICT_LINKED) {
        f->view.state = FLOW_LINKED;
        return;
    }
    if (v == API_VERDICT_NOT_SELF_EMPLOYED) {
        f->view.state = FLOW_NOT_SELF_EMPLOYED;
        return;
    }

    flow_schedule_recheck(f, now_ms);
    if (f->link_id[0])
        flow_send_link_status(f, now_ms);
}

static void flow_verdict(struct flow *f, enum api_verdict v, int64_t now_ms)
{
    flow_end_check(f);
    flow_clear_fault(f);
    f->view.last_answer_ms = now_ms;
    f->view.last_verdict = v;
    f->view.next_check_ms = -1;

    if (f->view.state == FLOW_CHECKING)
        flow_verdict_first(f, v);
    else if (f->view.state == FLOW_WAITING)
        flow_verdict_waiting(f, v, now_ms);
}

static void flow_time_out(struct flow *f, int64_t now_ms)
{
    flow_fault_text(f, API_STATUS, API_FAULT_TAX_SERVICE, 0,
                    "the tax service did not answer in time", now_ms);
}

static void flow_on_check(struct flow *f, const struct api_reply *r,
                          int64_t now_ms)
{
    if (r->result == API_RES_ERROR) {
        flow_fault(f, API_CHECK, r, now_ms);
        return;
    }

    if (r->result == API_RES_OK && r->verdict != API_VERDICT_NONE) {
        flow_verdict(f, r->verdict, now_ms);
        return;
    }

    if (!r->request_id[0]) {
        flow_fault_text(f, API_CHECK, API_FAULT_BANK, r->http_status,
                        "the bank's reply had no request id", now_ms);
        return;
    }

    snprintf(f->request_id, sizeof(f->request_id), "%s", r->request_id);
    f->poll_delay_ms = f->cfg.status_first_ms;
    f->next_poll_ms = now_ms + f->poll_delay_ms;
}

static void flow_on_status(struct flow *f, const struct api_reply *r,
                           int64_t now_ms)
{
    if (r->result == API_RES_ERROR) {
        flow_fault(f, API_STATUS, r, now_ms);
        return;
    }

    if (r->result == API_RES_OK) {
        if (r->verdict != API_VERDICT_NONE)
            flow_verdict(f, r->verdict, now_ms);
        else
            flow_fault_text(f, API_STATUS, API_FAULT_BANK, r->http_status,
                            "the bank's reply had no answer", now_ms);
        return;
    }

    if (now_ms >= f->check_sent_ms + f->cfg.status_limit_ms) {
        flow_time_out(f, now_ms);
        return;
    }
    f->poll_delay_ms = flow_min(f->poll_delay_ms * 2, f->cfg.status_max_ms);
    f->next_poll_ms = now_ms + f->poll_delay_ms;
}

/* The bank may answer a filing call with "already linked": the customer
 * linked on their own. That is a definite answer and ends the flow. */
static void flow_answer(struct flow *f, enum api_verdict v, enum flow_state to,
                        int64_t now_ms)
{
    flow_clear_fault(f);
    f->view.last_answer_ms = now_ms;
    f->view.last_verdict = v;
    f->view.next_check_ms = -1;
    f->view.state = to;
}

/* 32 lowercase hex digits, new for every consent. */
static int flow_make_key(char out[2 * FLOW_KEY_BYTES + 1])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char raw[FLOW_KEY_BYTES];

    if (RAND_bytes(raw, sizeof(raw)) != 1)
        return -1;

    for (size_t i = 0; i < sizeof(raw); i++) {
        out[2 * i] = hex[raw[i] >> 4];
        out[2 * i + 1] = hex[raw[i] & 0xf];
    }
    out[2 * FLOW_KEY_BYTES] = '\0';
    return 0;
}

static void flow_on_token(struct flow *f, const struct api_reply *r,
                          int64_t now_ms)
{
    char key[2 * FLOW_KEY_BYTES + 1];
    char *body;

    if (r->result == API_RES_OK && r->verdict == API_VERDICT_LINKED) {
        flow_answer(f, r->verdict, FLOW_ALREADY_LINKED, now_ms);
        return;
    }

    if (r->result != API_RES_OK || !r->public_token[0]) {
        if (r->result == API_RES_ERROR)
            flow_fault(f, API_TOKEN, r, now_ms);
        else
            flow_fault_text(f, API_TOKEN, API_FAULT_BANK, r->http_status,
                            "the bank's reply had no token", now_ms);
        return;
    }

    if (flow_make_key(key) < 0) {
        flow_fault_local(f, API_LINK, "no random bytes for a request key",
                         now_ms);
        return;
    }

    body = api_body_link(r->public_token, f->inn, f->cfg.permissions,
                         f->cfg.npermissions);
    if (flow_queue(f, API_LINK, body, key) < 0)
        flow_fault_local(f, API_LINK, "out of memory", now_ms);
}

static void flow_on_link(struct flow *f, const struct api_reply *r,
                         int64_t now_ms)
{
    if (r->result == API_RES_ERROR) {
        flow_fault(f, API_LINK, r, now_ms);
        return;
    }

    if (r->verdict == API_VERDICT_LINKED) {
        flow_answer(f, r->verdict, FLOW_LINKED, now_ms);
        return;
    }

    flow_clear_fault(f);
    snprintf(f->link_id, sizeof(f->link_id), "%s", r->link_id);

    if (r->link_state == API_LINK_FAILED) {
        f->view.state = FLOW_DECLINED;
        return;
    }
    f->view.state = FLOW_WAITING;
    flow_schedule_recheck(f, now_ms);
}

static void flow_on_link_status(struct flow *f, const struct api_reply *r,
                                int64_t now_ms)
{
    if (r->result == API_RES_ERROR) {
        flow_fault(f, API_LINK_STATUS, r, now_ms);
        return;
    }

    if (r->verdict == API_VERDICT_LINKED) {
        flow_answer(f, r->verdict, FLOW_LINKED, now_ms);
        return;
    }

    flow_clear_fault(f);
    f->view.last_answer_ms = now_ms;

    if (r->link_state == API_LINK_COMPLETED) {
        f->view.state = FLOW_LINKED;
        f->view.next_check_ms = -1;
    } else if (r->link_state == API_LINK_FAILED) {
        f->view.state = FLOW_DECLINED;
        f->view.next_check_ms = -1;
    }
}

/* Sends the kept data check again; the body stays for another retry. */
static void flow_send_person(struct flow *f, int64_t now_ms)
{
    char *copy = strdup(f->person_body);

    memset(f->view.person, 0, sizeof(f->view.person));
    f->view.state = FLOW_PERSON_CHECKING;
    if (flow_queue(f, API_PERSONAL_INFO, copy, NULL) < 0) {
        f->view.state = FLOW_PERSON_RESULT;
        flow_fault_local(f, API_PERSONAL_INFO, "out of memory", now_ms);
    }
}

/* A fault keeps the result screen, with the fault and a retry. */
static void flow_on_person(struct flow *f, const struct api_reply *r,
                           int64_t now_ms)
{
    f->view.state = FLOW_PERSON_RESULT;
    if (r->result == API_RES_ERROR)
        flow_fault(f, API_PERSONAL_INFO, r, now_ms);
    else if (r->result != API_RES_OK)
        flow_fault_text(f, API_PERSONAL_INFO, API_FAULT_BANK, r->http_status,
                        "the bank's reply had no answer", now_ms);
    else {
        flow_clear_fault(f);
        persondata_resolve(&f->cfg, f->person_sent, r, f->view.person);
    }
}

int flow_personal_info(struct flow *f, const struct flow_person *p,
                       int64_t now_ms)
{
    struct flow_view before = f->view;
    enum flow_state s = f->view.state;
    unsigned sent = 0;
    char *body;

    /* From a result, the agent sends corrected data for the same
     * customer, whose outcome stays the one before the first check. */
    if (s == FLOW_PERSON_RESULT)
        s = f->view.person_from;
    else if (s != FLOW_LINKED && s != FLOW_ALREADY_LINKED)
        return -1;
    if (f->view.busy)
        return -1;
    body = persondata_body(&f->cfg, f->inn, p, &sent);
    if (!body)
        return -1;

    flow_drop_person(f);
    f->person_body = body;
    f->person_sent = sent;
    f->view.person_from = s;
    flow_send_person(f, now_ms);
    flow_touch(f, &before);
    return 0;
}

/* With a gate, its host-wide key names the INN for both our scheduler and
 * the gate, so one id serves both and outlives a reset for release(). */
static int flow_hash_inn(struct flow *f)
{
    unsigned int len = 0;

    if (f->cfg.gate.id)
        return f->cfg.gate.id(f->cfg.gate.ctx, f->inn, f->inn_id);
    if (!HMAC(EVP_sha256(), f->secret, sizeof(f->secret),
              (const unsigned char *)f->inn, INN_LEN, f->inn_id, &len))
        return -1;
    return 0;
}

enum inn_verdict flow_submit_inn(struct flow *f, const char *text,
                                 int64_t now_ms)
{
    struct flow_view before = f->view;
    enum inn_verdict v = inn_check(text);

    if (f->view.state != FLOW_INN)
        return v;

    f->view.inn_verdict = v;
    if (v != INN_OK) {
        flow_touch(f, &before);
        return v;
    }

    memcpy(f->inn, text, INN_LEN);
    f->inn[INN_LEN] = '\0';
    inn_mask(f->inn, f->view.inn_masked);
    f->view.state = FLOW_CHECKING;

    if (flow_hash_inn(f) < 0)
        flow_fault_local(f, API_CHECK, "could not hash the INN", now_ms);
    else
        flow_start_or_wait(f, now_ms);

    flow_touch(f, &before);
    return v;
}

int flow_agree(struct flow *f, int64_t now_ms)
{
    struct flow_view before = f->view;

    if (f->view.state != FLOW_CONSENT || f->view.busy)
        return -1;

    f->view.state = FLOW_FILING;
    if (flow_queue(f, API_TOKEN, api_body_token(f->inn), NULL) < 0)
        flow_fault_local(f, API_TOKEN, "out of memory", now_ms);

    flow_touch(f, &before);
    return 0;
}

int flow_refresh(struct flow *f, int64_t now_ms)
{
    struct flow_view before = f->view;
    int64_t wait;

    if (f->view.state != FLOW_WAITING)
        return -1;

    /* A check (or the link state query after one) is already on its way:
     * its answer is what Refresh would bring, so nothing new is sent. */
    if (f->view.busy || f->checking)
        return 0;

    wait = flow_try_check(f, now_ms);
    if (wait > 0) {
        f->view.refresh_wait_s = (int)((wait + 999) / 1000);
        f->view.refresh_refused_ms = now_ms;
        flow_touch(f, &before);
        return f->view.refresh_wait_s;
    }

    flow_touch(f, &before);
    return 0;
}

static void flow_retry_error(struct flow *f, int64_t now_ms)
{
    struct flow_view *v = &f->view;
    int failures = v->failures;

    flow_clear_fault(f);
    v->failures = failures;

    if (f->failed_in == FLOW_FILING) {
        v->state = FLOW_CONSENT;
        return;
    }
    v->state = FLOW_CHECKING;

    /* A hash that failed left no id: without one the gap and the gate
     * would be asked about nobody. */
    if (flow_hash_inn(f) < 0)
        flow_fault_local(f, API_CHECK, "could not hash the INN", now_ms);
    else
        flow_start_or_wait(f, now_ms);
}

int flow_retry(struct flow *f, int64_t now_ms)
{
    struct flow_view before = f->view;

    if (f->view.busy)
        return -1;

    if (f->view.state == FLOW_ERROR) {
        flow_retry_error(f, now_ms);
    } else if (f->view.state == FLOW_PERSON_RESULT &&
               f->view.fault != API_FAULT_NONE) {
        flow_clear_fault(f);
        flow_send_person(f, now_ms);
    } else if (f->view.state == FLOW_DECLINED) {
        inn_wipe(f->link_id, sizeof(f->link_id));
        f->view.state = FLOW_CONSENT;
    } else {
        return -1;
    }

    flow_touch(f, &before);
    return 0;
}

void flow_reset(struct flow *f)
{
    struct flow_view before = f->view;

    flow_forget(f);
    flow_touch(f, &before);
}

static void flow_tick_check(struct flow *f, int64_t now_ms)
{
    if (now_ms >= f->check_sent_ms + f->cfg.status_limit_ms) {
        flow_time_out(f, now_ms);
        return;
    }
    if (now_ms < f->next_poll_ms)
        return;

    if (flow_queue(f, API_STATUS, api_body_status(f->request_id), NULL) < 0)
        flow_fault_local(f, API_STATUS, "out of memory", now_ms);
}

void flow_tick(struct flow *f, int64_t now_ms)
{
    struct flow_view before = f->view;
    enum flow_state s = f->view.state;

    if (f->view.busy)
        return;

    if (f->checking && f->request_id[0])
        flow_tick_check(f, now_ms);
    else if ((s == FLOW_CHECKING || s == FLOW_WAITING) &&
             f->view.next_check_ms >= 0 && now_ms >= f->view.next_check_ms)
        flow_start_or_wait(f, now_ms);

    flow_touch(f, &before);
}

int64_t flow_next_deadline(const struct flow *f, int64_t now_ms)
{
    enum flow_state s = f->view.state;
    int64_t at = -1;

    /* While a request is out, only its reply moves the flow on. */
    if (f->view.busy)
        return -1;

    if (f->checking && f->request_id[0])
        at = flow_min(f->next_poll_ms,
                      f->check_sent_ms + f->cfg.status_limit_ms);
    else if (s == FLOW_CHECKING || s == FLOW_WAITING)
        at = f->view.next_check_ms;

    if (at < 0)
        return -1;
    return at > now_ms ? at - now_ms : 0;
}

int flow_next_request(struct flow *f, struct flow_req *out)
{
    if (!f->has_queued)
        return 0;

    *out = f->queued;
    memset(&f->queued, 0, sizeof(f->queued));
    f->has_queued = 0;
    return 1;
}

static void flow_dispatch(struct flow *f, enum api_call call,
                          const struct api_reply *r, int64_t now_ms)
{
    switch (call) {
    case API_CHECK:
        flow_on_check(f, r, now_ms);
        break;
    case API_STATUS:
        flow_on_status(f, r, now_ms);
        break;
    case API_TOKEN:
        flow_on_token(f, r, now_ms);
        break;
    case API_LINK:
        flow_on_link(f, r, now_ms);
        break;
    case API_LINK_STATUS:
        flow_on_link_status(f, r, now_ms);
        break;
    case API_PERSONAL_INFO:
        flow_on_person(f, r, now_ms);
        break;
    default:
        break;
    }
}

/* Counts the gap again from the reply to an npd/check, whatever it says
 * and whether or not it is stale. */
static void flow_check_answered(struct flow *f, unsigned long tag,
                                int64_t now_ms)
{
    for (int i = 0; i < FLOW_CHECKS_OUT; i++) {
        if (!f->out[i].used || f->out[i].tag != tag)
            continue;
        flow_out_end(f, &f->out[i], now_ms);
        if ((tag >> 8) == f->generation)
            f->last_check_ms = now_ms;
        return;
    }
}

void flow_on_reply(struct flow *f, unsigned long tag, const struct api_reply *r,
                   int64_t now_ms)
{
    struct flow_view before = f->view;

    flow_check_answered(f, tag, now_ms);

    /* Replies from before a reset, or to anything but the one request
     * being waited for, change nothing. */
    if (!f->view.busy || f->has_queued || tag != f->awaited ||
        (tag >> 8) != f->generation)
        return;

    f->view.busy = 0;
    f->awaited = 0;
    flow_dispatch(f, FLOW_TAG_CALL(tag), r, now_ms);
    flow_touch(f, &before);
}

const struct flow_view *flow_view(const struct flow *f)
{
    return &f->view;
}
