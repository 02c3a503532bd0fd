/*
 * Tests for api: request bodies byte for byte, and api_parse() on the
 * canned replies in tests/unit/fixtures/replies (found through
 * NPD_FIXTURES, or relative to the current directory).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Helpers */

static char *fixture_load(const char *name, size_t *len)
{
    const char *dir = getenv("NPD_FIXTURES");
    char path[1024];
    char *buf;
    FILE *f;
    long size;

    if (dir == NULL || dir[0] == '\0')
        dir = "tests/unit/fixtures";
    snprintf(path, sizeof(path), "%s/replies/%s", dir, name);

    f = fopen(path, "rb");
    if (f == NULL)
        fail_msg("cannot open fixture %s (set NPD_FIXTURES)", path);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    size = ftell(f);
    assert_true(size >= 0);
    rewind(f);

    buf = malloc((size_t)size + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)size, f), (size_t)size);
    buf[size] = '\0';
    fclose(f);
    *len = (size_t)size;
    return buf;
}

static void parse_text(enum api_call call, long status, const char *ctype,
                       const char *body, size_t len, long retry,
                       struct api_reply *r)
{
    struct api_http in = {0};

    in.status = status;
    in.content_type = ctype;
    in.body = body;
    in.len = len;
    in.retry_after_s = retry;
    memset(r, 0x5a, sizeof(*r));
    api_parse(call, &in, r);
}

static void parse_file(enum api_call call, long status, const char *ctype,
                       const char *name, long retry, struct api_reply *r)
{
    size_t len = 0;
    char *body = fixture_load(name, &len);

    parse_text(call, status, ctype, body, len, retry, r);
    free(body);
}

/* A reply to a call whose fields were all checked and none trusted
 * carries no leftover ids. */
static void assert_no_ids(const struct api_reply *r)
{
    assert_string_equal(r->request_id, "");
    assert_string_equal(r->public_token, "");
    assert_string_equal(r->link_id, "");
}

/* Canned replies, one test each */

struct reply_case {
    const char *name;
    enum api_call call;
    long http;
    const char *ctype;
    const char *file;
    long retry;
    enum api_result result;
    enum api_fault fault;
    enum api_verdict verdict;
    enum api_link_state link;
    const char *code;
    const char *id;   /* request_id, public_token or link_id, per call */
    const char *text; /* part of the description, NULL: not checked */
};

#define JSON "application/json"

