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

#include <jansson.h>

#include "api.h"
#include "audit.h"
#include "client.h"
#include "err.h"
#include "clock.h"
#include "inn.h"
#include "ledger.h"
#include "net.h"
#include "sign.h"

/* The bank's gap, and how long another process's claim may stand: its
 * reply comes within total_timeout_ms. */
#define ENGINE_GAP_MS 30000
#define ENGINE_FLIGHT_MARGIN_MS 5000
#define ENGINE_LOCK_MS 200

/* Enough to name the INN of a reply that arrives after a reset. */
#define ENGINE_TAG_LOG 8

struct engine_tag {
    unsigned long tag;
    char inn_masked[INN_LEN + 1];
    char id[API_ID_MAX]; /* the id a status request asks about, or "" */
};

struct engine {
    struct sign_key *key;
    struct net *net;
    struct client *client;
    struct audit *audit;
    struct flow *flow;
    struct ledger *ledger; /* NULL: no ledger_file */

    char *perms[CONFIG_MAX_PERMS]; /* the flow borrows these */
    size_t nperms;

    unsigned long sent[API_CALL_COUNT];
    struct engine_tag tags[ENGINE_TAG_LOG];
    unsigned next_tag;

    char paths[API_CALL_COUNT][CONFIG_STR]; /* for the audit trail */
    char person_fields[3][CONFIG_STR];      /* the flow borrows these */
    enum flow_state person_from; /* outcome before a personal data check */

    enum flow_state last_state;
    char last_masked[INN_LEN + 1];
    int session_open; /* a session_end is owed */

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

static void engine_release(struct engine *e)
{
    flow_free(e->flow);
    ledger_close(e->ledger);
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
        err_set(err, errlen,
                "cannot set up requests: check base_url and "
                "project_id");
        return -1;
    }
    return 0;
}

static void engine_audit(struct engine *e, const char *event,
                         const char *inn_masked, const char *const *kv);

/* A ledger that failed or was rebuilt is written to the audit trail; the
 * check itself goes on. */
static void engine_ledger_problem(struct engine *e, const char *why)
{
    const char *kv[] = {"reason", why, NULL};

    engine_set_error(e, "check ledger: %s", why);
    engine_audit(e, "ledger_error", flow_view(e->flow)->inn_masked, kv);
}

_Static_assert(LEDGER_ID_LEN == 32, "the gate's ids are 32 bytes");

static int engine_gate_id(void *ctx, const char *inn, unsigned char id[32])
{
    struct engine *e = ctx;

    return ledger_id(e->ledger, inn, id);
}

/* The ledger keeps wall-clock time, the one clock all processes share;
 * the flow's monotonic now_ms is not used. A busy lock is a wait like
 * any other (ledger_claim). A ledger that fails says "go": the bank
 * enforces the gap itself with a 429, and a broken shared file must not
 * stop every desk. */
static int64_t engine_gate_claim(void *ctx, const unsigned char id[32],
                                 int64_t now_ms)
{
    struct engine *e = ctx;
    char why[300] = "";
    int64_t wait =
        ledger_claim(e->ledger, id, clock_wall_ms(), why, sizeof(why));

    (void)now_ms;
    if (why[0])
        engine_ledger_problem(e, why);
    return wait < 0 ? 0 : wait;
}

static void engine_gate_release(void *ctx, const unsigned char id[32],
                                int64_t now_ms)
{
    struct engine *e = ctx;
    char why[300] = "";

    (void)now_ms;
    ledger_release(e->ledger, id, clock_wall_ms(), why, sizeof(why));
    if (why[0])
        engine_ledger_problem(e, why);
}

static void engine_ledger_gate(struct engine *e, struct flow_config *fc)
{
    fc->gate.id = engine_gate_id;
    fc->gate.claim = engine_gate_claim;
    fc->gate.release = engine_gate_release;
    fc->gate.ctx = e;
}

/* The ledger is opened when configured. A ledger that cannot be opened
 * stops the start, so a wrong path shows at once; one that fails later
 * lets checks go on under this process's own gap (engine_gate_claim). */
static int engine_open_ledger(struct engine *e, const struct config *cfg,
                              char *err, size_t errlen)
{
    struct ledger_opts o = {
        .gap_ms = ENGINE_GAP_MS,
        .flight_ms = cfg->total_timeout_ms + ENGINE_FLIGHT_MARGIN_MS,
        .lock_ms = ENGINE_LOCK_MS,
    };
    char why[300] = "";

    if (!cfg->ledger_file[0])
        return 0;

    e->ledger = ledger_open(cfg->ledger_file, &o, why, sizeof(why));
    if (!e->ledger) {
        if (err && errlen > 0)
            snprintf(err, errlen, "check ledger: %s", why);
        return -1;
    }
    if (why[0])
        engine_set_error(e, "check ledger: %s", why);
    return 0;
}

