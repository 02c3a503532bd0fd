/*
 * route: the partner checks, the JSON bodies and the replies.
 */
#include "route.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "api.h"
#include "fault.h"
#include "taxrec.h"

typedef void (*route_fn)(const struct route *r, const struct route_in *in,
                         json_t *req, struct route_out *out);

struct route_path {
    const char *path;
    const char *method;
    int partner; /* signed Bank 131 call: headers and signature checked */
    int counter; /* enum world_counter, or -1 for control calls */
    route_fn fn;
};

void route_reply(struct route_out *out, unsigned status, json_t *obj)
{
    free(out->body);
    out->body = api_dump(obj, NULL);
    out->status = out->body != NULL ? status : 500;
    json_decref(obj);
}

static void route_error(struct route_out *out, unsigned status,
                        const char *code, const char *description)
{
    route_reply(out, status,
                json_pack("{s:s, s:{s:s, s:s}}", "status", "error", "error",
                          "code", code, "description", description));
}

static void route_ok(struct route_out *out)
{
    route_reply(out, 200, json_pack("{s:s}", "status", "ok"));
}

/* Turns a refusal from the world into its error reply. */
static void route_world_error(struct route_out *out, enum world_rc rc,
                              const char *why)
{
    switch (rc) {
    case WORLD_OK:
        return;
    case WORLD_BAD_REQUEST:
        route_error(out, 400, "invalid_request", why ? why : "bad request");
        return;
    case WORLD_NOT_FOUND:
        route_error(out, 404, "invalid_request", why ? why : "not found");
        return;
    case WORLD_TOO_SOON:
        route_error(out, 429, "invalid_request",
                    why ? why : "too many requests");
        return;
    case WORLD_TAX_FAILED:
        route_error(out, 502, "npd_service_internal_error",
                    why ? why : "the tax service failed");
        return;
    case WORLD_NO_MEMORY:
        break;
    }
    route_error(out, 500, "internal_error", "the sandbox is out of memory");
}

/* A string member, or NULL after writing a 400 reply naming it. */
static const char *route_string(json_t *obj, const char *key,
                                struct route_out *out)
{
    const char *s = json_string_value(json_object_get(obj, key));

    if (s == NULL || s[0] == '\0') {
        route_reply(out, 400,
                    json_pack("{s:s, s:{s:s, s:s+}}", "status", "error",
                              "error", "code", "invalid_request", "description",
                              key, " must be a string"));
        return NULL;
    }
    return s;
}

/* The tax_reference member when it is a person's valid INN; the masked
 * form goes to the log either way. */
static const char *route_inn(json_t *obj, struct route_out *out)
{
    const char *inn = route_string(obj, "tax_reference", out);

    if (inn == NULL)
        return NULL;

    inn_mask(inn, out->inn_masked);
    if (inn_check(inn) != INN_OK) {
        route_error(out, 400, "invalid_request",
                    "tax_reference is not a valid 12-digit INN");
        return NULL;
    }
    return inn;
}

static void route_check(const struct route *r, const struct route_in *in,
                        json_t *req, struct route_out *out)
{
    const char *inn = route_inn(req, out);
    char id[WORLD_ID_LEN + 1];
    const char *why = NULL;
    int64_t wait_ms = 0;
    enum world_rc rc;

    if (inn == NULL)
        return;

    rc = world_check(r->world, inn, in->now_ms, id, &wait_ms, &why);
    if (rc == WORLD_TOO_SOON)
        out->retry_after_s = (long)((wait_ms + 999) / 1000);
    if (rc != WORLD_OK) {
        route_world_error(out, rc, why);
        return;
    }
    route_reply(out, 200,
                json_pack("{s:s, s:s}", "status", "ok", "request_id", id));
}

/* The tax service's answer in the shape this scenario uses. */
static json_t *route_answer(const char *id, enum world_answer a)
{
    switch (a) {
    case WORLD_PENDING:
        return json_pack("{s:s, s:s}", "status", "pending", "request_id", id);
    case WORLD_UNKNOWN:
        return json_pack("{s:s, s:{s:s, s:s}}", "status", "error", "error",
                         "code", "taxpayer_unknown", "description",
                         "the tax service knows no self-employed person "
                         "with this INN");
    case WORLD_NOT_SE:
        return json_pack("{s:s, s:s, s:{s:b, s:b}}", "status", "ok",
                         "request_id", id, "taxpayer",
                         "is_professional_income_taxpayer", 0, "is_linked", 0);
    case WORLD_NOT_LINKED:
    case WORLD_LINKED:
        return json_pack("{s:s, s:s, s:b, s:b}", "status", "ok", "request_id",
                         id, "is_professional_income_taxpayer", 1, "is_linked",
                         a == WORLD_LINKED);
    case WORLD_SERVICE_DOWN:
        break;
    }
    return json_pack("{s:s, s:{s:s, s:s}}", "status", "error", "error", "code",
                     "npd_service_internal_error", "description",
                     "the tax service did not answer");
}