static const struct reply_case cases[] = {
    /* Definite answers to npd/request/status, top level */
    {"status top level linked", API_STATUS, 200, JSON, "status-ok-linked.json",
     -1, API_RES_OK, API_FAULT_NONE, API_VERDICT_LINKED, API_LINK_UNKNOWN, "",
     "", NULL},
    {"status top level not linked", API_STATUS, 200, JSON,
     "status-ok-not-linked.json", -1, API_RES_OK, API_FAULT_NONE,
     API_VERDICT_NOT_LINKED, API_LINK_UNKNOWN, "", "", NULL},
    {"status top level not self-employed", API_STATUS, 200, JSON,
     "status-ok-not-self-employed.json", -1, API_RES_OK, API_FAULT_NONE,
     API_VERDICT_NOT_SELF_EMPLOYED, API_LINK_UNKNOWN, "", "", NULL},
    {"status not self-employed without is_linked", API_STATUS, 200, JSON,
     "status-ok-not-self-employed-linked-absent.json", -1, API_RES_OK,
     API_FAULT_NONE, API_VERDICT_NOT_SELF_EMPLOYED, API_LINK_UNKNOWN, "", "",
     NULL},
    {"status unknown fields ignored", API_STATUS, 200, JSON,
     "status-ok-unknown-fields.json", -1, API_RES_OK, API_FAULT_NONE,
     API_VERDICT_NOT_LINKED, API_LINK_UNKNOWN, "", "", NULL},

    /* The same, one level down */
    {"status nested not self-employed", API_STATUS, 200, JSON,
     "status-nested.json", -1, API_RES_OK, API_FAULT_NONE,
     API_VERDICT_NOT_SELF_EMPLOYED, API_LINK_UNKNOWN, "", "", NULL},
    {"status nested linked", API_STATUS, 200, JSON, "status-nested-linked.json",
     -1, API_RES_OK, API_FAULT_NONE, API_VERDICT_LINKED, API_LINK_UNKNOWN, "",
     "", NULL},
    {"status nested not linked beside another object", API_STATUS, 200, JSON,
     "status-nested-not-linked.json", -1, API_RES_OK, API_FAULT_NONE,
     API_VERDICT_NOT_LINKED, API_LINK_UNKNOWN, "", "", NULL},
    {"status nested in two members is ambiguous", API_STATUS, 200, JSON,
     "status-nested-twice.json", -1, API_RES_ERROR, API_FAULT_BANK,
     API_VERDICT_NONE, API_LINK_UNKNOWN, "", "", "unexpected reply"},
    {"status nested two levels down refused", API_STATUS, 200, JSON,
     "status-nested-too-deep.json", -1, API_RES_ERROR, API_FAULT_BANK,
     API_VERDICT_NONE, API_LINK_UNKNOWN, "", "", "unexpected reply"},

    /* The same, as error codes */
    {"status code taxpayer_unknown", API_STATUS, 200, JSON,
     "error-taxpayer-unknown.json", -1, API_RES_OK, API_FAULT_NONE,
     API_VERDICT_NOT_SELF_EMPLOYED, API_LINK_UNKNOWN, "taxpayer_unknown", "",
     NULL},
    {"status code taxpayer_not_bound", API_STATUS, 200, JSON,
     "error-taxpayer-not-bound.json", -1, API_RES_OK, API_FAULT_NONE,
     API_VERDICT_NOT_LINKED, API_LINK_UNKNOWN, "taxpayer_not_bound", "", NULL},
    {"status code taxpayer_already_bound", API_STATUS, 200, JSON,
     "error-taxpayer-already-bound.json", -1, API_RES_OK, API_FAULT_NONE,
     API_VERDICT_LINKED, API_LINK_UNKNOWN, "taxpayer_already_bound", "", NULL},
    {"check code taxpayer_unknown with HTTP 400", API_CHECK, 400, JSON,
     "error-taxpayer-unknown.json", -1, API_RES_OK, API_FAULT_NONE,
     API_VERDICT_NOT_SELF_EMPLOYED, API_LINK_UNKNOWN, "taxpayer_unknown", "",
     NULL},
    {"check code taxpayer_not_bound", API_CHECK, 200, JSON,
     "error-taxpayer-not-bound.json", -1, API_RES_OK, API_FAULT_NONE,
     API_VERDICT_NOT_LINKED, API_LINK_UNKNOWN, "taxpayer_not_bound", "", NULL},
    {"verdict code with HTTP 401 is no verdict", API_CHECK, 401, JSON,
     "error-taxpayer-unknown.json", -1, API_RES_ERROR, API_FAULT_CONFIG,
     API_VERDICT_NONE, API_LINK_UNKNOWN, "taxpayer_unknown", "", NULL},
    {"verdict code with HTTP 429 is no verdict", API_CHECK, 429, JSON,
     "error-taxpayer-already-bound.json", -1, API_RES_ERROR, API_FAULT_BANK,
     API_VERDICT_NONE, API_LINK_UNKNOWN, "taxpayer_already_bound", "", NULL},
    {"verdict code with HTTP 500 is no verdict", API_STATUS, 500, JSON,
     "error-taxpayer-unknown.json", -1, API_RES_ERROR, API_FAULT_BANK,
     API_VERDICT_NONE, API_LINK_UNKNOWN, "taxpayer_unknown", "",
     "not registered"},
    {"token code taxpayer_already_bound means linked", API_TOKEN, 400, JSON,
     "error-taxpayer-already-bound.json", -1, API_RES_OK, API_FAULT_NONE,
     API_VERDICT_LINKED, API_LINK_UNKNOWN, "taxpayer_already_bound", "", NULL},
    {"link code taxpayer_already_bound means linked", API_LINK, 200, JSON,
     "error-taxpayer-already-bound.json", -1, API_RES_OK, API_FAULT_NONE,
     API_VERDICT_LINKED, API_LINK_UNKNOWN, "taxpayer_already_bound", "", NULL},
    {"token code taxpayer_unknown is no verdict", API_TOKEN, 400, JSON,
     "error-taxpayer-unknown.json", -1, API_RES_ERROR, API_FAULT_BANK,
     API_VERDICT_NONE, API_LINK_UNKNOWN, "taxpayer_unknown", "", NULL},

    /* Pending */
    {"status pending", API_STATUS, 200, JSON, "status-pending.json", -1,
     API_RES_PENDING, API_FAULT_NONE, API_VERDICT_NONE, API_LINK_UNKNOWN, "",
     "", NULL},
    {"check pending without id", API_CHECK, 200, JSON, "check-pending.json", -1,
     API_RES_PENDING, API_FAULT_NONE, API_VERDICT_NONE, API_LINK_UNKNOWN, "",
     "", NULL},
    {"check pending with id gives the id", API_CHECK, 200, JSON,
     "check-pending-with-id.json", -1, API_RES_OK, API_FAULT_NONE,
     API_VERDICT_NONE, API_LINK_UNKNOWN, "", "req-pending-1", NULL},
    {"token pending is no token", API_TOKEN, 200, JSON, "status-pending.json",
     -1, API_RES_ERROR, API_FAULT_BANK, API_VERDICT_NONE, API_LINK_UNKNOWN, "",
     "", "pending"},
    {"link pending is no filed request", API_LINK, 200, JSON,
     "status-pending.json", -1, API_RES_ERROR, API_FAULT_BANK, API_VERDICT_NONE,
     API_LINK_UNKNOWN, "", "", "pending"},
    {"personal data pending is no result", API_PERSONAL_INFO, 200, JSON,
     "status-pending.json", -1, API_RES_ERROR, API_FAULT_BANK, API_VERDICT_NONE,
     API_LINK_UNKNOWN, "", "", "pending"},
    {"pending with HTTP 500 refused", API_STATUS, 500, JSON,
     "status-pending.json", -1, API_RES_ERROR, API_FAULT_BANK, API_VERDICT_NONE,
     API_LINK_UNKNOWN, "", "", "HTTP 500"},

    /* npd/check */
    {"check ok", API_CHECK, 200, JSON, "check-ok.json", -1, API_RES_OK,
     API_FAULT_NONE, API_VERDICT_NONE, API_LINK_UNKNOWN, "",
     "7f3c2a10-9b1e-4d5e-8a77-0c2b5d9e1f44", NULL},
    {"check id as number refused", API_CHECK, 200, JSON, "check-id-number.json",
     -1, API_RES_ERROR, API_FAULT_BANK, API_VERDICT_NONE, API_LINK_UNKNOWN, "",
     "", "request_id"},
    {"check empty id refused", API_CHECK, 200, JSON, "check-id-empty.json", -1,
     API_RES_ERROR, API_FAULT_BANK, API_VERDICT_NONE, API_LINK_UNKNOWN, "", "",
     "request_id"},
    {"check null id refused", API_CHECK, 200, JSON, "check-id-null.json", -1,
     API_RES_ERROR, API_FAULT_BANK, API_VERDICT_NONE, API_LINK_UNKNOWN, "", "",
     "request_id"},
    {"check id with ESC refused", API_CHECK, 200, JSON, "check-id-control.json",
     -1, API_RES_ERROR, API_FAULT_BANK, API_VERDICT_NONE, API_LINK_UNKNOWN, "",
     "", "request_id"},
    {"check id outside ASCII refused", API_CHECK, 200, JSON,
     "check-id-non-ascii.json", -1, API_RES_ERROR, API_FAULT_BANK,
     API_VERDICT_NONE, API_LINK_UNKNOWN, "", "", "request_id"},
    {"check huge integer id refused", API_CHECK, 200, JSON,
     "check-huge-integer.json", -1, API_RES_ERROR, API_FAULT_BANK,
     API_VERDICT_NONE, API_LINK_UNKNOWN, "", "", NULL},
    {"check huge real elsewhere refused", API_CHECK, 200, JSON,
     "check-huge-real.json", -1, API_RES_ERROR, API_FAULT_BANK,
     API_VERDICT_NONE, API_LINK_UNKNOWN, "", "", NULL},
    {"check ok with HTTP 201", API_CHECK, 201, JSON, "check-ok.json", -1,
     API_RES_OK, API_FAULT_NONE, API_VERDICT_NONE, API_LINK_UNKNOWN, "",
     "7f3c2a10-9b1e-4d5e-8a77-0c2b5d9e1f44", NULL},
    {"check ok with HTTP 500 refused", API_CHECK, 500, JSON, "check-ok.json",
     -1, API_RES_ERROR, API_FAULT_BANK, API_VERDICT_NONE, API_LINK_UNKNOWN, "",
     "", "HTTP 500"},
    {"check ok with HTTP 302 refused", API_CHECK, 302, JSON, "check-ok.json",
     -1, API_RES_ERROR, API_FAULT_BANK, API_VERDICT_NONE, API_LINK_UNKNOWN, "",
     "", "HTTP 302"},
    {"check id with NUL escape refused", API_CHECK, 200, JSON, "nul-byte.json",
     -1, API_RES_ERROR, API_FAULT_BANK, API_VERDICT_NONE, API_LINK_UNKNOWN, "",
     "", NULL},

    /* Booleans that are not booleans */
    {"status flags as strings refused", API_STATUS, 200, JSON,
     "status-flags-strings.json", -1, API_RES_ERROR, API_FAULT_BANK,
     API_VERDICT_NONE, API_LINK_UNKNOWN, "", "", "unexpected reply"},
    {"status flags as numbers refused", API_STATUS, 200, JSON,
     "status-flags-numbers.json", -1, API_RES_ERROR, API_FAULT_BANK,
     API_VERDICT_NONE, API_LINK_UNKNOWN, "", "", "unexpected reply"},
    {"status flags null refused", API_STATUS, 200, JSON,
     "status-flags-null.json", -1, API_RES_ERROR, API_FAULT_BANK,
     API_VERDICT_NONE, API_LINK_UNKNOWN, "", "", "unexpected reply"},
    {"status self-employed without is_linked refused", API_STATUS, 200, JSON,
     "status-linked-missing.json", -1, API_RES_ERROR, API_FAULT_BANK,
     API_VERDICT_NONE, API_LINK_UNKNOWN, "", "", "unexpected reply"},
    {"status is_linked as string refused", API_STATUS, 200, JSON,
     "status-linked-string.json", -1, API_RES_ERROR, API_FAULT_BANK,
     API_VERDICT_NONE, API_LINK_UNKNOWN, "", "", "unexpected reply"},
    {"status without taxpayer flag refused", API_STATUS, 200, JSON,
     "status-taxpayer-missing.json", -1, API_RES_ERROR, API_FAULT_BANK,
     API_VERDICT_NONE, API_LINK_UNKNOWN, "", "", "unexpected reply"},
    {"status ok without flags refused", API_STATUS, 200, JSON, "ok-bare.json",
     -1, API_RES_ERROR, API_FAULT_BANK, API_VERDICT_NONE, API_LINK_UNKNOWN, "",
     "", "unexpected reply"},

    /* token */
    {"token ok", API_TOKEN, 200, JSON, "token-ok.json", -1, API_RES_OK,
     API_FAULT_NONE, API_VERDICT_NONE, API_LINK_UNKNOWN, "",
     "3f6c1e9a8b7d4c2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e", NULL},
    {"token with odd characters refused", API_TOKEN, 200, JSON,
     "token-bad-chars.json", -1, API_RES_ERROR, API_FAULT_BANK,
     API_VERDICT_NONE, API_LINK_UNKNOWN, "", "", "public_token"},
    {"token empty refused", API_TOKEN, 200, JSON, "token-empty.json", -1,
     API_RES_ERROR, API_FAULT_BANK, API_VERDICT_NONE, API_LINK_UNKNOWN, "", "",
     "public_token"},
    {"token as number refused", API_TOKEN, 200, JSON, "token-number.json", -1,
     API_RES_ERROR, API_FAULT_BANK, API_VERDICT_NONE, API_LINK_UNKNOWN, "", "",
     "public_token"},

    /* link and link/status */
    {"link ok", API_LINK, 200, JSON, "link-ok.json", -1, API_RES_OK,
     API_FAULT_NONE, API_VERDICT_NONE, API_LINK_IN_PROGRESS, "", "lnk-5c1d",
     NULL},
    {"link ok without state", API_LINK, 200, JSON, "link-ok-no-state.json", -1,
     API_RES_OK, API_FAULT_NONE, API_VERDICT_NONE, API_LINK_UNKNOWN, "",
     "lnk-5c1d", NULL},
    {"link ok with an unnamed state", API_LINK, 200, JSON,
     "link-ok-new-state.json", -1, API_RES_OK, API_FAULT_NONE, API_VERDICT_NONE,
     API_LINK_UNKNOWN, "", "lnk-5c1d", NULL},
    {"link state as number refused", API_LINK, 200, JSON,
     "link-state-number.json", -1, API_RES_ERROR, API_FAULT_BANK,
     API_VERDICT_NONE, API_LINK_UNKNOWN, "", "", "state"},
    {"link without id refused", API_LINK, 200, JSON, "link-id-missing.json", -1,
     API_RES_ERROR, API_FAULT_BANK, API_VERDICT_NONE, API_LINK_UNKNOWN, "", "",
     "link_request_id"},
    {"link status in progress", API_LINK_STATUS, 200, JSON,
     "link-status-in-progress.json", -1, API_RES_OK, API_FAULT_NONE,
     API_VERDICT_NONE, API_LINK_IN_PROGRESS, "", "", NULL},
    {"link status COMPLETED in capitals", API_LINK_STATUS, 200, JSON,
     "link-status-completed-upper.json", -1, API_RES_OK, API_FAULT_NONE,
     API_VERDICT_NONE, API_LINK_COMPLETED, "", "", NULL},
    {"link status failed", API_LINK_STATUS, 200, JSON,
     "link-status-failed.json", -1, API_RES_OK, API_FAULT_NONE,
     API_VERDICT_NONE, API_LINK_FAILED, "", "", NULL},
    {"link status unknown state refused", API_LINK_STATUS, 200, JSON,
     "link-status-unknown.json", -1, API_RES_ERROR, API_FAULT_BANK,
     API_VERDICT_NONE, API_LINK_UNKNOWN, "", "", "state"},
    {"link status missing state refused", API_LINK_STATUS, 200, JSON,
     "link-status-missing.json", -1, API_RES_ERROR, API_FAULT_BANK,
     API_VERDICT_NONE, API_LINK_UNKNOWN, "", "", "state"},

    /* Error codes from the wire contract */
    {"401 authentication_error", API_CHECK, 401, JSON,
     "error-authentication.json", -1, API_RES_ERROR, API_FAULT_CONFIG,
     API_VERDICT_NONE, API_LINK_UNKNOWN, "authentication_error", "",
     "Signature is not valid"},
    {"401 identification_error", API_CHECK, 401, JSON,
     "error-identification.json", -1, API_RES_ERROR, API_FAULT_CONFIG,
     API_VERDICT_NONE, API_LINK_UNKNOWN, "identification_error", "",
     "Unknown project"},
    {"403 authorization_error", API_TOKEN, 403, JSON,
     "error-authorization.json", -1, API_RES_ERROR, API_FAULT_CONFIG,
     API_VERDICT_NONE, API_LINK_UNKNOWN, "authorization_error", "", NULL},
    {"400 invalid_request", API_CHECK, 400, JSON, "error-invalid-request.json",
     -1, API_RES_ERROR, API_FAULT_CONFIG, API_VERDICT_NONE, API_LINK_UNKNOWN,
     "invalid_request", "", "tax_reference is invalid"},
    {"404 invalid_request", API_STATUS, 404, JSON, "error-invalid-request.json",
     -1, API_RES_ERROR, API_FAULT_CONFIG, API_VERDICT_NONE, API_LINK_UNKNOWN,
     "invalid_request", "", NULL},
    {"500 internal_error", API_STATUS, 500, JSON, "error-internal.json", -1,
     API_RES_ERROR, API_FAULT_BANK, API_VERDICT_NONE, API_LINK_UNKNOWN,
     "internal_error", "", "Internal error"},
    {"200 internal_error", API_STATUS, 200, JSON, "error-internal.json", -1,
     API_RES_ERROR, API_FAULT_BANK, API_VERDICT_NONE, API_LINK_UNKNOWN,
     "internal_error", "", NULL},
    {"200 npd_service_internal_error", API_STATUS, 200, JSON,
     "error-npd-service.json", -1, API_RES_ERROR, API_FAULT_TAX_SERVICE,
     API_VERDICT_NONE, API_LINK_UNKNOWN, "npd_service_internal_error", "",
     "Tax service is unavailable"},
    {"502 npd_service_internal_error", API_STATUS, 502, JSON,
     "error-npd-service.json", -1, API_RES_ERROR, API_FAULT_TAX_SERVICE,
     API_VERDICT_NONE, API_LINK_UNKNOWN, "npd_service_internal_error", "",
     NULL},
    {"504 provider_timeout", API_STATUS, 504, JSON,
     "error-provider-timeout.json", -1, API_RES_ERROR, API_FAULT_TAX_SERVICE,
     API_VERDICT_NONE, API_LINK_UNKNOWN, "provider_timeout", "", NULL},
    {"200 provider_internal_error", API_CHECK, 200, JSON,
     "error-provider-internal.json", -1, API_RES_ERROR, API_FAULT_TAX_SERVICE,
     API_VERDICT_NONE, API_LINK_UNKNOWN, "provider_internal_error", "", NULL},
    {"400 unknown code", API_CHECK, 400, JSON, "error-unknown-code.json", -1,
     API_RES_ERROR, API_FAULT_BANK, API_VERDICT_NONE, API_LINK_UNKNOWN,
     "something_new", "", "A code nobody knows"},
    {"401 unknown code", API_CHECK, 401, JSON, "error-unknown-code.json", -1,
     API_RES_ERROR, API_FAULT_CONFIG, API_VERDICT_NONE, API_LINK_UNKNOWN,
     "something_new", "", NULL},
    {"400 error without object", API_CHECK, 400, JSON, "error-no-object.json",
     -1, API_RES_ERROR, API_FAULT_BANK, API_VERDICT_NONE, API_LINK_UNKNOWN, "",
     "", "HTTP 400"},
    {"403 error without object", API_CHECK, 403, JSON, "error-no-object.json",
     -1, API_RES_ERROR, API_FAULT_CONFIG, API_VERDICT_NONE, API_LINK_UNKNOWN,
     "", "", NULL},
    {"error object as string", API_CHECK, 400, JSON, "error-object-string.json",
     -1, API_RES_ERROR, API_FAULT_BANK, API_VERDICT_NONE, API_LINK_UNKNOWN, "",
     "", NULL},
    {"error code as number", API_CHECK, 200, JSON, "error-code-number.json", -1,
     API_RES_ERROR, API_FAULT_BANK, API_VERDICT_NONE, API_LINK_UNKNOWN, "", "",
     "numeric code"},

    /* HTTP statuses with bodies that explain nothing */
    {"429 keeps Retry-After", API_CHECK, 429, JSON, "error-rate-limited.json",
     17, API_RES_ERROR, API_FAULT_BANK, API_VERDICT_NONE, API_LINK_UNKNOWN,
     "invalid_request", "", "Too many checks"},
    {"429 with an empty body", API_CHECK, 429, NULL, "empty.json", 30,
     API_RES_ERROR, API_FAULT_BANK, API_VERDICT_NONE, API_LINK_UNKNOWN, "", "",
     "HTTP 429"},
    {"429 with a verdict code is no verdict", API_CHECK, 429, JSON,
     "error-taxpayer-unknown.json", 5, API_RES_ERROR, API_FAULT_BANK,
     API_VERDICT_NONE, API_LINK_UNKNOWN, "taxpayer_unknown", "", NULL},
    {"401 empty body", API_CHECK, 401, NULL, "empty.json", -1, API_RES_ERROR,
     API_FAULT_CONFIG, API_VERDICT_NONE, API_LINK_UNKNOWN, "", "",
     "empty reply (HTTP 401)"},
    {"403 HTML page", API_CHECK, 403, "text/html", "html-502.html", -1,
     API_RES_ERROR, API_FAULT_CONFIG, API_VERDICT_NONE, API_LINK_UNKNOWN, "",
     "", "an HTML page instead of JSON (HTTP 403)"},
    {"404 not JSON", API_LINK, 404, "text/plain", "not-json.txt", -1,
     API_RES_ERROR, API_FAULT_BANK, API_VERDICT_NONE, API_LINK_UNKNOWN, "", "",
     "not valid JSON (HTTP 404)"},
    {"500 empty body", API_STATUS, 500, NULL, "empty.json", -1, API_RES_ERROR,
     API_FAULT_BANK, API_VERDICT_NONE, API_LINK_UNKNOWN, "", "", "HTTP 500"},
    {"502 HTML page", API_STATUS, 502, "text/html; charset=utf-8",
     "html-502.html", -1, API_RES_ERROR, API_FAULT_BANK, API_VERDICT_NONE,
     API_LINK_UNKNOWN, "", "", "an HTML page instead of JSON (HTTP 502)"},
    {"503 HTML page without content type", API_STATUS, 503, NULL,
     "html-502.html", -1, API_RES_ERROR, API_FAULT_BANK, API_VERDICT_NONE,
     API_LINK_UNKNOWN, "", "", "an HTML page instead of JSON (HTTP 503)"},
    {"200 HTML page labelled JSON", API_CHECK, 200, JSON, "html-200.html", -1,
     API_RES_ERROR, API_FAULT_BANK, API_VERDICT_NONE, API_LINK_UNKNOWN, "", "",
     "HTML"},
    {"200 JSON labelled HTML", API_CHECK, 200, "TEXT/HTML", "check-ok.json", -1,
     API_RES_ERROR, API_FAULT_BANK, API_VERDICT_NONE, API_LINK_UNKNOWN, "", "",
     "HTML"},

    /* Malformed bodies */
    {"200 empty body", API_CHECK, 200, JSON, "empty.json", -1, API_RES_ERROR,
     API_FAULT_BANK, API_VERDICT_NONE, API_LINK_UNKNOWN, "", "",
     "empty reply (HTTP 200)"},
    {"not JSON", API_CHECK, 200, JSON, "not-json.txt", -1, API_RES_ERROR,
     API_FAULT_BANK, API_VERDICT_NONE, API_LINK_UNKNOWN, "", "",
     "not valid JSON"},
    {"truncated JSON", API_CHECK, 200, JSON, "truncated.json", -1,
     API_RES_ERROR, API_FAULT_BANK, API_VERDICT_NONE, API_LINK_UNKNOWN, "", "",
     "not valid JSON"},
    {"JSON array", API_CHECK, 200, JSON, "array.json", -1, API_RES_ERROR,
     API_FAULT_BANK, API_VERDICT_NONE, API_LINK_UNKNOWN, "", "",
     "not a JSON object"},
    {"JSON string", API_CHECK, 200, JSON, "string.json", -1, API_RES_ERROR,
     API_FAULT_BANK, API_VERDICT_NONE, API_LINK_UNKNOWN, "", "",
     "not a JSON object"},
    {"status missing", API_CHECK, 200, JSON, "status-missing.json", -1,
     API_RES_ERROR, API_FAULT_BANK, API_VERDICT_NONE, API_LINK_UNKNOWN, "", "",
     "without a status"},
    {"status null", API_CHECK, 200, JSON, "status-null.json", -1, API_RES_ERROR,
     API_FAULT_BANK, API_VERDICT_NONE, API_LINK_UNKNOWN, "", "",
     "without a status"},
    {"status as number", API_CHECK, 200, JSON, "status-number.json", -1,
     API_RES_ERROR, API_FAULT_BANK, API_VERDICT_NONE, API_LINK_UNKNOWN, "", "",
     "without a status"},
    {"status unknown value", API_CHECK, 200, JSON, "status-unknown.json", -1,
     API_RES_ERROR, API_FAULT_BANK, API_VERDICT_NONE, API_LINK_UNKNOWN, "", "",
     "unknown status"},
    {"status OK in capitals is unknown", API_CHECK, 200, JSON,
     "status-upper.json", -1, API_RES_ERROR, API_FAULT_BANK, API_VERDICT_NONE,
     API_LINK_UNKNOWN, "", "", "unknown status"},
    {"duplicate keys refused", API_CHECK, 200, JSON, "duplicate-keys.json", -1,
     API_RES_ERROR, API_FAULT_BANK, API_VERDICT_NONE, API_LINK_UNKNOWN, "", "",
     "not valid JSON"},
    {"duplicate status refused", API_CHECK, 200, JSON, "duplicate-status.json",
     -1, API_RES_ERROR, API_FAULT_BANK, API_VERDICT_NONE, API_LINK_UNKNOWN, "",
     "", "not valid JSON"},
    {"raw invalid UTF-8 refused", API_CHECK, 400, JSON, "invalid-utf8.json", -1,
     API_RES_ERROR, API_FAULT_BANK, API_VERDICT_NONE, API_LINK_UNKNOWN, "", "",
     "not valid JSON"},
};