static int engine_open_flow(struct engine *e, char *err, size_t errlen)
{
    struct flow_config fc;

    flow_config_defaults(&fc);
    fc.permissions = (const char *const *)e->perms;
    fc.npermissions = e->nperms;
    fc.person_inn_field = e->person_fields[0];
    fc.person_name_fields = e->person_fields[1];
    fc.person_phone_field = e->person_fields[2];
    if (e->ledger)
        engine_ledger_gate(e, &fc);

    e->flow = flow_new(&fc);
    if (!e->flow) {
        err_set(err, errlen,
                "cannot start: out of memory or no "
                "random bytes");
        return -1;
    }
    e->last_state = FLOW_INN;
    return 0;
}

struct engine *engine_new(const struct config *cfg, char *err, size_t errlen)
{
    return engine_new_key(cfg, NULL, err, errlen);
}

struct engine *engine_new_key(const struct config *cfg, const char *passphrase,
                              char *err, size_t errlen)
{
    struct engine *e = calloc(1, sizeof(*e));

    if (!e) {
        err_set(err, errlen, "out of memory");
        return NULL;
    }

    if (engine_copy_perms(e, cfg) < 0) {
        err_set(err, errlen, "out of memory");
        goto fail;
    }

    memcpy(e->paths, cfg->paths, sizeof(e->paths));
    memcpy(e->person_fields[0], cfg->personal_info_inn_field, CONFIG_STR);
    memcpy(e->person_fields[1], cfg->personal_info_name_fields, CONFIG_STR);
    memcpy(e->person_fields[2], cfg->personal_info_phone_field, CONFIG_STR);
    if (sign_load_private(cfg->key_file, passphrase, &e->key, err, errlen) < 0)
        goto fail;

    if (engine_open_net(e, cfg, err, errlen) < 0)
        goto fail;

    e->audit = audit_open(cfg->audit_file, err, errlen);
    if (!e->audit)
        goto fail;
    audit_set_syslog(e->audit, cfg->audit_syslog);

    if (engine_open_ledger(e, cfg, err, errlen) < 0)
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

static const char *engine_outcome(const struct api_reply *r)
{
    if (r->result == API_RES_OK)
        return "ok";
    if (r->result == API_RES_PENDING)
        return "pending";
    return "error";
}

/* The id a status request asks about, read back from its body. Only
 * these two bodies are read: the others hold the INN or a token. */
static void engine_body_id(const struct flow_req *q, char *out, size_t len)
{
    const char *key = q->call == API_STATUS        ? "request_id"
                      : q->call == API_LINK_STATUS ? "link_request_id"
                                                   : NULL;
    json_t *root = key ? json_loads(q->body, 0, NULL) : NULL;
    const char *v = json_string_value(json_object_get(root, key));

    snprintf(out, len, "%s", v ? v : "");
    json_decref(root);
}

static void engine_remember_tag(struct engine *e, const struct flow_req *q)
{
    struct engine_tag *t = &e->tags[e->next_tag % ENGINE_TAG_LOG];

    t->tag = q->tag;
    memcpy(t->inn_masked, flow_view(e->flow)->inn_masked,
           sizeof(t->inn_masked));
    engine_body_id(q, t->id, sizeof(t->id));
    e->next_tag++;
}

static const struct engine_tag *engine_tag_find(const struct engine *e,
                                                unsigned long tag)
{
    for (int i = 0; i < ENGINE_TAG_LOG; i++) {
        if (e->tags[i].tag == tag && e->tags[i].inn_masked[0])
            return &e->tags[i];
    }
    return NULL;
}

/* The masked INN a request was sent for, even after a reset. */
static const char *engine_tag_inn(const struct engine *e, unsigned long tag)
{
    const struct engine_tag *t = engine_tag_find(e, tag);

    return t ? t->inn_masked : flow_view(e->flow)->inn_masked;
}

/* The bank's id of the request a call is about: the reply's for a new
 * check or link request, the asked-about one for a status call. The token
 * call has none: its public token is a credential and is never written. */
static const char *engine_call_id(const struct engine *e, unsigned long tag,
                                  const struct api_reply *r)
{
    const struct engine_tag *t = engine_tag_find(e, tag);

    switch (FLOW_TAG_CALL(tag)) {
    case API_CHECK:
        return r->request_id;
    case API_LINK:
        return r->link_id;
    case API_STATUS:
    case API_LINK_STATUS:
        return t ? t->id : "";
    default:
        return "";
    }
}

static void engine_audit_call(struct engine *e, unsigned long tag,
                              const struct api_reply *r, long latency_ms)
{
    enum api_call call = FLOW_TAG_CALL(tag);
    int is_link = call == API_LINK || call == API_LINK_STATUS;
    const char *id = engine_call_id(e, tag, r);
    const char *id_key = !id[0]    ? NULL
                         : is_link ? "link_request_id"
                                   : "request_id";
    const char *path = call < API_CALL_COUNT ? e->paths[call] : "";
    char http[24], latency[24];
    const char *kv[] = {
        "call",        api_call_name(call),
        "method",      "POST",
        "path",        path,
        "outcome",     engine_outcome(r),
        "fault",       api_fault_name(r->fault),
        "http_status", http,
        "latency_ms",  latency,
        id_key,        id,
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
        "fault", api_fault_name(v->fault),
        "call",  api_call_name(v->failed_call),
        "code",  v->code,
        NULL,
    };

    engine_audit(e, "error", v->inn_masked, kv);
}

/* Why a session ended: its outcome when it reached one, else what cut
 * it short. */
static const char *engine_end_reason(enum flow_state s, const char *cut)
{
    switch (s) {
    case FLOW_LINKED:
    case FLOW_NOT_SELF_EMPLOYED:
    case FLOW_ALREADY_LINKED:
    case FLOW_DECLINED:
        return flow_state_name(s);
    default:
        return cut;
    }
}

/* The one session_end of the open session; cut says what ends it when
 * it has no outcome yet ("reset": the agent moved on). */
static void engine_audit_end(struct engine *e, const char *cut)
{
    int person = e->last_state == FLOW_PERSON_CHECKING ||
                 e->last_state == FLOW_PERSON_RESULT;
    const char *why =
        engine_end_reason(person ? e->person_from : e->last_state, cut);
    const char *kv[] = {"reason", why, "state", flow_state_name(e->last_state),
                        NULL};

    if (!e->session_open)
        return;
    e->session_open = 0;
    engine_audit(e, "session_end", e->last_masked, kv);
}

static void engine_audit_verdict(struct engine *e, const char *inn_masked,
                                 const char *verdict)
{
    const char *kv[] = {"verdict", verdict, NULL};

    engine_audit(e, "verdict", inn_masked, kv);
}

/* Only whether each field matched: never the data. */
static void engine_audit_person(struct engine *e, const struct flow_view *v)
{
    static const char *const words[] = {"not_checked", "match", "differs"};
    const enum flow_match *m = v->person;
    const char *kv[] = {
        "tax_reference",
        words[m[FLOW_FIELD_INN]],
        "last_name",
        words[m[FLOW_FIELD_LAST]],
        "first_name",
        words[m[FLOW_FIELD_FIRST]],
        "middle_name",
        words[m[FLOW_FIELD_MIDDLE]],
        "phone",
        words[m[FLOW_FIELD_PHONE]],
        NULL,
    };

    if (v->fault != API_FAULT_NONE)
        engine_audit_error(e, v);
    else
        engine_audit(e, "personal_info", v->inn_masked, kv);
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
    case FLOW_PERSON_RESULT:
        engine_audit_person(e, v);
        break;
    case FLOW_PERSON_CHECKING:
        e->person_from = v->person_from;
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
    if (from == FLOW_INN && v->state != FLOW_INN)
        e->session_open = 1;

    e->last_state = v->state;
    if (v->state != FLOW_INN)
        memcpy(e->last_masked, v->inn_masked, sizeof(e->last_masked));
}

static void engine_deliver(struct engine *e, struct net_done *d, int64_t now_ms)
{
    struct api_http in = {
        .transport_error = d->transport_error != 0,
        .timed_out = d->timed_out,
        .too_big = d->too_big,
        .status = d->status,
        .content_type = d->content_type,
        .body = d->body,
        .len = d->len,
        .retry_after_s = d->retry_after_s,
        .tls_error = d->tls_refused ? d->error : NULL,
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

    engine_remember_tag(e, q);
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

    engine_end(e, ENGINE_END_QUIT);
    engine_release(e);
}

static const char *engine_end_name(enum engine_end why)
{
    switch (why) {
    case ENGINE_END_QUIT:
        return "quit";
    case ENGINE_END_IDLE:
        return "idle";
    case ENGINE_END_TERMINAL_GONE:
        return "terminal_gone";
    case ENGINE_END_SIGNAL:
        return "signal";
    }
    return "quit";
}

int engine_end(struct engine *e, enum engine_end why)
{
    if (!e)
        return 0;
    e->audit_failed = 0;
    engine_note(e);
    if (e->last_state != FLOW_INN)
        engine_audit_end(e, engine_end_name(why));
    e->session_open = 0;
    return e->audit_failed ? -1 : 0;
}