static void route_status(const struct route *r, const struct route_in *in,
                         json_t *req, struct route_out *out)
{
    const char *id = route_string(req, "request_id", out);
    enum world_answer a;
    const char *why = NULL;
    enum world_rc rc;

    if (id == NULL)
        return;

    rc = world_poll(r->world, id, in->now_ms, &a, &why);
    if (rc != WORLD_OK) {
        route_world_error(out, rc, why);
        return;
    }
    route_reply(out, 200, route_answer(id, a));
}

static void route_token(const struct route *r, const struct route_in *in,
                        json_t *req, struct route_out *out)
{
    json_t *widget = json_object_get(req, "self_employed_widget");
    char token[WORLD_TOKEN_LEN + 1];
    const char *why = NULL;
    const char *inn;
    enum world_rc rc;

    (void)in;
    if (!json_is_object(widget)) {
        route_error(out, 400, "invalid_request",
                    "self_employed_widget must be an object");
        return;
    }
    inn = route_inn(widget, out);
    if (inn == NULL)
        return;

    rc = world_token(r->world, inn, token, &why);
    if (rc != WORLD_OK) {
        route_world_error(out, rc, why);
        return;
    }
    route_reply(out, 200,
                json_pack("{s:s, s:s}", "status", "ok", "public_token", token));
}

/* Permissions must be a non-empty list of codes. */
static int route_permissions_ok(json_t *perms)
{
    size_t i;
    json_t *p;

    if (!json_is_array(perms) || json_array_size(perms) == 0)
        return 0;
    json_array_foreach(perms, i, p)
    {
        const char *s = json_string_value(p);

        if (s == NULL || s[0] == '\0')
            return 0;
    }
    return 1;
}

static const char *route_link_state_name(enum world_link_state s)
{
    switch (s) {
    case WORLD_LINK_IN_PROGRESS:
        return "in_progress";
    case WORLD_LINK_COMPLETED:
        return "completed";
    case WORLD_LINK_FAILED:
        break;
    }
    return "failed";
}

static void route_link_reply(struct route_out *out, const char *id,
                             enum world_link_state s)
{
    route_reply(out, 200,
                json_pack("{s:s, s:s, s:s}", "status", "ok", "link_request_id",
                          id, "state", route_link_state_name(s)));
}

static void route_link(const struct route *r, const struct route_in *in,
                       json_t *req, struct route_out *out)
{
    const char *token = route_string(req, "public_token", out);
    const char *inn = token != NULL ? route_inn(req, out) : NULL;
    char id[WORLD_ID_LEN + 1];
    enum world_link_state s;
    const char *why = NULL;
    enum world_rc rc;

    if (inn == NULL)
        return;
    if (!route_permissions_ok(json_object_get(req, "permissions"))) {
        route_error(out, 400, "invalid_request",
                    "permissions must be a non-empty list of codes");
        return;
    }

    rc = world_link(r->world, token, inn, in->idempotency_key, in->now_ms, id,
                    &s, &why);
    if (rc != WORLD_OK) {
        route_world_error(out, rc, why);
        return;
    }
    route_link_reply(out, id, s);
}

static void route_link_status(const struct route *r, const struct route_in *in,
                              json_t *req, struct route_out *out)
{
    const char *id = route_string(req, "link_request_id", out);
    enum world_link_state s;
    const char *why = NULL;
    enum world_rc rc;

    if (id == NULL)
        return;

    rc = world_link_status(r->world, id, in->now_ms, &s, &why);
    if (rc != WORLD_OK) {
        route_world_error(out, rc, why);
        return;
    }
    route_link_reply(out, id, s);
}

static int route_action(const char *name, enum world_action *out)
{
    if (strcmp(name, "confirm") == 0)
        *out = WORLD_CONFIRM;
    else if (strcmp(name, "decline") == 0)
        *out = WORLD_DECLINE;
    else if (strcmp(name, "revoke") == 0)
        *out = WORLD_REVOKE;
    else
        return -1;
    return 0;
}

static void route_customer(const struct route *r, const struct route_in *in,
                           json_t *req, struct route_out *out)
{
    const char *inn = route_inn(req, out);
    const char *name = inn != NULL ? route_string(req, "action", out) : NULL;
    enum world_action action;
    const char *why = NULL;
    enum world_rc rc;

    if (name == NULL)
        return;
    if (route_action(name, &action) != 0) {
        route_error(out, 400, "invalid_request",
                    "action must be confirm, decline or revoke");
        return;
    }

    rc = world_act(r->world, inn, action, in->now_ms, &why);
    if (rc != WORLD_OK) {
        route_world_error(out, rc, why);
        return;
    }
    route_ok(out);
}