static const char *case_id(const struct reply_case *c,
                           const struct api_reply *r)
{
    switch (c->call) {
    case API_TOKEN:
        return r->public_token;
    case API_LINK:
    case API_LINK_STATUS:
        return r->link_id;
    default:
        return r->request_id;
    }
}

static void run_case(void **state)
{
    const struct reply_case *c = *state;
    struct api_reply r;

    parse_file(c->call, c->http, c->ctype, c->file, c->retry, &r);

    assert_int_equal(r.result, c->result);
    assert_int_equal(r.fault, c->fault);
    assert_int_equal(r.verdict, c->verdict);
    assert_int_equal(r.link_state, c->link);
    assert_int_equal(r.http_status, c->http);
    assert_int_equal(r.retry_after_s, c->retry);
    assert_string_equal(r.code, c->code);
    assert_string_equal(case_id(c, &r), c->id);

    if (c->result == API_RES_ERROR) {
        assert_true(r.description[0] != '\0');
        assert_no_ids(&r);
    }
    if (c->text != NULL && strstr(r.description, c->text) == NULL)
        fail_msg("description \"%s\" lacks \"%s\"", r.description, c->text);
}

/* Transport failures */

static void test_transport_timeout(void **state)
{
    struct api_http in = {0};
    struct api_reply r;

    (void)state;
    in.transport_error = 28;
    in.timed_out = 1;
    in.status = 200;
    in.retry_after_s = -1;
    api_parse(API_STATUS, &in, &r);

    assert_int_equal(r.result, API_RES_ERROR);
    assert_int_equal(r.fault, API_FAULT_NETWORK);
    assert_int_equal(r.http_status, 0);
    assert_string_equal(r.description, "no answer in time");
}

