/*
 * flow: one customer's way from INN to "linked", as a state machine.
 *
 * The flow does no I/O. Commands (submit, agree, refresh, ...) and replies
 * change its state and queue requests; the engine takes the requests with
 * flow_next_request(), sends them, and hands each reply back with
 * flow_on_reply(). Every call takes the current monotonic time in ms, so
 * tests drive it with a fake clock.
 *
 * A check is npd/check, then npd/request/status until the answer is no
 * longer pending. While waiting for the customer, checks repeat in the
 * background (and on Refresh), never more than one npd/check per INN per
 * min_check_gap_ms; the link request's own state is asked after each
 * check that says "not linked".
 */
#ifndef NPD_FLOW_H
#define NPD_FLOW_H

#include <stddef.h>
#include <stdint.h>

#include "api.h"
#include "inn.h"

enum flow_state {
    FLOW_INN,               /* typing the INN */
    FLOW_CHECKING,          /* first check in progress */
    FLOW_NOT_SELF_EMPLOYED, /* verdict */
    FLOW_ALREADY_LINKED,    /* verdict */
    FLOW_CONSENT,           /* self-employed, not linked: permissions shown */
    FLOW_FILING,            /* token, then the link request */
    FLOW_WAITING,           /* QR shown, re-checks running */
    FLOW_DECLINED,          /* customer declined, or the request failed */
    FLOW_LINKED,            /* linked after our request */
    FLOW_ERROR,             /* no definite answer; retry offered */
    FLOW_PERSON_CHECKING,   /* linked; the customer's data is being checked */
    FLOW_PERSON_RESULT,     /* per-field results, or a fault and a retry */
};

/* The customer's data for npd/taxpayer/check_personal_info, borrowed for
 * the call. middle may be "" (not everyone has one). */
struct flow_person {
    const char *last;
    const char *first;
    const char *middle;
    const char *phone;
};

enum flow_field {
    FLOW_FIELD_INN,
    FLOW_FIELD_LAST,
    FLOW_FIELD_FIRST,
    FLOW_FIELD_MIDDLE,
    FLOW_FIELD_PHONE,
    FLOW_FIELD_COUNT
};

enum flow_match {
    FLOW_MATCH_UNKNOWN, /* not sent, or the reply did not say */
    FLOW_MATCH_YES,
    FLOW_MATCH_NO, /* differs from the tax service's records */
};

/* An outside say over npd/check, for a gap shared with other processes
 * (core/ledger.c through the engine). All NULL: none. The flow keys the
 * INN with id() when given, so the key can be the same in every process,
 * and passes that id to claim() and release(). claim() returns 0 when the
 * check may go now and is recorded as sent, else the milliseconds to
 * wait; release() is told when the reply came, even after a reset, and by
 * flow_free() for a check still out (with now_ms 0: the flow has no clock
 * then). A gate that keeps time on another clock reads its own. */
struct flow_gate {
    int (*id)(void *ctx, const char *inn, unsigned char id[32]);
    int64_t (*claim)(void *ctx, const unsigned char id[32], int64_t now_ms);
    void (*release)(void *ctx, const unsigned char id[32], int64_t now_ms);
    void *ctx;
};

struct flow_config {
    int64_t min_check_gap_ms;       /* 30000 */
    int64_t recheck_ms;             /* background re-check period, >= the gap */
    int64_t status_limit_ms;        /* total time for one check to settle */
    int64_t status_first_ms;        /* first npd/request/status poll delay */
    int64_t status_max_ms;          /* longest pause between status polls */
    const char *const *permissions; /* codes asked for, borrowed */
    size_t npermissions;
    /* Member names of the personal data check's body, borrowed: the INN,
     * the name (three comma-separated names for last, first, middle, or
     * one name for the whole name), the phone. */
    const char *person_inn_field;   /* "tax_reference" */
    const char *person_name_fields; /* "last_name,first_name,middle_name" */
    const char *person_phone_field; /* "phone" */
    struct flow_gate gate; /* borrowed; zeroed by flow_config_defaults */
};

