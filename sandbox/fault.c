/*
 * fault: the rules, their parsing, and the replies faults stand for.
 */
#include "fault.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#define FAULT_LONG_LEN (100 * 1024)
#define FAULT_OVERSIZE_LEN (2 * 1024 * 1024)
#define FAULT_MAX_MS 600000L
#define FAULT_MAX_S 86400L

struct fault_table {
    pthread_mutex_t lock;
    struct fault_rule rules[FAULT_EP_COUNT];
    int64_t times[FAULT_EP_COUNT][FAULT_TIMES];
    size_t ntimes[FAULT_EP_COUNT];
};

static const char *const fault_ep_names[FAULT_EP_COUNT] = {
    [FAULT_EP_CHECK] = "check",
    [FAULT_EP_STATUS] = "status",
    [FAULT_EP_TOKEN] = "token",
    [FAULT_EP_LINK] = "link",
    [FAULT_EP_LINK_STATUS] = "link_status",
};

static const char *const fault_ep_paths[FAULT_EP_COUNT] = {
    [FAULT_EP_CHECK] = "/api/v1/npd/check",
    [FAULT_EP_STATUS] = "/api/v1/npd/request/status",
    [FAULT_EP_TOKEN] = "/api/v1/token",
    [FAULT_EP_LINK] = "/api/v1/self_employed_widget/link",
    [FAULT_EP_LINK_STATUS] = "/api/v1/self_employed_widget/link/status",
};

static const char *const fault_names[] = {
    [FAULT_NONE] = "none",
    [FAULT_DELAY] = "delay",
    [FAULT_HANG] = "hang",
    [FAULT_RESET] = "reset",
    [FAULT_HTTP429] = "http429",
    [FAULT_HTTP500] = "http500",
    [FAULT_HTTP502] = "http502",
    [FAULT_HTTP503] = "http503",
    [FAULT_EMPTY200] = "empty200",
    [FAULT_BADJSON] = "badjson",
    [FAULT_WRONGTYPES] = "wrongtypes",
    [FAULT_MISSING] = "missing",
    [FAULT_NULLS] = "nulls",
    [FAULT_HUGENUM] = "hugenum",
    [FAULT_LONGSTR] = "longstr",
    [FAULT_CTRLBYTES] = "ctrlbytes",
    [FAULT_BADUTF8] = "badutf8",
    [FAULT_OVERSIZE] = "oversize",
    [FAULT_ERROR] = "error",
};

/* Bank 131's published error codes and the HTTP status each comes with
 * (docs/sandbox.md); npd_service_internal_error on status comes with 200
 * instead, as the tax service's own answer does. */
static const struct {
    const char *code;
    unsigned status;
} fault_codes[] = {
    {"identification_error", 401},
    {"authentication_error", 401},
    {"authorization_error", 403},
    {"invalid_request", 400},
    {"internal_error", 500},
    {"taxpayer_unknown", 200},
    {"taxpayer_not_bound", 200},
    {"taxpayer_already_bound", 200},
    {"npd_service_internal_error", 502},
    {"provider_timeout", 502},
    {"provider_internal_error", 502},
};

#define FAULT_NCODES (sizeof fault_codes / sizeof *fault_codes)

/* The member each call's answer hangs on, spoilt by the shape faults. */
static const char *const fault_key[FAULT_EP_COUNT] = {
    [FAULT_EP_CHECK] = "request_id",
    [FAULT_EP_STATUS] = "is_professional_income_taxpayer",
    [FAULT_EP_TOKEN] = "public_token",
    [FAULT_EP_LINK] = "link_request_id",
    [FAULT_EP_LINK_STATUS] = "state",
};

static const char fault_html[] =
    "<!DOCTYPE html>\n<html><head><title>Bad Gateway</title></head>"
    "<body><h1>The service is unavailable</h1></body></html>\n";

static const char fault_badjson[] = "{\"status\":\"ok\",\"request_id\":";

/* jansson refuses to read a number this large, as a careful client
 * should. */
static const char fault_hugenum[] =
    "{\"status\":\"ok\",\"request_id\":1e400,\"public_token\":1e400,"
    "\"link_request_id\":1e400,\"state\":1e400,"
    "\"is_professional_income_taxpayer\":1e400,\"is_linked\":1e400}";

/* Raw bytes that are not UTF-8 inside a JSON string. */
static const char fault_badutf8[] =
    "{\"status\":\"error\",\"error\":{\"code\":\"internal_error\","
    "\"description\":\"bad \xff\xfe bytes \xc0\xaf here\"}}";

/* A terminal title, a screen clear, and C1 controls (CSI, NEL). */
static const char fault_ctrl_text[] = "\x1b]0;pwned\x07\x1b[2Jcleared \xc2\x9b"
                                      "31mred\xc2\x85 end";

struct fault_table *fault_table_new(void)
{
    struct fault_table *t = calloc(1, sizeof *t);

    if (t == NULL)
        return NULL;
    if (pthread_mutex_init(&t->lock, NULL) != 0) {
        free(t);
        return NULL;
    }
    return t;
}

