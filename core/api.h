/*
 * api: Bank 131 request bodies and reply parsing, as pure functions.
 *
 * Bodies are built with jansson and returned as compact malloc'd strings;
 * the exact bytes returned are the bytes to sign and send. Replies are read
 * defensively: ids and INNs only as strings, null equals absent, unknown
 * fields ignored, any text kept for display is sanitised first. Only a
 * definite answer yields a verdict; everything else is a fault saying who
 * failed.
 */
#ifndef NPD_API_H
#define NPD_API_H

#include <stddef.h>

#include <jansson.h>

enum api_call {
    API_CHECK,         /* POST npd/check {"tax_reference"}: documented */
    API_STATUS,        /* POST npd/request/status {"request_id"}: documented */
    API_TOKEN,         /* POST token {"self_employed_widget"}: documented */
    API_LINK,          /* the widget's link request: our assumption */
    API_LINK_STATUS,   /* the link request's state: our assumption */
    API_PERSONAL_INFO, /* the data check: body and reply our assumption */
    API_CALL_COUNT
};

enum api_result {
    API_RES_ERROR,   /* no definite answer; see fault */
    API_RES_PENDING, /* the tax service has not answered yet */
    API_RES_OK,      /* a definite answer */
};

/* Who failed, when result is API_RES_ERROR. */
enum api_fault {
    API_FAULT_NONE,
    API_FAULT_NETWORK, /* no HTTP answer: resolve, connect, reset, timeout */
    API_FAULT_BANK,    /* 429, 5xx, HTML, bad JSON, wrong shape, internal */
    API_FAULT_TAX_SERVICE, /* the tax service side failed or timed out */
    API_FAULT_CONFIG,      /* our setup: signature, project id, permissions */
};

enum api_verdict {
    API_VERDICT_NONE,
    API_VERDICT_NOT_SELF_EMPLOYED,
    API_VERDICT_NOT_LINKED, /* self-employed, not linked to Bank 131 */
    API_VERDICT_LINKED,
};

enum api_link_state {
    API_LINK_UNKNOWN,
    API_LINK_IN_PROGRESS, /* waiting for the customer in My Tax */
    API_LINK_COMPLETED,
    API_LINK_FAILED, /* declined by the customer or failed */
};

/* What the transport delivered for one request. */
struct api_http {
    int transport_error;      /* nonzero: no HTTP answer at all */
    int timed_out;            /* with transport_error: a timeout */
    int too_big;              /* with transport_error: an oversized reply */
    long status;              /* HTTP status, when transport_error is 0 */
    const char *content_type; /* may be NULL */
    const char *body;         /* may be NULL when len is 0 */
    size_t len;
    long retry_after_s; /* from Retry-After, -1 when absent */
    /* With transport_error: why the server's certificate was refused,
     * in libcurl's words; NULL for any other failure. */
    const char *tls_error;
};

#define API_ID_MAX 128
#define API_TOKEN_MAX 160
#define API_CODE_MAX 64
#define API_TEXT_MAX 160
#define API_FIELDS_MAX 8
#define API_FIELD_NAME_MAX 48

/* One field's result in a reply to API_PERSONAL_INFO. */
struct api_field {
    char name[API_FIELD_NAME_MAX];
    int matches; /* 1: as the tax service has it; 0: differs */
};

struct api_reply {
    enum api_result result;
    enum api_fault fault;
    long http_status;
    long retry_after_s;
    char code[API_CODE_MAX];          /* Bank 131 error code, sanitised */
    char description[API_TEXT_MAX];   /* sanitised, cut to fit */
    char request_id[API_ID_MAX];      /* API_CHECK */
    char public_token[API_TOKEN_MAX]; /* API_TOKEN */
    char link_id[API_ID_MAX];         /* API_LINK */
    enum api_verdict verdict;         /* API_CHECK or API_STATUS */
    enum api_link_state link_state;   /* API_LINK_STATUS (and API_LINK) */
    /* API_PERSONAL_INFO: the fields the reply names. With fields_listed
     * the reply only listed the fields that differ, so any field sent and
     * not named matched; otherwise a field not named was not checked. */
    struct api_field fields[API_FIELDS_MAX];
    size_t nfields;
    int fields_listed;
};

/* Reads one reply. Never fails: a reply it cannot trust becomes
 * API_RES_ERROR with a fault and a short description. */
void api_parse(enum api_call call, const struct api_http *in,
               struct api_reply *out);

/* Request bodies; NULL only when out of memory. */
char *api_body_check(const char *inn);
char *api_body_status(const char *request_id);
char *api_body_token(const char *inn);
char *api_body_link(const char *public_token, const char *inn,
                    const char *const *perms, size_t nperms);
char *api_body_link_status(const char *link_id);
/* An object of n string members, names[i] = values[i], in that order. */
char *api_body_fields(const char *const *names, const char *const *values,
                      size_t n);

/* Compact JSON text of obj, NUL-terminated, its length (without the NUL)
 * in *lenp when lenp is not NULL; NULL when out of memory. Free it. */
char *api_dump(const json_t *obj, size_t *lenp);

/* "none", "network", "bank", "tax_service", "config": stable words for
 * the audit trail and machine-readable output. */
const char *api_fault_name(enum api_fault fault);

/* "none", "not_self_employed", "not_linked", "linked", likewise. */
const char *api_verdict_name(enum api_verdict verdict);

/* "npd/check" and so on, for logs and the audit trail. */
const char *api_call_name(enum api_call call);

/* Copies text for display: control bytes dropped, invalid UTF-8 replaced
 * by '?', cut at a character boundary to fit outlen (>= 1). */
void api_sanitize(const char *in, size_t len, char *out, size_t outlen);

#endif
