/*
 * engine: ties the flow to the network and writes the audit trail.
 *
 * The flow decides, the engine carries: it sends what the flow queues,
 * parses what comes back, and records each call and each change of state
 * with the INN masked.
 */
#include "engine.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "audit.h"
#include "client.h"
#include "clock.h"
#include "inn.h"
#include "net.h"
#include "sign.h"

/* Enough to name the INN of a reply that arrives after a reset. */
#define ENGINE_TAG_LOG 8

struct engine_tag {
    unsigned long tag;
    char inn_masked[INN_LEN + 1];
};

struct engine {
    struct sign_key *key;
    struct net *net;
    struct client *client;
    struct audit *audit;
    struct flow *flow;

    char *perms[CONFIG_MAX_PERMS]; /* the flow borrows these */
    size_t nperms;

    unsigned long sent[API_CALL_COUNT];
    struct engine_tag tags[ENGINE_TAG_LOG];
    unsigned next_tag;

    enum flow_state last_state;
    char last_masked[INN_LEN + 1];

    int stopped;
    int audit_failed; /* since the start of this step */
    char error[256];
};

static void engine_set_error(struct engine *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void engine_set_error(struct engine *e, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(e->error, sizeof(e->error), fmt, ap);
    va_end(ap);
}

static void engine_reason(char *err, size_t errlen, const char *what)
{
    if (err && errlen > 0)
        snprintf(err, errlen, "%s", what);
}

static void engine_release(struct engine *e)
{
    flow_free(e->flow);
    client_free(e->client);
    net_free(e->net);
    audit_close(e->audit);
    sign_key_free(e->key);
    for (size_t i = 0; i < e->nperms; i++)
        free(e->perms[i]);
    free(e);
}

static int engine_copy_perms(struct engine *e, const struct config *cfg)
{
    for (size_t i = 0; i < cfg->npermissions && i < CONFIG_MAX_PERMS; i++) {
        e->perms[i] = strdup(cfg->permissions[i]);
        if (!e->perms[i])
            return -1;
        e->nperms++;
    }
    return 0;
}

static int engine_open_net(struct engine *e, const struct config *cfg,
                           char *err, size_t errlen)
{
    struct net_opts no = {
        .ca_file = cfg->ca_file[0] ? cfg->ca_file : NULL,
        .connect_timeout_ms = cfg->connect_timeout_ms,
        .total_timeout_ms = cfg->total_timeout_ms,
    };
    struct client_config cc = {
        .base_url = cfg->base_url,
        .project_id = cfg->project_id,
        .key = e->key,
    };

    e->net = net_new(&no, err, errlen);
    if (!e->net)
        return -1;

    for (int i = 0; i < API_CALL_COUNT; i++)
        cc.paths[i] = cfg->paths[i];
    e->client = client_new(&cc, e->net);
    if (!e->client) {
        engine_reason(err, errlen,
                      "cannot set up requests: check base_url and "
                      "project_id");
        return -1;
    }
    return 0;
}

static int engine_open_flow(struct engine *e, char *err, size_t errlen)
{
    struct flow_config fc;

    flow_config_defaults(&fc);
    fc.permissions = (const char *const *)e->perms;
    fc.npermissions = e->nperms;

    e->flow = flow_new(&fc);
    if (!e->flow) {
        engine_reason(err, errlen,
                      "cannot start: out of memory or no "
                      "random bytes");
        return -1;
    }
    e->last_state = FLOW_INN;
    return 0;
}

struct engine *engine_new(const struct config *cfg, char *err, size_t errlen)
{
    struct engine *e = calloc(1, sizeof(*e));

    if (!e) {
        engine_reason(err, errlen, "out of memory");
        return NULL;
    }

    if (engine_copy_perms(e, cfg) < 0) {
        engine_reason(err, errlen, "out of memory");
        goto fail;
    }

    if (sign_load_private(cfg->key_file, &e->key, err, errlen) < 0)
        goto fail;

    if (engine_open_net(e, cfg, err, errlen) < 0)
        goto fail;

    e->audit = audit_open(cfg->audit_file, err, errlen);
    if (!e->audit)
        goto fail;

    if (engine_open_flow(e, err, errlen) < 0)
        goto fail;
    return e;

fail:
    engine_release(e);
    return NULL;
}

struct flow *engine_flow(struct engine *e)
{
    return e->flow;
}

const char *engine_error(const struct engine *e)
{
    return e->error;
}

unsigned long engine_sent(const struct engine *e, enum api_call call)
{
    if ((int)call < 0 || call >= API_CALL_COUNT)
        return 0;
    return e->sent[call];
}

/* A failed write is remembered for engine_step()'s result; the flow goes
 * on regardless, so the agent sees both the customer and the problem. */
static void engine_audit(struct engine *e, const char *event,
                         const char *inn_masked, const char *const *kv)
{
    char why[200];

    if (audit_event(e->audit, event, inn_masked, kv, why, sizeof(why)) == 0)
        return;

    e->audit_failed = 1;
    engine_set_error(e, "audit trail not written: %s", why);
}

int engine_wait(struct engine *e, struct pollfd *extra, unsigned nextra,
                int max_ms)
{
    int64_t due = flow_next_deadline(e->flow, clock_mono_ms());
    int timeout = max_ms;

    if (due >= 0 && (timeout < 0 || due < timeout))
        timeout = due > INT_MAX ? INT_MAX : (int)due;
    return net_wait(e->net, extra, nextra, timeout);
}

static const char *engine_fault_name(enum api_fault f)
{
    switch (f) {
    case API_FAULT_NONE:
        return "none";
    case API_FAULT_NETWORK:
        return "network";
    case API_FAULT_BANK:
        return "bank";
    case API_FAULT_TAX_SERVICE:
        return "tax_service";
    case API_FAULT_CONFIG:
        return "config";
    }
    return "unknown";
}

static const char *engine_outcome(const struct api_reply *r)
{
    if (r->result == API_RES_OK)
        return "ok";
    if (r->result == API_RES_PENDING)
        return "pending";
    return "error";
}

static void engine_remember_tag(struct engine *e, unsigned long tag)
{
    struct engine_tag *t = &e->tags[e->next_tag % ENGINE_TAG_LOG];

    t->tag = tag;
    memcpy(t->inn_masked, flow_view(e->flow)->inn_masked,
           sizeof(t->inn_masked));
    e->next_tag++;
}

/* The masked INN a request was sent for, even after a reset. */
static const char *engine_tag_inn(const struct engine *e, unsigned long tag)
{
    for (int i = 0; i < ENGINE_TAG_LOG; i++) {
        if (e->tags[i].tag == tag && e->tags[i].inn_masked[0])
            return e->tags[i].inn_masked;
    }
    return flow_view(e->flow)->inn_masked;
}

static void engine_audit_call(struct engine *e, unsigned long tag,
                              const struct api_reply *r, long latency_ms)
{
    char http[24], latency[24];
    const char *kv[] = {
        "call",        api_call_name(FLOW_TAG_CALL(tag)),
        "outcome",     engine_outcome(r),
        "fault",       engine_fault_name(r->fault),
        "http_status", http,
        "latency_ms",  latency,
        NULL,
    };

    snprintf(http, sizeof(http), "%ld", r->http_status);
    snprintf(latency, sizeof(latency), "%ld", latency_ms);
    engine_audit(e, "api_call", engine_tag_inn(e, tag), kv);
}

/* Permission codes joined by ','; malloc'd, NULL when out of memory. */
static char *engine_join_perms(const struct engine *e)
{
    size_t len = 1;
    char *out;

    for (size_t i = 0; i < e->nperms; i++)
        len += strlen(e->perms[i]) + 1;
    out = calloc(1, len);
    if (!out)
        return NULL;

    for (size_t i = 0; i < e->nperms; i++) {
        if (i > 0)
            strcat(out, ",");
        strcat(out, e->perms[i]);
    }
    return out;
}

static void engine_audit_consent(struct engine *e, const char *inn_masked)
{
    char *joined = engine_join_perms(e);
    const char *kv[] = {"permissions", joined ? joined : "", NULL};

    engine_audit(e, "consent", inn_masked, kv);
    free(joined);
}

static void engine_audit_plain(struct engine *e, const char *event,
                               const char *inn_masked)
{
    const char *kv[] = {NULL};

    engine_audit(e, event, inn_masked, kv);
}

static void engine_audit_error(struct engine *e, const struct flow_view *v)
{
    const char *kv[] = {
        "fault", engine_fault_name(v->fault),
        "call",  api_call_name(v->failed_call),
        "code",  v->code,
        NULL,
    };

    engine_audit(e, "error", v->inn_masked, kv);
}

static void engine_audit_end(struct engine *e, const char *reason)
{
    const char *kv[] = {"reason", reason, NULL};

    engine_audit(e, "session_end", e->last_masked, kv);
}

static void engine_audit_verdict(struct engine *e, const char *inn_masked,
                                 const char *verdict)
{
    const char *kv[] = {"verdict", verdict, NULL};

    engine_audit(e, "verdict", inn_masked, kv);
}

/* One audit event for arriving in v->state from `from`. */
static void engine_audit_state(struct engine *e, enum flow_state from,
                               const struct flow_view *v)
{
    const char *inn = v->inn_masked;

    switch (v->state) {
    case FLOW_INN:
        engine_audit_end(e, "reset");
        break;
    case FLOW_NOT_SELF_EMPLOYED:
        engine_audit_verdict(e, inn, "not_self_employed");
        break;
    case FLOW_ALREADY_LINKED:
        engine_audit_verdict(e, inn, "already_linked");
        break;
    case FLOW_CONSENT:
        if (from == FLOW_CHECKING)
            engine_audit_verdict(e, inn, "not_linked");
        break;
    case FLOW_FILING:
        engine_audit_consent(e, inn);
        break;
    case FLOW_WAITING:
        engine_audit_plain(e, "link_filed", inn);
        break;
    case FLOW_LINKED:
        engine_audit_plain(e, "linked", inn);
        break;
    case FLOW_DECLINED:
        engine_audit_plain(e, "declined", inn);
        break;
    case FLOW_ERROR:
        engine_audit_error(e, v);
        break;
    case FLOW_CHECKING:
        break;
    }
}

/* Writes the events for whatever changed since the last look: a command
 * from the front end or a reply. A new INN without passing the INN
 * screen in between still closes the old session. */
static void engine_note(struct engine *e)
{
    const struct flow_view *v = flow_view(e->flow);
    enum flow_state from = e->last_state;

    if (from != FLOW_INN && v->state != FLOW_INN && e->last_masked[0] &&
        strcmp(e->last_masked, v->inn_masked) != 0) {
        engine_audit_end(e, "reset");
        from = FLOW_INN;
    }

    if (v->state != from)
        engine_audit_state(e, from, v);

    e->last_state = v->state;
    if (v->state != FLOW_INN)
        memcpy(e->last_masked, v->inn_masked, sizeof(e->last_masked));
}

static void engine_deliver(struct engine *e, struct net_done *d, int64_t now_ms)
{
    struct api_http in = {
        .transport_error = d->transport_error != 0,
        .timed_out = d->timed_out,
        .status = d->status,
        .content_type = d->content_type,
        .body = d->body,
        .len = d->len,
        .retry_after_s = d->retry_after_s,
    };
    struct api_reply r;

    api_parse(FLOW_TAG_CALL(d->tag), &in, &r);
    engine_audit_call(e, d->tag, &r, d->elapsed_ms);

    flow_on_reply(e->flow, d->tag, &r, now_ms);
    engine_note(e);

    inn_wipe(&r, sizeof(r));
    if (d->body)
        inn_wipe(d->body, d->len);
}

/* A request that could not even be handed to the network is shown as a
 * setup fault, so the flow lands on its error screen with the reason. */
static void engine_send_failed(struct engine *e, const struct flow_req *q,
                               const char *why, int64_t now_ms)
{
    struct api_reply r;

    memset(&r, 0, sizeof(r));
    r.result = API_RES_ERROR;
    r.fault = API_FAULT_CONFIG;
    r.retry_after_s = -1;
    api_sanitize(why, strlen(why), r.description, sizeof(r.description));
    engine_set_error(e, "could not send %s: %s", api_call_name(q->call), why);

    engine_audit_call(e, q->tag, &r, 0);
    flow_on_reply(e->flow, q->tag, &r, now_ms);
    engine_note(e);
}

static void engine_send_one(struct engine *e, struct flow_req *q,
                            int64_t now_ms)
{
    const char *key = q->idempotency_key[0] ? q->idempotency_key : NULL;
    char why[200] = "";

    engine_remember_tag(e, q->tag);
    if (client_send(e->client, q->call, q->body, key, q->tag, why,
                    sizeof(why)) == 0)
        e->sent[q->call]++;
    else
        engine_send_failed(e, q, why[0] ? why : "request refused", now_ms);

    inn_wipe(q->body, strlen(q->body));
    free(q->body);
    q->body = NULL;
}

/* Transfers are started at once rather than on the next turn: the
 * bank's gap is counted from when a check arrives. */
static void engine_send_queued(struct engine *e, int64_t now_ms)
{
    struct flow_req q;
    int any = 0;

    while (flow_next_request(e->flow, &q)) {
        engine_send_one(e, &q, now_ms);
        any = 1;
    }

    if (any)
        net_run(e->net);
}

int engine_step(struct engine *e, int64_t now_ms)
{
    struct net_done d;

    e->audit_failed = 0;
    engine_note(e);
    if (e->stopped)
        return e->audit_failed ? -1 : 0;

    net_run(e->net);
    while (net_take(e->net, &d)) {
        engine_deliver(e, &d, now_ms);
        net_done_free(&d);
    }

    flow_tick(e->flow, now_ms);
    engine_note(e);

    engine_send_queued(e, now_ms);
    return e->audit_failed ? -1 : 0;
}

void engine_stop(struct engine *e)
{
    net_cancel_all(e->net);
    e->stopped = 1;
}

void engine_free(struct engine *e)
{
    if (!e)
        return;

    engine_note(e);
    if (e->last_state != FLOW_INN)
        engine_audit_end(e, "quit");
    engine_release(e);
}