/* Fills the defaults: 30 s gap and period, 60 s limit, 0.5 s to 4 s polls. */
void flow_config_defaults(struct flow_config *cfg);

/* The low four bits of a tag name the call, so the engine knows which
 * parser to use before handing the reply back. */
#define FLOW_TAG_CALL(tag) ((enum api_call)((tag)&0xfu))

struct flow_req {
    enum api_call call;
    char *body;               /* malloc'd; the engine frees it */
    unsigned long tag;        /* hand back to flow_on_reply() */
    char idempotency_key[40]; /* "" when none */
};

/* What a screen shows. Never holds the INN in clear. */
struct flow_view {
    enum flow_state state;
    unsigned long version; /* changes whenever anything below changes */
    char inn_masked[INN_LEN + 1];
    enum inn_verdict inn_verdict; /* result of the last submit */
    int busy;                     /* a request is in flight */
    int64_t started_ms;           /* start of the current check, -1 none */
    int64_t last_answer_ms;       /* time of the last definite answer, -1 */
    enum api_verdict last_verdict;
    int64_t next_check_ms;      /* when the next check goes, -1 none */
    int refresh_wait_s;         /* >0: last Refresh was too soon by this */
    int64_t refresh_refused_ms; /* when that Refresh came, -1 none */
    /* the last failure, in FLOW_ERROR and as a notice in FLOW_WAITING */
    enum api_fault fault; /* API_FAULT_NONE when none */
    enum api_call failed_call;
    long http_status;
    char code[API_CODE_MAX];
    char detail[API_TEXT_MAX];
    int failures; /* failures in a row */
    /* FLOW_PERSON_RESULT: the state the check started from, and what the
     * tax service said of each field; never the data itself. */
    enum flow_state person_from;
    enum flow_match person[FLOW_FIELD_COUNT];
};

struct flow;

struct flow *flow_new(const struct flow_config *cfg);
void flow_free(struct flow *f); /* wipes the INN */

/* INN screen: checks text locally; on INN_OK starts a check (or waits for
 * the gap). Returns the verdict; nothing is queued unless INN_OK. */
enum inn_verdict flow_submit_inn(struct flow *f, const char *text,
                                 int64_t now_ms);

/* Consent screen: the customer agreed; files exactly one link request. */
int flow_agree(struct flow *f, int64_t now_ms);

/* Waiting screen: 0 when a check was started, else the seconds until one
 * may go (nothing is sent). */
int flow_refresh(struct flow *f, int64_t now_ms);

/* Error screen: tries again what failed. Declined screen: back to consent
 * for a new request. */
int flow_retry(struct flow *f, int64_t now_ms);

/* Linked or already linked screen, or the result of an earlier data
 * check (corrected data): checks the customer's data against the tax
 * service's records. -1 and nothing sent in any other state,
 * while busy, or when last, first or phone is empty or the data is not
 * valid UTF-8. The request is kept, wiped on reset, for flow_retry() on
 * the result screen after a fault. */
int flow_personal_info(struct flow *f, const struct flow_person *p,
                       int64_t now_ms);

/* Back to a clean INN screen; the INN is wiped from memory. */
void flow_reset(struct flow *f);

/* Timers: status polls, background re-checks, the time limit. */
void flow_tick(struct flow *f, int64_t now_ms);

/* Milliseconds until flow_tick() has something to do; -1 for never. */
int64_t flow_next_deadline(const struct flow *f, int64_t now_ms);

/* 1 and fills *out while requests are queued, else 0. */
int flow_next_request(struct flow *f, struct flow_req *out);

/* A reply for a request taken from flow_next_request(). Replies with a
 * stale tag (from before a reset) are ignored. */
void flow_on_reply(struct flow *f, unsigned long tag, const struct api_reply *r,
                   int64_t now_ms);

const struct flow_view *flow_view(const struct flow *f);

const char *flow_state_name(enum flow_state s);

#endif
