/*
 * fuzz_api: api_parse() on arbitrary reply bodies.
 *
 * The first byte picks the call (mod API_CALL_COUNT) and the HTTP status
 * (from a small table); the rest is the body, copied into a buffer of its
 * exact size and not NUL-terminated, so any read past it is caught. Every
 * violated invariant aborts, which libFuzzer reports as a crash.
 */
#include "api.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const long fuzz_api_statuses[] = {200, 400, 401, 429, 500, 502};

#define FUZZ_API_NSTATUS                                                       \
    (sizeof(fuzz_api_statuses) / sizeof(fuzz_api_statuses[0]))

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_api_require(int ok)
{
    if (!ok)
        abort();
}

static int fuzz_api_terminated(const char *s, size_t cap)
{
    return memchr(s, '\0', cap) != NULL;
}

/* Neither C0 controls nor DEL: what could move the cursor or recolour the
 * screen when shown. */
static int fuzz_api_no_controls(const char *s)
{
    for (; *s != '\0'; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return 0;
    return 1;
}

/* Length of the well-formed UTF-8 sequence at s, or 0; written apart
 * from core/api.c so that a shared mistake would not hide itself. */
static size_t fuzz_api_utf8_seq(const unsigned char *s)
{
    unsigned cp;
    size_t n, i;

    if (s[0] < 0x80)
        return 1;
    if ((s[0] & 0xe0) == 0xc0)
        n = 2;
    else if ((s[0] & 0xf0) == 0xe0)
        n = 3;
    else if ((s[0] & 0xf8) == 0xf0)
        n = 4;
    else
        return 0;

    cp = s[0] & (0x7fu >> n);

    for (i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3fu);
    }

    if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) ||
        (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
        (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0x80 && cp <= 0x9f))
        return 0;
    return n;
}

/* Valid UTF-8 with no C1 control characters either. */
static int fuzz_api_utf8(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;

    while (*p != '\0') {
        size_t n = fuzz_api_utf8_seq(p);

        if (n == 0)
            return 0;
        p += n;
    }
    return 1;
}

static int fuzz_api_printable_ascii(const char *s)
{
    for (; *s != '\0'; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
            return 0;
    return 1;
}

static void fuzz_api_check_strings(const struct api_reply *r)
{
    fuzz_api_require(fuzz_api_terminated(r->code, sizeof(r->code)));
    fuzz_api_require(
        fuzz_api_terminated(r->description, sizeof(r->description)));
    fuzz_api_require(fuzz_api_terminated(r->request_id, sizeof(r->request_id)));
    fuzz_api_require(
        fuzz_api_terminated(r->public_token, sizeof(r->public_token)));
    fuzz_api_require(fuzz_api_terminated(r->link_id, sizeof(r->link_id)));

    fuzz_api_require(fuzz_api_no_controls(r->code));
    fuzz_api_require(fuzz_api_no_controls(r->description));
    fuzz_api_require(fuzz_api_utf8(r->description));
    fuzz_api_require(fuzz_api_utf8(r->code));

    fuzz_api_require(fuzz_api_printable_ascii(r->request_id));
    fuzz_api_require(fuzz_api_printable_ascii(r->public_token));
    fuzz_api_require(fuzz_api_printable_ascii(r->link_id));
}

static int fuzz_api_verdict_code(const char *code)
{
    return strcmp(code, "taxpayer_already_bound") == 0 ||
           strcmp(code, "taxpayer_not_bound") == 0 ||
           strcmp(code, "taxpayer_unknown") == 0;
}

static void fuzz_api_check_result(const struct api_reply *r, long status)
{
    fuzz_api_require(r->result == API_RES_ERROR ||
                     r->result == API_RES_PENDING || r->result == API_RES_OK);
    fuzz_api_require((r->result == API_RES_ERROR) ==
                     (r->fault != API_FAULT_NONE));
    fuzz_api_require(r->verdict == API_VERDICT_NONE || r->result == API_RES_OK);
    fuzz_api_require(r->http_status == status);
    fuzz_api_require(r->retry_after_s == -1);

    /* A verdict read from an error reply names one of its codes exactly,
     * as shown to the agent. */
    if (r->result == API_RES_OK && r->code[0] != '\0')
        fuzz_api_require(fuzz_api_verdict_code(r->code));

    /* A failed reply carries nothing that a caller could act on. */
    if (r->result == API_RES_ERROR)
        fuzz_api_require(r->request_id[0] == '\0' &&
                         r->public_token[0] == '\0' && r->link_id[0] == '\0' &&
                         r->link_state == API_LINK_UNKNOWN);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct api_http in = {0};
    struct api_reply out;
    enum api_call call;
    char *body = NULL;

    if (size == 0)
        return 0;

    call = (enum api_call)(data[0] % API_CALL_COUNT);
    in.status = fuzz_api_statuses[data[0] / API_CALL_COUNT % FUZZ_API_NSTATUS];
    in.retry_after_s = -1;
    in.len = size - 1;
    if (in.len > 0) {
        body = malloc(in.len);
        if (body == NULL)
            return 0;
        memcpy(body, data + 1, in.len);
    }
    in.body = body;

    api_parse(call, &in, &out);

    fuzz_api_check_result(&out, in.status);
    fuzz_api_check_strings(&out);
    free(body);
    return 0;
}