/* {"check":[t, ...], ...}: arrival times on each call, monotonic ms. */
static json_t *route_times(struct fault_table *t)
{
    json_t *obj = json_object();
    int64_t times[FAULT_TIMES];

    for (int ep = 0; obj != NULL && ep < FAULT_EP_COUNT; ep++) {
        size_t n = fault_times(t, ep, times);
        json_t *arr = json_array();

        for (size_t i = 0; arr != NULL && i < n; i++)
            json_array_append_new(arr, json_integer((json_int_t)times[i]));
        if (arr == NULL ||
            json_object_set_new(obj, fault_endpoint_name(ep), arr) != 0) {
            json_decref(obj);
            obj = NULL;
        }
    }
    return obj;
}

static void route_stats(const struct route *r, const struct route_in *in,
                        json_t *req, struct route_out *out)
{
    unsigned long n[WORLD_N_COUNT];
    json_t *obj = json_object();

    (void)in;
    (void)req;
    world_stats(r->world, n);
    for (int i = 0; obj != NULL && i < WORLD_N_COUNT; i++) {
        if (json_object_set_new(obj, world_counter_name(i),
                                json_integer((json_int_t)n[i])) != 0) {
            json_decref(obj);
            obj = NULL;
        }
    }
    if (obj != NULL && r->faults != NULL &&
        json_object_set_new(obj, "times", route_times(r->faults)) != 0) {
        json_decref(obj);
        obj = NULL;
    }
    route_reply(out, 200, obj);
}

/* A number member in [0, max], or def when absent; -1 when bad. */
static int route_fault_number(json_t *req, const char *key, long max, long def,
                              long *out)
{
    json_t *v = json_object_get(req, key);

    *out = def;
    if (v == NULL)
        return 0;
    if (!json_is_integer(v) || json_integer_value(v) < 0 ||
        json_integer_value(v) > max)
        return -1;
    *out = (long)json_integer_value(v);
    return 0;
}

static int route_fault_rule(json_t *req, struct fault_rule *rule, char *err,
                            size_t errlen)
{
    const char *name = json_string_value(json_object_get(req, "fault"));
    long ms, retry, count;

    if (name == NULL) {
        snprintf(err, errlen, "fault must be a string");
        return -1;
    }
    if (fault_parse(name, rule, err, errlen) != 0)
        return -1;
    if (route_fault_number(req, "ms", 600000, rule->ms, &ms) != 0 ||
        route_fault_number(req, "retry_after", 86400, rule->retry_after_s,
                           &retry) != 0 ||
        route_fault_number(req, "count", 1000000, -1, &count) != 0) {
        snprintf(err, errlen,
                 "ms, retry_after and count must be whole "
                 "numbers in range");
        return -1;
    }
    rule->ms = ms;
    rule->retry_after_s = retry;
    rule->count = count;
    return 0;
}

static void route_fault(const struct route *r, const struct route_in *in,
                        json_t *req, struct route_out *out)
{
    const char *name = json_string_value(json_object_get(req, "endpoint"));
    int ep = name != NULL ? fault_endpoint_by_name(name) : -1;
    struct fault_rule rule;
    char err[128];

    (void)in;
    if (ep < 0 || r->faults == NULL) {
        route_error(out, 400, "invalid_request",
                    "endpoint must be check, status, token, link or "
                    "link_status");
        return;
    }
    if (route_fault_rule(req, &rule, err, sizeof err) != 0) {
        route_error(out, 400, "invalid_request", err);
        return;
    }
    fault_set(r->faults, ep, &rule);
    route_ok(out);
}

/* The personal data check: each known member sent is compared with the
 * tax service's record; members it does not know are left out. */
static void route_personal_info(const struct route *r,
                                const struct route_in *in, json_t *req,
                                struct route_out *out)
{
    static const char *const names[TAXREC_COUNT] = {"last_name", "first_name",
                                                    "middle_name", "phone"};
    const char *inn = route_inn(req, out);
    json_t *m;

    (void)r;
    (void)in;
    if (inn == NULL)
        return;
    if (strcmp(inn, "500000000660") == 0) {
        route_world_error(out, WORLD_TAX_FAILED, NULL);
        return;
    }
    if (!taxrec_known(inn)) {
        route_error(out, 400, "taxpayer_unknown",
                    "the tax service has no record of this INN");
        return;
    }