static void test_transport_connect(void **state)
{
    struct api_http in = {0};
    struct api_reply r;

    (void)state;
    in.transport_error = 7;
    in.retry_after_s = -1;
    api_parse(API_CHECK, &in, &r);

    assert_int_equal(r.result, API_RES_ERROR);
    assert_int_equal(r.fault, API_FAULT_NETWORK);
    assert_int_equal(r.verdict, API_VERDICT_NONE);
    assert_string_equal(r.description, "could not connect");
}

/* A reply cut off at the size cap is the bank's fault, not the network's,
 * and never a verdict, whatever its first bytes said. */
static void test_transport_too_big(void **state)
{
    static const char start[] = "{\"status\":\"ok\",\"is_linked\":true,";
    struct api_http in = {0};
    struct api_reply r;

    (void)state;
    in.transport_error = 23;
    in.too_big = 1;
    in.status = 200;
    in.body = start;
    in.len = sizeof(start) - 1;
    in.retry_after_s = -1;
    api_parse(API_STATUS, &in, &r);

    assert_int_equal(r.result, API_RES_ERROR);
    assert_int_equal(r.fault, API_FAULT_BANK);
    assert_int_equal(r.verdict, API_VERDICT_NONE);
    assert_string_equal(r.description, "a reply larger than 1 MiB");
}