void fault_table_free(struct fault_table *t)
{
    if (t == NULL)
        return;
    pthread_mutex_destroy(&t->lock);
    free(t);
}

int fault_endpoint_by_name(const char *name)
{
    for (int i = 0; i < FAULT_EP_COUNT; i++)
        if (strcmp(fault_ep_names[i], name) == 0)
            return i;
    return -1;
}

int fault_endpoint_by_path(const char *path)
{
    for (int i = 0; i < FAULT_EP_COUNT; i++)
        if (strcmp(fault_ep_paths[i], path) == 0)
            return i;
    return -1;
}

const char *fault_endpoint_name(int ep)
{
    return ep >= 0 && ep < FAULT_EP_COUNT ? fault_ep_names[ep] : "unknown";
}

static int fault_kind_by_name(const char *name, size_t len)
{
    for (size_t i = 0; i < sizeof fault_names / sizeof *fault_names; i++)
        if (strlen(fault_names[i]) == len &&
            strncmp(fault_names[i], name, len) == 0)
            return (int)i;
    return -1;
}

static int fault_code_index(const char *code)
{
    for (size_t i = 0; i < FAULT_NCODES; i++)
        if (strcmp(fault_codes[i].code, code) == 0)
            return (int)i;
    return -1;
}

static int fault_number(const char *text, long max, long *out)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || v < 0 || v > max)
        return -1;
    *out = v;
    return 0;
}

/* The argument after ':' for the kinds that take one. */
static int fault_argument(struct fault_rule *r, const char *arg, char *err,
                          size_t errlen)
{
    if (r->kind == FAULT_ERROR) {
        if (arg == NULL || fault_code_index(arg) < 0) {
            snprintf(err, errlen, "error wants a Bank 131 error code");
            return -1;
        }
        snprintf(r->code, sizeof r->code, "%s", arg);
        return 0;
    }
    if (arg == NULL)
        return 0;
    if (r->kind == FAULT_DELAY && fault_number(arg, FAULT_MAX_MS, &r->ms) == 0)
        return 0;
    if (r->kind == FAULT_HTTP429 &&
        fault_number(arg, FAULT_MAX_S, &r->retry_after_s) == 0)
        return 0;
    snprintf(err, errlen, "bad argument \"%s\" for this fault", arg);
    return -1;
}

int fault_parse(const char *spec, struct fault_rule *out, char *err,
                size_t errlen)
{
    const char *colon = strchr(spec, ':');
    size_t len = colon != NULL ? (size_t)(colon - spec) : strlen(spec);
    int kind = fault_kind_by_name(spec, len);

    memset(out, 0, sizeof *out);
    out->count = -1;
    out->retry_after_s = -1;
    if (kind < 0) {
        snprintf(err, errlen, "unknown fault \"%.*s\"", (int)len, spec);
        return -1;
    }
    out->kind = (enum fault_kind)kind;
    if (out->kind == FAULT_HTTP429)
        out->retry_after_s = 1;
    return fault_argument(out, colon != NULL ? colon + 1 : NULL, err, errlen);
}

int fault_parse_option(const char *text, int *ep, struct fault_rule *out,
                       char *err, size_t errlen)
{
    const char *eq = strchr(text, '=');
    char name[32];

    if (eq == NULL || (size_t)(eq - text) >= sizeof name) {
        snprintf(err, errlen, "--fault wants ENDPOINT=NAME[:ARG]");
        return -1;
    }
    snprintf(name, sizeof name, "%.*s", (int)(eq - text), text);
    *ep = fault_endpoint_by_name(name);
    if (*ep < 0) {
        snprintf(err, errlen, "unknown endpoint \"%s\"", name);
        return -1;
    }
    return fault_parse(eq + 1, out, err, errlen);
}

void fault_set(struct fault_table *t, int ep, const struct fault_rule *rule)
{
    pthread_mutex_lock(&t->lock);
    t->rules[ep] = *rule;
    if (rule->count == 0)
        t->rules[ep].kind = FAULT_NONE;
    pthread_mutex_unlock(&t->lock);
}

static void fault_note(struct fault_table *t, int ep, int64_t now_ms)
{
    size_t n = t->ntimes[ep];

    if (n == FAULT_TIMES) {
        memmove(t->times[ep], t->times[ep] + 1,
                (FAULT_TIMES - 1) * sizeof t->times[ep][0]);
        n--;
    }
    t->times[ep][n] = now_ms;
    t->ntimes[ep] = n + 1;
}

void fault_take(struct fault_table *t, int ep, int64_t now_ms,
                struct fault_rule *out)
{
    struct fault_rule *r = &t->rules[ep];

    pthread_mutex_lock(&t->lock);
    fault_note(t, ep, now_ms);
    *out = *r;
    if (r->kind != FAULT_NONE && r->count > 0 && --r->count == 0)
        r->kind = FAULT_NONE;
    pthread_mutex_unlock(&t->lock);
}