    m = json_pack("{s:b}", "tax_reference", 1);
    for (int f = 0; m != NULL && f < TAXREC_COUNT; f++) {
        const char *v = json_string_value(json_object_get(req, names[f]));

        if (v != NULL)
            json_object_set_new(m, names[f], json_boolean(taxrec_same(f, v)));
    }
    route_reply(out, 200,
                m ? json_pack("{s:s, s:o}", "status", "ok", "matches", m)
                  : NULL);
}

static const struct route_path route_paths[] = {
    {"/api/v1/npd/check", "POST", 1, WORLD_N_CHECK, route_check},
    {"/api/v1/npd/request/status", "POST", 1, WORLD_N_STATUS, route_status},
    {"/api/v1/token", "POST", 1, WORLD_N_TOKEN, route_token},
    {"/api/v1/self_employed_widget/link", "POST", 1, WORLD_N_LINK, route_link},
    {"/api/v1/self_employed_widget/link/status", "POST", 1, WORLD_N_LINK_STATUS,
     route_link_status},
    {"/api/v1/npd/taxpayer/check_personal_info", "POST", 1,
     WORLD_N_PERSONAL_INFO, route_personal_info},
    {"/sandbox/customer", "POST", 0, -1, route_customer},
    {"/sandbox/stats", "GET", 0, -1, route_stats},
    {"/sandbox/fault", "POST", 0, -1, route_fault},
};

static const struct route_path *route_find(const char *path)
{
    for (size_t i = 0; i < sizeof route_paths / sizeof *route_paths; i++)
        if (strcmp(route_paths[i].path, path) == 0)
            return &route_paths[i];
    return NULL;
}

/* Content type, project and signature of a Bank 131 call; 0 when all
 * hold, else -1 with the error reply written. */
static int route_partner(const struct route *r, const struct route_in *in,
                         struct route_out *out)
{
    if (in->content_type == NULL ||
        strncasecmp(in->content_type, "application/json", 16) != 0) {
        route_error(out, 400, "invalid_request",
                    "Content-Type must be application/json");
        return -1;
    }

    if (in->project == NULL || strcmp(in->project, r->project) != 0) {
        route_error(out, 401, "identification_error",
                    in->project == NULL ? "X-PARTNER-PROJECT is missing"
                                        : "unknown X-PARTNER-PROJECT");
        return -1;
    }

    if (in->sign == NULL ||
        sign_verify(r->pub, in->body != NULL ? in->body : "", in->len,
                    in->sign) != 0) {
        world_count(r->world, WORLD_N_REJECTED_SIGNATURE);
        route_error(out, 401, "authentication_error",
                    in->sign == NULL ? "X-PARTNER-SIGN is missing"
                                     : "the signature does not match the "
                                       "body");
        return -1;
    }
    return 0;
}

/* The body as a JSON object, or NULL with a 400 reply written. */
static json_t *route_parse(const struct route_in *in, struct route_out *out)
{
    json_error_t jerr;
    json_t *req = NULL;

    if (in->len > 0)
        req = json_loadb(in->body, in->len, JSON_REJECT_DUPLICATES, &jerr);
    if (!json_is_object(req)) {
        json_decref(req);
        route_error(out, 400, "invalid_request",
                    "the body must be a JSON object");
        return NULL;
    }
    return req;
}

void route_handle(const struct route *r, const struct route_in *in,
                  struct route_out *out)
{
    const struct route_path *p = route_find(in->path);
    json_t *req = NULL;

    memset(out, 0, sizeof *out);
    out->retry_after_s = -1;
    if (p == NULL) {
        route_error(out, 404, "invalid_request", "no such path");
        return;
    }
    out->known_path = 1;

    if (p->counter >= 0)
        world_count(r->world, (enum world_counter)p->counter);
    if (strcmp(in->method, p->method) != 0) {
        route_error(out, 405, "invalid_request", "method not allowed");
        return;
    }
    if (p->partner && route_partner(r, in, out) != 0)
        return;

    if (strcmp(p->method, "POST") == 0) {
        req = route_parse(in, out);
        if (req == NULL)
            return;
    }
    p->fn(r, in, req, out);
    json_decref(req);
}

void route_too_large(const char *path, struct route_out *out)
{
    memset(out, 0, sizeof *out);
    out->retry_after_s = -1;
    out->known_path = route_find(path) != NULL;
    route_error(out, 413, "invalid_request",
                "the body is larger than the sandbox accepts");
}

void route_count(const struct route *r, const char *path)
{
    const struct route_path *p = route_find(path);

    if (p != NULL && p->counter >= 0)
        world_count(r->world, (enum world_counter)p->counter);
}

void route_out_free(struct route_out *out)
{
    free(out->body);
    out->body = NULL;
}