/* libcurl's words for a refused certificate reach the agent, cleaned. */
static void test_transport_certificate(void **state)
{
    struct api_http in = {0};
    struct api_reply r;

    (void)state;
    in.transport_error = 60;
    in.status = 200;
    in.retry_after_s = -1;
    in.tls_error = "SSL certificate problem: \x1b[2Jself-signed certificate";
    api_parse(API_CHECK, &in, &r);

    assert_int_equal(r.result, API_RES_ERROR);
    assert_int_equal(r.fault, API_FAULT_NETWORK);
    assert_int_equal(r.verdict, API_VERDICT_NONE);
    assert_int_equal(r.http_status, 0);
    assert_string_equal(r.description, "certificate refused: SSL certificate "
                                       "problem: self-signed certificate");
}

/* Sizes: ids refused when too long, descriptions cut */

static void parse_json(enum api_call call, json_t *obj, struct api_reply *r)
{
    char *body = json_dumps(obj, JSON_COMPACT);

    assert_non_null(body);
    parse_text(call, 200, JSON, body, strlen(body), -1, r);
    free(body);
    json_decref(obj);
}

static char *repeat(char c, size_t n)
{
    char *s = malloc(n + 1);

    assert_non_null(s);
    memset(s, c, n);
    s[n] = '\0';
    return s;
}

