/*
 * api: request bodies and the reading of Bank 131 replies.
 *
 * api_parse() trusts nothing it receives: every field is checked for type
 * and size, and a reply that does not fit the expected shape becomes a
 * fault rather than a guess.
 */
#include "api.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define KEY_TAXPAYER "is_professional_income_taxpayer"
#define KEY_LINKED "is_linked"

/* Codes meaning the tax service, not the bank, failed. */
static const char *const api_tax_codes[] = {
    "npd_service_internal_error",
    "provider_timeout",
    "provider_internal_error",
};

/* Codes meaning our own setup is wrong. */
static const char *const api_config_codes[] = {
    "identification_error",
    "authentication_error",
    "authorization_error",
    "invalid_request",
};

static const char *const api_call_names[API_CALL_COUNT] = {
    [API_CHECK] = "npd/check",
    [API_STATUS] = "npd/request/status",
    [API_TOKEN] = "token",
    [API_LINK] = "link",
    [API_LINK_STATUS] = "link/status",
    [API_PERSONAL_INFO] = "npd/taxpayer/check_personal_info",
};

const char *api_call_name(enum api_call call)
{
    if ((unsigned)call >= API_CALL_COUNT)
        return "unknown";
    return api_call_names[call];
}

const char *api_fault_name(enum api_fault fault)
{
    switch (fault) {
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

const char *api_verdict_name(enum api_verdict verdict)
{
    switch (verdict) {
    case API_VERDICT_NONE:
        return "none";
    case API_VERDICT_NOT_SELF_EMPLOYED:
        return "not_self_employed";
    case API_VERDICT_NOT_LINKED:
        return "not_linked";
    case API_VERDICT_LINKED:
        return "linked";
    }
    return "unknown";
}

/* Bodies */

/* json_dumps() can return text with a byte missing when it runs out of
 * memory halfway, so the text is measured first and then written into a
 * buffer of exactly that size, which cannot fail halfway. */
char *api_dump(const json_t *obj, size_t *lenp)
{
    size_t n;
    char *s = NULL;

    if (obj == NULL)
        return NULL;

    n = json_dumpb(obj, NULL, 0, JSON_COMPACT);
    if (n > 0)
        s = malloc(n + 1);
    if (s != NULL && json_dumpb(obj, s, n, JSON_COMPACT) != n) {
        free(s);
        s = NULL;
    }
    if (s == NULL)
        return NULL;
    s[n] = '\0';
    if (lenp != NULL)
        *lenp = n;
    return s;
}

/* api_dump() of a fresh object, which it then drops. */
static char *api_dump_new(json_t *obj)
{
    char *s = api_dump(obj, NULL);

    json_decref(obj);
    return s;
}

char *api_body_check(const char *inn)
{
    return api_dump_new(json_pack("{s:s}", "tax_reference", inn));
}

char *api_body_status(const char *request_id)
{
    return api_dump_new(json_pack("{s:s}", "request_id", request_id));
}

char *api_body_token(const char *inn)
{
    return api_dump_new(
        json_pack("{s:{s:s}}", "self_employed_widget", "tax_reference", inn));
}

static json_t *api_string_array(const char *const *items, size_t n)
{
    json_t *arr = json_array();
    size_t i;

    if (arr == NULL)
        return NULL;

    for (i = 0; i < n; i++) {
        json_t *s = json_string(items[i]);

        if (s == NULL || json_array_append_new(arr, s) != 0) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

char *api_body_link(const char *public_token, const char *inn,
                    const char *const *perms, size_t nperms)
{
    json_t *arr = api_string_array(perms, nperms);

    if (arr == NULL)
        return NULL;

    /* "o" steals the array, also when packing fails. */
    return api_dump_new(json_pack("{s:s, s:s, s:o}", "public_token",
                                  public_token, "tax_reference", inn,
                                  "permissions", arr));
}

char *api_body_link_status(const char *link_id)
{
    return api_dump_new(json_pack("{s:s}", "link_request_id", link_id));
}

char *api_body_fields(const char *const *names, const char *const *values,
                      size_t n)
{
    json_t *obj = json_object();
    size_t i;

    for (i = 0; obj != NULL && i < n; i++) {
        if (json_object_set_new(obj, names[i], json_string(values[i])) != 0) {
            json_decref(obj);
            obj = NULL;
        }
    }
    return api_dump_new(obj);
}

/* Sanitising */

/* Length of the valid UTF-8 sequence at s, or 0 when it is not one
 * (overlong forms, surrogates and values past U+10FFFF included). */
static size_t api_utf8_len(const unsigned char *s, size_t avail, unsigned *cp)
{
    unsigned char c = s[0], lo = 0x80, hi = 0xbf;
    size_t n, i;

    if (c < 0x80) {
        *cp = c;
        return 1;
    }

    if (c >= 0xc2 && c <= 0xdf)
        n = 2;
    else if (c >= 0xe0 && c <= 0xef)
        n = 3;
    else if (c >= 0xf0 && c <= 0xf4)
        n = 4;
    else
        return 0;

    if (c == 0xe0)
        lo = 0xa0;
    else if (c == 0xed)
        hi = 0x9f;
    else if (c == 0xf0)
        lo = 0x90;
    else if (c == 0xf4)
        hi = 0x8f;

    if (avail < n || s[1] < lo || s[1] > hi)
        return 0;

    *cp = c & (0xff >> (n + 1));
    for (i = 1; i < n; i++) {
        if (i > 1 && (s[i] & 0xc0) != 0x80)
            return 0;
        *cp = (*cp << 6) | (s[i] & 0x3f);
    }
    return n;
}

static int api_is_control(unsigned cp)
{
    return cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f);
}

/* Bytes to skip for the escape sequence starting with ESC at s, so that
 * neither the ESC nor the visible rest of a colour or title sequence
 * reaches the screen. */
static size_t api_escape_len(const unsigned char *s, size_t avail)
{
    size_t i = 2;

    if (avail < 2)
        return avail;

    if (s[1] == '[') {
        while (i < avail && s[i] >= 0x20 && s[i] <= 0x3f)
            i++;
        return i < avail && s[i] >= 0x40 && s[i] <= 0x7e ? i + 1 : i;
    }

    if (s[1] == ']') {
        while (i < avail && s[i] != 0x07 && s[i] != 0x1b)
            i++;
        if (i < avail && s[i] == 0x07)
            return i + 1;
        return i + 1 < avail && s[i + 1] == '\\' ? i + 2 : i;
    }

    return s[1] >= 0x30 && s[1] <= 0x7e ? 2 : 1;
}

void api_sanitize(const char *in, size_t len, char *out, size_t outlen)
{
    const unsigned char *s = (const unsigned char *)in;
    size_t i = 0, o = 0;

    if (outlen == 0)
        return;

    while (in != NULL && i < len) {
        unsigned cp = 0;
        size_t n = api_utf8_len(s + i, len - i, &cp);
        const char *src = n > 0 ? in + i : "?";
        size_t put = n > 0 ? n : 1;

        if (n > 0 && cp == 0x1b) {
            i += api_escape_len(s + i, len - i);
            continue;
        }
        i += put;
        if (n > 0 && api_is_control(cp))
            continue;

        if (o + put >= outlen)
            break;
        memcpy(out + o, src, put);
        o += put;
    }
    out[o] = '\0';
}

/* Reading replies */

/* Marks the reply as failed; the description is kept when the bank
 * already gave one, otherwise fmt fills it. */
static void api_fail(struct api_reply *out, enum api_fault fault,
                     const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void api_fail(struct api_reply *out, enum api_fault fault,
                     const char *fmt, ...)
{
    va_list ap;

    out->result = API_RES_ERROR;
    out->fault = fault;
    out->verdict = API_VERDICT_NONE;
    out->link_state = API_LINK_UNKNOWN;
    out->request_id[0] = '\0';
    out->public_token[0] = '\0';
    out->link_id[0] = '\0';
    out->nfields = 0;
    out->fields_listed = 0;

    if (out->description[0] != '\0')
        return;

    va_start(ap, fmt);
    vsnprintf(out->description, sizeof(out->description), fmt, ap);
    va_end(ap);
}

static void api_unexpected(struct api_reply *out, const char *what)
{
    api_fail(out, API_FAULT_BANK, "unexpected reply: %s", what);
}

/* The fault for a reply whose body gives no usable reason. */
static enum api_fault api_http_fault(long status)
{
    return status == 401 || status == 403 ? API_FAULT_CONFIG : API_FAULT_BANK;
}

static int api_is_2xx(long status)
{
    return status >= 200 && status <= 299;
}

static int api_in_list(const char *s, const char *const *list, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (strcmp(s, list[i]) == 0)
            return 1;
    return 0;
}

static int api_looks_html(const struct api_http *in)
{
    const char *ct = in->content_type;
    size_t i = 0;

    while (ct != NULL && (*ct == ' ' || *ct == '\t'))
        ct++;
    if (ct != NULL && strncasecmp(ct, "text/html", 9) == 0)
        return 1;

    while (i < in->len && strchr(" \t\r\n", in->body[i]) != NULL)
        i++;
    return i < in->len && in->body[i] == '<';
}

/* The body as a JSON object, or NULL with the reply marked failed. */
static json_t *api_load_object(const struct api_http *in, struct api_reply *out)
{
    enum api_fault fault = api_http_fault(in->status);
    json_error_t jerr;
    json_t *root;

    if (in->len == 0 || in->body == NULL) {
        api_fail(out, fault, "an empty reply (HTTP %ld)", in->status);
        return NULL;
    }

    if (api_looks_html(in)) {
        api_fail(out, fault, "an HTML page instead of JSON (HTTP %ld)",
                 in->status);
        return NULL;
    }

    root = json_loadb(in->body, in->len,
                      JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
    if (root == NULL) {
        api_fail(out, fault, "not valid JSON (HTTP %ld)", in->status);
        return NULL;
    }

    if (!json_is_object(root)) {
        json_decref(root);
        api_fail(out, fault, "a reply that is not a JSON object (HTTP %ld)",
                 in->status);
        return NULL;
    }
    return root;
}

/* A string member, or NULL when absent, null or not a string. */
static const char *api_get_string(const json_t *obj, const char *key,
                                  size_t *len)
{
    json_t *v = json_object_get(obj, key);

    if (!json_is_string(v))
        return NULL;
    *len = json_string_length(v);
    return json_string_value(v);
}

static int api_is_absent(const json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);

    return v == NULL || json_is_null(v);
}

/* Copies the error object's code and description for display; returns
 * the raw code for classification, or NULL when there is none. */
static const char *api_read_error(const json_t *root, struct api_reply *out)
{
    json_t *err = json_object_get(root, "error");
    const char *code, *text;
    size_t len = 0;

    if (!json_is_object(err))
        return NULL;

    text = api_get_string(err, "description", &len);
    if (text != NULL)
        api_sanitize(text, len, out->description, sizeof(out->description));

    code = api_get_string(err, "code", &len);
    if (code == NULL || len == 0)
        return NULL;
    api_sanitize(code, len, out->code, sizeof(out->code));
    return code;
}

/* The verdict an error code stands for in a reply to call, if any. */
static enum api_verdict api_code_verdict(enum api_call call, const char *code)
{
    int check = call == API_CHECK || call == API_STATUS;

    if (call == API_PERSONAL_INFO)
        return API_VERDICT_NONE;
    if (strcmp(code, "taxpayer_already_bound") == 0)
        return API_VERDICT_LINKED;
    if (check && strcmp(code, "taxpayer_not_bound") == 0)
        return API_VERDICT_NOT_LINKED;
    if (check && strcmp(code, "taxpayer_unknown") == 0)
        return API_VERDICT_NOT_SELF_EMPLOYED;
    return API_VERDICT_NONE;
}

/* The statuses under which an error code can be the bank's answer about
 * the taxpayer: not a refusal of our request itself (401, 403, 407), a
 * rate limit (429) or a failure (5xx). */
static int api_status_can_answer(long http)
{
    return http >= 200 && http < 500 && http != 401 && http != 403 &&
           http != 407 && http != 429;
}

static void api_parse_error(enum api_call call, long http, const json_t *root,
                            struct api_reply *out)
{
    const char *code = api_read_error(root, out);
    size_t ntax = sizeof(api_tax_codes) / sizeof(api_tax_codes[0]);
    size_t nconf = sizeof(api_config_codes) / sizeof(api_config_codes[0]);
    enum api_verdict v;

    v = code != NULL && api_status_can_answer(http)
            ? api_code_verdict(call, code)
            : API_VERDICT_NONE;
    if (v != API_VERDICT_NONE) {
        out->result = API_RES_OK;
        out->verdict = v;
        return;
    }

    if (code != NULL && api_in_list(code, api_tax_codes, ntax))
        api_fail(out, API_FAULT_TAX_SERVICE,
                 "the tax service failed (HTTP %ld)", http);
    else if (http >= 500)
        api_fail(out, API_FAULT_BANK, "the bank failed (HTTP %ld)", http);
    else if (code != NULL && api_in_list(code, api_config_codes, nconf))
        api_fail(out, API_FAULT_CONFIG, "request refused (HTTP %ld)", http);
    else
        api_fail(out, api_http_fault(http), "an error reply (HTTP %ld)", http);
}

/* Copies an id that must be kept whole: printable ASCII, not empty, and
 * short enough to fit; anything else is refused, never cut. */
static int api_copy_id(const json_t *obj, const char *key, char *dst,
                       size_t dstlen)
{
    size_t len = 0, i;
    const char *s = api_get_string(obj, key, &len);

    if (s == NULL || len == 0 || len >= dstlen)
        return -1;

    for (i = 0; i < len; i++)
        if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
            return -1;

    memcpy(dst, s, len);
    dst[len] = '\0';
    return 0;
}

/* Only a check and the questions about a request may still be pending:
 * a token, a link request or a data check either answers or fails. */
static void api_parse_pending(enum api_call call, const json_t *root,
                              struct api_reply *out)
{
    if (call != API_CHECK && call != API_STATUS && call != API_LINK_STATUS) {
        api_unexpected(out, "pending, where an answer was due");
        return;
    }
    if (call == API_CHECK && !api_is_absent(root, "request_id")) {
        if (api_copy_id(root, "request_id", out->request_id,
                        sizeof(out->request_id)) != 0) {
            api_unexpected(out, "bad request_id");
            return;
        }
        out->result = API_RES_OK;
        return;
    }
    out->result = API_RES_PENDING;
}

/* 1 with *val for JSON true/false, 0 when absent or null, -1 when the
 * member is anything else (a number or a string is not a boolean). */
static int api_get_bool(const json_t *obj, const char *key, int *val)
{
    json_t *v = json_object_get(obj, key);

    if (v == NULL || json_is_null(v))
        return 0;
    if (!json_is_boolean(v))
        return -1;
    *val = json_is_true(v);
    return 1;
}

static int api_has_flags(const json_t *obj)
{
    return !api_is_absent(obj, KEY_TAXPAYER) || !api_is_absent(obj, KEY_LINKED);
}

/* The object holding the two booleans: the reply itself, or the one
 * object member that has them. NULL when none or more than one does. */
static const json_t *api_flag_holder(const json_t *root)
{
    const json_t *found = NULL;
    const char *key;
    json_t *v;

    if (api_has_flags(root))
        return root;

    json_object_foreach((json_t *)root, key, v)
    {
        if (!json_is_object(v) || !api_has_flags(v))
            continue;
        if (found != NULL)
            return NULL;
        found = v;
    }
    return found;
}

static void api_parse_status(const json_t *root, struct api_reply *out)
{
    const json_t *h = api_flag_holder(root);
    int taxpayer = 0, linked = 0, rt, rl;

    if (h == NULL) {
        api_unexpected(out, "no taxpayer flags");
        return;
    }

    rt = api_get_bool(h, KEY_TAXPAYER, &taxpayer);
    rl = api_get_bool(h, KEY_LINKED, &linked);
    if (rt <= 0 || rl < 0 || (taxpayer && rl == 0)) {
        api_unexpected(out, "bad taxpayer flags");
        return;
    }

    out->result = API_RES_OK;
    if (!taxpayer)
        out->verdict = API_VERDICT_NOT_SELF_EMPLOYED;
    else
        out->verdict = linked ? API_VERDICT_LINKED : API_VERDICT_NOT_LINKED;
}

static void api_parse_token(const json_t *root, struct api_reply *out)
{
    size_t len = 0;
    const char *s = api_get_string(root, "public_token", &len);

    if (s == NULL || len == 0 || len >= sizeof(out->public_token) ||
        strspn(s, "0123456789abcdefghijklmnopqrstuvwxyz"
                  "ABCDEFGHIJKLMNOPQRSTUVWXYZ_-") != len) {
        api_unexpected(out, "bad public_token");
        return;
    }

    memcpy(out->public_token, s, len + 1);
    out->result = API_RES_OK;
}

static enum api_link_state api_link_state_of(const char *s)
{
    if (strcasecmp(s, "in_progress") == 0)
        return API_LINK_IN_PROGRESS;
    if (strcasecmp(s, "completed") == 0)
        return API_LINK_COMPLETED;
    if (strcasecmp(s, "failed") == 0)
        return API_LINK_FAILED;
    return API_LINK_UNKNOWN;
}

/* A state the link call does not name is left unknown: the id is what
 * matters there, and its state is asked for separately. */
static void api_parse_link(const json_t *root, struct api_reply *out)
{
    size_t len = 0;
    const char *state = api_get_string(root, "state", &len);

    if (api_copy_id(root, "link_request_id", out->link_id,
                    sizeof(out->link_id)) != 0) {
        api_unexpected(out, "bad link_request_id");
        return;
    }

    if (state == NULL && !api_is_absent(root, "state")) {
        api_unexpected(out, "bad state");
        return;
    }

    out->link_state =
        state != NULL ? api_link_state_of(state) : API_LINK_UNKNOWN;
    out->result = API_RES_OK;
}

static void api_parse_link_status(const json_t *root, struct api_reply *out)
{
    size_t len = 0;
    const char *state = api_get_string(root, "state", &len);
    enum api_link_state st =
        state != NULL ? api_link_state_of(state) : API_LINK_UNKNOWN;

    if (st == API_LINK_UNKNOWN) {
        api_unexpected(out, "bad state");
        return;
    }

    out->link_state = st;
    out->result = API_RES_OK;
}

/* Adds one named field; names that do not fit are left out, since no
 * configured name could equal them. */
static void api_add_field(struct api_reply *out, const char *name, int matches)
{
    struct api_field *fl;

    if (out->nfields == API_FIELDS_MAX || strlen(name) >= API_FIELD_NAME_MAX)
        return;
    fl = &out->fields[out->nfields++];
    api_sanitize(name, strlen(name), fl->name, sizeof(fl->name));
    fl->matches = matches;
}

static int api_parse_matches(const json_t *obj, struct api_reply *out)
{
    const char *key;
    json_t *v;

    json_object_foreach((json_t *)obj, key, v)
    {
        if (!json_is_boolean(v))
            return -1;
        api_add_field(out, key, json_is_true(v));
    }
    return 0;
}

static int api_parse_mismatched(const json_t *arr, struct api_reply *out)
{
    size_t i;
    json_t *v;

    json_array_foreach(arr, i, v)
    {
        if (!json_is_string(v))
            return -1;
        api_add_field(out, json_string_value(v), 0);
    }
    out->fields_listed = 1;
    return 0;
}

/* Either {"matches": {name: bool}} or {"mismatched_fields": [name]}. */
static void api_parse_personal(const json_t *root, struct api_reply *out)
{
    json_t *m = json_object_get(root, "matches");
    json_t *l = json_object_get(root, "mismatched_fields");
    int rc = -1;

    if (json_is_object(m))
        rc = api_parse_matches(m, out);
    else if (json_is_array(l))
        rc = api_parse_mismatched(l, out);

    if (rc != 0) {
        api_unexpected(out, "no field results");
        return;
    }
    out->result = API_RES_OK;
}

static void api_parse_ok(enum api_call call, const json_t *root,
                         struct api_reply *out)
{
    switch (call) {
    case API_CHECK:
        if (api_copy_id(root, "request_id", out->request_id,
                        sizeof(out->request_id)) != 0)
            api_unexpected(out, "bad request_id");
        else
            out->result = API_RES_OK;
        break;
    case API_STATUS:
        api_parse_status(root, out);
        break;
    case API_TOKEN:
        api_parse_token(root, out);
        break;
    case API_LINK:
        api_parse_link(root, out);
        break;
    case API_LINK_STATUS:
        api_parse_link_status(root, out);
        break;
    case API_PERSONAL_INFO:
        api_parse_personal(root, out);
        break;
    default:
        api_unexpected(out, "unknown call");
        break;
    }
}

static void api_parse_object(enum api_call call, long http, const json_t *root,
                             struct api_reply *out)
{
    size_t len = 0;
    const char *status = api_get_string(root, "status", &len);

    if (http == 429) {
        api_read_error(root, out);
        api_fail(out, API_FAULT_BANK, "too many requests (HTTP 429)");
        return;
    }

    if (status == NULL) {
        api_fail(out, api_http_fault(http),
                 "a reply without a status (HTTP %ld)", http);
        return;
    }

    if (strcmp(status, "error") == 0)
        api_parse_error(call, http, root, out);
    else if (!api_is_2xx(http))
        api_fail(out, api_http_fault(http), "an answer with HTTP %ld", http);
    else if (strcmp(status, "pending") == 0)
        api_parse_pending(call, root, out);
    else if (strcmp(status, "ok") == 0)
        api_parse_ok(call, root, out);
    else
        api_fail(out, API_FAULT_BANK, "unknown status (HTTP %ld)", http);
}

/* A network fault that names the certificate problem libcurl saw. */
static void api_fail_certificate(const char *why, struct api_reply *out)
{
    char clean[API_TEXT_MAX];

    api_sanitize(why, strlen(why), clean, sizeof(clean));
    api_fail(out, API_FAULT_NETWORK, "certificate refused: %s", clean);
}

void api_parse(enum api_call call, const struct api_http *in,
               struct api_reply *out)
{
    json_t *root;

    memset(out, 0, sizeof(*out));
    out->retry_after_s = in->retry_after_s;

    if (in->transport_error && in->tls_error != NULL) {
        api_fail_certificate(in->tls_error, out);
        return;
    }
    if (in->transport_error && in->too_big) {
        api_fail(out, API_FAULT_BANK, "a reply larger than 1 MiB");
        return;
    }
    if (in->transport_error) {
        api_fail(out, API_FAULT_NETWORK, "%s",
                 in->timed_out ? "no answer in time" : "could not connect");
        return;
    }
    out->http_status = in->status;

    root = api_load_object(in, out);
    if (root == NULL)
        return;

    api_parse_object(call, in->status, root, out);
    json_decref(root);
}