size_t fault_times(struct fault_table *t, int ep, int64_t out[FAULT_TIMES])
{
    size_t n;

    pthread_mutex_lock(&t->lock);
    n = t->ntimes[ep];
    memcpy(out, t->times[ep], n * sizeof out[0]);
    pthread_mutex_unlock(&t->lock);
    return n;
}

int fault_replaces(enum fault_kind kind)
{
    return kind != FAULT_NONE && kind != FAULT_DELAY;
}

static void fault_text(struct route_out *out, unsigned status, const char *text)
{
    out->body = strdup(text);
    out->status = status;
}

static void fault_error(struct route_out *out, unsigned status,
                        const char *code, const char *text)
{
    route_reply(out, status,
                json_pack("{s:s, s:{s:s, s:s}}", "status", "error", "error",
                          "code", code, "description", text));
}

/* A Bank 131 error code with its status. */
static void fault_code_reply(const struct fault_rule *rule, int ep,
                             struct route_out *out)
{
    int i = fault_code_index(rule->code);
    unsigned status = i >= 0 ? fault_codes[i].status : 500;

    if (ep == FAULT_EP_STATUS &&
        strcmp(rule->code, "npd_service_internal_error") == 0)
        status = 200;
    fault_error(out, status, rule->code, "an error played by the sandbox");
}

/* The answer of ep in its usual shape, with its key member set to v
 * (stolen; NULL leaves the member out). */
static json_t *fault_shape(int ep, json_t *v)
{
    json_t *obj = json_pack("{s:s}", "status", "ok");

    if (obj == NULL) {
        json_decref(v);
        return NULL;
    }
    if (ep == FAULT_EP_LINK)
        json_object_set_new(obj, "state", json_string("in_progress"));
    if (ep == FAULT_EP_STATUS)
        json_object_set_new(obj, "is_linked",
                            v != NULL && json_is_string(v)
                                ? json_string("false")
                                : json_incref(v));
    if (v != NULL)
        json_object_set_new(obj, fault_key[ep], v);
    return obj;
}

static json_t *fault_long_string(size_t len)
{
    char *s = malloc(len + 1);
    json_t *v;

    if (s == NULL)
        return NULL;
    memset(s, 'a', len);
    s[len] = '\0';
    v = json_string(s);
    free(s);
    return v;
}

/* The usual answer with an unknown member long enough that the whole
 * body passes what any client should be willing to read. */
static json_t *fault_oversize(int ep)
{
    json_t *obj = fault_shape(ep, ep == FAULT_EP_STATUS
                                      ? json_false()
                                      : json_string("sandbox-oversize"));

    if (obj != NULL)
        json_object_set_new(obj, "padding",
                            fault_long_string(FAULT_OVERSIZE_LEN));
    return obj;
}

/* Ids as numbers; the two booleans of a status answer as strings. */
static json_t *fault_wrong_type(int ep)
{
    return ep == FAULT_EP_STATUS ? json_string("true") : json_integer(12345);
}

static void fault_shape_reply(const struct fault_rule *rule, int ep,
                              struct route_out *out)
{
    switch (rule->kind) {
    case FAULT_WRONGTYPES:
        route_reply(out, 200, fault_shape(ep, fault_wrong_type(ep)));
        return;
    case FAULT_MISSING:
        route_reply(out, 200, fault_shape(ep, NULL));
        return;
    case FAULT_NULLS:
        route_reply(out, 200, fault_shape(ep, json_null()));
        return;
    case FAULT_LONGSTR:
        route_reply(out, 200,
                    fault_shape(ep, fault_long_string(FAULT_LONG_LEN)));
        return;
    case FAULT_OVERSIZE:
        route_reply(out, 200, fault_oversize(ep));
        return;
    default:
        break;
    }
    fault_text(out, 200, fault_hugenum);
}

void fault_reply(const struct fault_rule *rule, int ep, struct route_out *out)
{
    switch (rule->kind) {
    case FAULT_HTTP429:
        fault_error(out, 429, "invalid_request", "too many requests");
        out->retry_after_s = rule->retry_after_s;
        return;
    case FAULT_HTTP500:
    case FAULT_HTTP502:
    case FAULT_HTTP503:
        fault_text(out,
                   rule->kind == FAULT_HTTP500   ? 500
                   : rule->kind == FAULT_HTTP502 ? 502
                                                 : 503,
                   fault_html);
        out->content_type = "text/html; charset=utf-8";
        return;
    case FAULT_EMPTY200:
        fault_text(out, 200, "");
        return;
    case FAULT_BADJSON:
        fault_text(out, 200, fault_badjson);
        return;
    case FAULT_CTRLBYTES:
        fault_error(out, 500, "internal_error", fault_ctrl_text);
        return;
    case FAULT_BADUTF8:
        fault_text(out, 500, fault_badutf8);
        return;
    case FAULT_ERROR:
        fault_code_reply(rule, ep, out);
        return;
    default:
        break;
    }
    fault_shape_reply(rule, ep, out);
}