static void check_id_of_length(size_t n, enum api_result want)
{
    char *id = repeat('a', n);
    struct api_reply r;

    parse_json(API_CHECK,
               json_pack("{s:s, s:s}", "status", "ok", "request_id", id), &r);
    assert_int_equal(r.result, want);
    if (want == API_RES_OK)
        assert_string_equal(r.request_id, id);
    else
        assert_string_equal(r.request_id, "");
    free(id);
}

static void test_id_lengths(void **state)
{
    (void)state;
    check_id_of_length(API_ID_MAX - 1, API_RES_OK);
    check_id_of_length(API_ID_MAX, API_RES_ERROR);
    check_id_of_length(100 * 1024, API_RES_ERROR);
}

static void test_link_id_100k_refused(void **state)
{
    char *id = repeat('L', 100 * 1024);
    struct api_reply r;

    (void)state;
    parse_json(API_LINK,
               json_pack("{s:s, s:s, s:s}", "status", "ok", "link_request_id",
                         id, "state", "in_progress"),
               &r);
    assert_int_equal(r.result, API_RES_ERROR);
    assert_int_equal(r.fault, API_FAULT_BANK);
    assert_string_equal(r.link_id, "");
    free(id);
}

static void test_token_lengths(void **state)
{
    char *ok = repeat('f', API_TOKEN_MAX - 1);
    char *big = repeat('f', API_TOKEN_MAX);
    struct api_reply r;

    (void)state;
    parse_json(API_TOKEN,
               json_pack("{s:s, s:s}", "status", "ok", "public_token", ok), &r);
    assert_int_equal(r.result, API_RES_OK);
    assert_string_equal(r.public_token, ok);

    parse_json(API_TOKEN,
               json_pack("{s:s, s:s}", "status", "ok", "public_token", big),
               &r);
    assert_int_equal(r.result, API_RES_ERROR);
    assert_string_equal(r.public_token, "");
    free(ok);
    free(big);
}

/* 400 two-byte letters: the cut must not split one. */
static void test_long_description_cut(void **state)
{
    struct api_reply r;
    size_t i, len;

    (void)state;
    parse_file(API_CHECK, 400, JSON, "error-description-long.json", -1, &r);

    len = strlen(r.description);
    assert_int_equal(r.fault, API_FAULT_CONFIG);
    assert_int_equal(len, API_TEXT_MAX - 2);
    for (i = 0; i < len; i += 2)
        assert_memory_equal(r.description + i, "\xd0\x96", 2);
}

static void test_long_code_cut(void **state)
{
    struct api_reply r;

    (void)state;
    parse_file(API_CHECK, 400, JSON, "error-code-long.json", -1, &r);

    assert_int_equal(r.result, API_RES_ERROR);
    assert_int_equal(r.fault, API_FAULT_BANK);
    assert_int_equal(strlen(r.code), API_CODE_MAX - 1);
    assert_string_equal(r.description, "long code");
}

static void test_description_escapes_removed(void **state)
{
    struct api_reply r;

    (void)state;
    parse_file(API_CHECK, 400, JSON, "error-description-escapes.json", -1, &r);

    assert_int_equal(r.fault, API_FAULT_CONFIG);
    assert_string_equal(r.description, "red textend");
}

/* api_sanitize */

static void sanitize(const char *in, size_t len, size_t outlen,
                     const char *want)
{
    char out[256];

    assert_true(outlen <= sizeof(out));
    memset(out, 'Z', sizeof(out));
    api_sanitize(in, len, out, outlen);
    assert_string_equal(out, want);
}

#define SAN(in, outlen, want) sanitize(in, sizeof(in) - 1, outlen, want)

static void test_sanitize_controls(void **state)
{
    (void)state;
    SAN("a\x01"
        "b\x7f"
        "c\td\ne\r",
        64, "abcde");
    SAN("x\xc2\x85y\xc2\x9fz", 64, "xyz");
    SAN("nul\0byte", 64, "nulbyte");
    SAN("\x1b[1;31mbold\x1b[0m", 64, "bold");
    SAN("\x1b]0;window title\x07"
        "after",
        64, "after");
    SAN("\x1b]8;;http://x\x1b\\link", 64, "link");
    SAN("\x1b"
        "cplain",
        64, "plain");
    SAN("end\x1b", 64, "end");
}

static void test_sanitize_utf8(void **state)
{
    (void)state;
    SAN("\xd0\x9e\xd1\x88\xd0\xb8\xd0\xb1\xd0\xba\xd0\xb0", 64,
        "\xd0\x9e\xd1\x88\xd0\xb8\xd0\xb1\xd0\xba\xd0\xb0");
    SAN("a\xff"
        "b",
        64, "a?b");
    SAN("\xe2\x82", 64, "??");
    SAN("\xc0\xaf", 64, "??");
    SAN("\xed\xa0\x80", 64, "???");
    SAN("\xf4\x90\x80\x80", 64, "????");
    SAN("\xf0\x9f\x98\x80!", 64, "\xf0\x9f\x98\x80!");
}

static void test_sanitize_cut(void **state)
{
    (void)state;
    SAN("ab\xe2\x82\xac", 5, "ab");
    SAN("ab\xe2\x82\xac", 6, "ab\xe2\x82\xac");
    SAN("abcdef", 4, "abc");
    SAN("abc", 1, "");
    SAN("", 8, "");
}

/* Bodies, byte for byte */

static void assert_body(char *body, const char *want)
{
    assert_non_null(body);
    assert_string_equal(body, want);
    free(body);
}

static void test_body_check(void **state)
{
    (void)state;
    assert_body(api_body_check("010000000102"),
                "{\"tax_reference\":\"010000000102\"}");
}

static void test_body_status(void **state)
{
    (void)state;
    assert_body(api_body_status("7f3c-\"q\""),
                "{\"request_id\":\"7f3c-\\\"q\\\"\"}");
}

static void test_body_token(void **state)
{
    (void)state;
    assert_body(api_body_token("500000000340"),
                "{\"self_employed_widget\":"
                "{\"tax_reference\":\"500000000340\"}}");
}

static void test_body_link(void **state)
{
    static const char *const perms[] = {"INCOME_REGISTRATION",
                                        "PAYMENT_INFORMATION", "INCOME_LIST"};

    (void)state;
    assert_body(api_body_link("tok_1", "500000000340", perms, COUNT(perms)),
                "{\"public_token\":\"tok_1\","
                "\"tax_reference\":\"500000000340\","
                "\"permissions\":[\"INCOME_REGISTRATION\","
                "\"PAYMENT_INFORMATION\",\"INCOME_LIST\"]}");
    assert_body(api_body_link("tok_1", "500000000340", NULL, 0),
                "{\"public_token\":\"tok_1\","
                "\"tax_reference\":\"500000000340\",\"permissions\":[]}");
}

static void test_body_link_status(void **state)
{
    (void)state;
    assert_body(api_body_link_status("lnk-5c1d"),
                "{\"link_request_id\":\"lnk-5c1d\"}");
}

static void test_call_names(void **state)
{
    (void)state;
    assert_string_equal(api_call_name(API_CHECK), "npd/check");
    assert_string_equal(api_call_name(API_STATUS), "npd/request/status");
    assert_string_equal(api_call_name(API_TOKEN), "token");
    assert_string_equal(api_call_name(API_LINK), "link");
    assert_string_equal(api_call_name(API_LINK_STATUS), "link/status");
    assert_string_equal(api_call_name(API_PERSONAL_INFO),
                        "npd/taxpayer/check_personal_info");
    assert_string_equal(api_call_name(API_CALL_COUNT), "unknown");
}

static void test_fault_names(void **state)
{
    (void)state;
    assert_string_equal(api_fault_name(API_FAULT_NONE), "none");
    assert_string_equal(api_fault_name(API_FAULT_NETWORK), "network");
    assert_string_equal(api_fault_name(API_FAULT_BANK), "bank");
    assert_string_equal(api_fault_name(API_FAULT_TAX_SERVICE), "tax_service");
    assert_string_equal(api_fault_name(API_FAULT_CONFIG), "config");
    assert_string_equal(api_fault_name((enum api_fault)99), "unknown");
}

static void test_verdict_names(void **state)
{
    (void)state;
    assert_string_equal(api_verdict_name(API_VERDICT_NONE), "none");
    assert_string_equal(api_verdict_name(API_VERDICT_NOT_SELF_EMPLOYED),
                        "not_self_employed");
    assert_string_equal(api_verdict_name(API_VERDICT_NOT_LINKED), "not_linked");
    assert_string_equal(api_verdict_name(API_VERDICT_LINKED), "linked");
    assert_string_equal(api_verdict_name((enum api_verdict)99), "unknown");
}

static void test_dump(void **state)
{
    json_t *o = json_pack("{s:s, s:i}", "a", "\u00e9", "b", 7);
    size_t len = 0;
    char *s;

    (void)state;
    s = api_dump(o, &len);
    assert_non_null(s);
    assert_string_equal(s, "{\"a\":\"\u00e9\",\"b\":7}");
    assert_int_equal(len, strlen(s));
    free(s);

    s = api_dump(o, NULL);
    assert_non_null(s);
    free(s);
    json_decref(o);
    assert_null(api_dump(NULL, &len));
}

static void parse_person(long status, const char *body, struct api_reply *r)
{
    parse_text(API_PERSONAL_INFO, status, "application/json", body,
               strlen(body), -1, r);
}

static void test_person_matches_object(void **state)
{
    struct api_reply r;

    (void)state;
    parse_person(200,
                 "{\"status\":\"ok\",\"matches\":{\"tax_reference\":true,"
                 "\"last_name\":false,\"phone\":true}}",
                 &r);
    assert_int_equal(r.result, API_RES_OK);
    assert_int_equal(r.nfields, 3);
    assert_int_equal(r.fields_listed, 0);
    assert_string_equal(r.fields[0].name, "tax_reference");
    assert_int_equal(r.fields[0].matches, 1);
    assert_string_equal(r.fields[1].name, "last_name");
    assert_int_equal(r.fields[1].matches, 0);
    assert_int_equal(r.fields[2].matches, 1);
}

static void test_person_mismatch_list(void **state)
{
    struct api_reply r;

    (void)state;
    parse_person(200,
                 "{\"status\":\"ok\",\"mismatched_fields\":[\"phone\","
                 "\"first_name\"]}",
                 &r);
    assert_int_equal(r.result, API_RES_OK);
    assert_int_equal(r.fields_listed, 1);
    assert_int_equal(r.nfields, 2);
    assert_string_equal(r.fields[0].name, "phone");
    assert_int_equal(r.fields[0].matches, 0);
    assert_string_equal(r.fields[1].name, "first_name");

    parse_person(200, "{\"status\":\"ok\",\"mismatched_fields\":[]}", &r);
    assert_int_equal(r.result, API_RES_OK);
    assert_int_equal(r.nfields, 0);
    assert_int_equal(r.fields_listed, 1);
}

static void test_person_bad_shapes(void **state)
{
    static const char *const bodies[] = {
        "{\"status\":\"ok\"}",
        "{\"status\":\"ok\",\"matches\":{\"phone\":\"yes\"}}",
        "{\"status\":\"ok\",\"matches\":[true]}",
        "{\"status\":\"ok\",\"mismatched_fields\":[1]}",
        "{\"status\":\"ok\",\"mismatched_fields\":\"phone\"}",
    };
    struct api_reply r;

    (void)state;
    for (size_t i = 0; i < COUNT(bodies); i++) {
        parse_person(200, bodies[i], &r);
        assert_int_equal(r.result, API_RES_ERROR);
        assert_int_equal(r.fault, API_FAULT_BANK);
        assert_int_equal(r.nfields, 0);
        assert_int_equal(r.fields_listed, 0);
    }
}

static void test_person_errors(void **state)
{
    struct api_reply r;

    (void)state;
    parse_person(502,
                 "{\"status\":\"error\",\"error\":{\"code\":"
                 "\"npd_service_internal_error\",\"description\":\"x\"}}",
                 &r);
    assert_int_equal(r.result, API_RES_ERROR);
    assert_int_equal(r.fault, API_FAULT_TAX_SERVICE);

    parse_person(401,
                 "{\"status\":\"error\",\"error\":{\"code\":"
                 "\"authentication_error\"}}",
                 &r);
    assert_int_equal(r.fault, API_FAULT_CONFIG);

    /* Not a verdict here: the check is about data, not linking. */
    parse_person(200,
                 "{\"status\":\"error\",\"error\":{\"code\":"
                 "\"taxpayer_already_bound\"}}",
                 &r);
    assert_int_equal(r.result, API_RES_ERROR);
    assert_int_equal(r.verdict, API_VERDICT_NONE);

    parse_person(500, "<html></html>", &r);
    assert_int_equal(r.fault, API_FAULT_BANK);
}

static void test_body_fields(void **state)
{
    const char *names[] = {"inn", "full_name"};
    const char *values[] = {"500000000276", "Иванов Иван"};

    (void)state;
    assert_body(api_body_fields(names, values, 2),
                "{\"inn\":\"500000000276\",\"full_name\":\"Иванов Иван\"}");
    values[1] = "\xff";
    assert_null(api_body_fields(names, values, 2));
}

int main(void)
{
    struct CMUnitTest replies[COUNT(cases)];
    const struct CMUnitTest others[] = {
        cmocka_unit_test(test_transport_timeout),
        cmocka_unit_test(test_transport_connect),
        cmocka_unit_test(test_transport_certificate),
        cmocka_unit_test(test_transport_too_big),
        cmocka_unit_test(test_id_lengths),
        cmocka_unit_test(test_link_id_100k_refused),
        cmocka_unit_test(test_token_lengths),
        cmocka_unit_test(test_long_description_cut),
        cmocka_unit_test(test_long_code_cut),
        cmocka_unit_test(test_description_escapes_removed),
        cmocka_unit_test(test_sanitize_controls),
        cmocka_unit_test(test_sanitize_utf8),
        cmocka_unit_test(test_sanitize_cut),
        cmocka_unit_test(test_body_check),
        cmocka_unit_test(test_body_status),
        cmocka_unit_test(test_body_token),
        cmocka_unit_test(test_body_link),
        cmocka_unit_test(test_body_link_status),
        cmocka_unit_test(test_person_matches_object),
        cmocka_unit_test(test_person_mismatch_list),
        cmocka_unit_test(test_person_bad_shapes),
        cmocka_unit_test(test_person_errors),
        cmocka_unit_test(test_body_fields),
        cmocka_unit_test(test_call_names),
        cmocka_unit_test(test_fault_names),
        cmocka_unit_test(test_verdict_names),
        cmocka_unit_test(test_dump),
    };
    size_t i;
    int failed;

    for (i = 0; i < COUNT(cases); i++) {
        memset(&replies[i], 0, sizeof(replies[i]));
        replies[i].name = cases[i].name;
        replies[i].test_func = run_case;
        replies[i].initial_state = (void *)&cases[i];
    }

    failed = cmocka_run_group_tests_name("api replies", replies, NULL, NULL);
    failed += cmocka_run_group_tests_name("api", others, NULL, NULL);
    return failed != 0;
}
