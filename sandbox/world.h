/*
 * world: the simulated bank and tax service behind the sandbox.
 *
 * Holds what the fake tax service knows about each taxpayer, the check
 * requests, the one-use public tokens and the link requests, and answers
 * them by the scenario table in docs/sandbox.md. It knows nothing of HTTP
 * or JSON. Time is passed in (monotonic milliseconds); timers such as a
 * customer confirming after a delay are applied lazily, on the next call
 * that looks at the state. Every function takes the world's lock, so the
 * HTTP thread and anyone else may call in.
 */
#ifndef SANDBOX_WORLD_H
#define SANDBOX_WORLD_H

#include <stddef.h>
#include <stdint.h>

#define WORLD_ID_LEN 32    /* request and link ids: 16 random bytes, hex */
#define WORLD_TOKEN_LEN 64 /* public tokens: 32 random bytes, hex */
#define WORLD_KEY_MAX 128  /* longest idempotency key accepted */

struct world_opts {
    int64_t confirm_delay_ms; /* until a customer answers on their own */
    int64_t slow_ms;          /* the slow tax service stays pending */
    int64_t check_gap_ms;     /* least time between checks of one INN */
};

/* The outcome of a call. why, when given, is a short plain sentence for
 * the error description. */
enum world_rc {
    WORLD_OK,
    WORLD_BAD_REQUEST, /* refused: invalid_request */
    WORLD_NOT_FOUND,   /* unknown id, or nothing to act on */
    WORLD_TOO_SOON,    /* a check inside the gap */
    WORLD_TAX_FAILED,  /* the tax service failed */
    WORLD_NO_MEMORY,
};

/* What the tax service says about a check request. */
enum world_answer {
    WORLD_PENDING,
    WORLD_UNKNOWN,      /* not self-employed, as the taxpayer_unknown code */
    WORLD_NOT_SE,       /* not self-employed, as two false booleans */
    WORLD_NOT_LINKED,   /* self-employed, not linked */
    WORLD_LINKED,       /* self-employed and linked */
    WORLD_SERVICE_DOWN, /* the tax service failed */
};

enum world_link_state {
    WORLD_LINK_IN_PROGRESS,
    WORLD_LINK_COMPLETED,
    WORLD_LINK_FAILED,
};

/* What the control endpoint plays for the customer. */
enum world_action {
    WORLD_CONFIRM,
    WORLD_DECLINE,
    WORLD_REVOKE,
};

/* Counts of requests received since start, by kind. */
enum world_counter {
    WORLD_N_CHECK,
    WORLD_N_STATUS,
    WORLD_N_TOKEN,
    WORLD_N_LINK,
    WORLD_N_LINK_STATUS,
    WORLD_N_REJECTED_SIGNATURE,
    WORLD_N_RATE_LIMITED,
    WORLD_N_LINKS_FILED,   /* link requests actually filed */
    WORLD_N_PERSONAL_INFO, /* personal data checks */
    WORLD_N_COUNT
};

struct world;

struct world *world_new(const struct world_opts *opts);

/* npd/check for a valid INN: fills id with a new request id, or, inside
 * the gap, returns WORLD_TOO_SOON with the milliseconds left. */
enum world_rc world_check(struct world *w, const char *inn, int64_t now_ms,
                          char id[WORLD_ID_LEN + 1], int64_t *wait_ms,
                          const char **why);

/* npd/request/status: the answer for a request id. */
enum world_rc world_poll(struct world *w, const char *id, int64_t now_ms,
                         enum world_answer *out, const char **why);

/* token: a new one-use public token for a valid INN. */
enum world_rc world_token(struct world *w, const char *inn,
                          char token[WORLD_TOKEN_LEN + 1], const char **why);

/* The link request. key may be NULL or "": no idempotency. A key seen
 * before returns the link it filed, and files nothing. */
enum world_rc world_link(struct world *w, const char *token, const char *inn,
                         const char *key, int64_t now_ms,
                         char id[WORLD_ID_LEN + 1],
                         enum world_link_state *state, const char **why);

enum world_rc world_link_status(struct world *w, const char *id, int64_t now_ms,
                                enum world_link_state *state, const char **why);

/* The customer answers every link request waiting for them, or revokes
 * the bank's link. */
enum world_rc world_act(struct world *w, const char *inn,
                        enum world_action action, int64_t now_ms,
                        const char **why);

void world_count(struct world *w, enum world_counter c);

/* Copies all counters into out (WORLD_N_COUNT entries). */
void world_stats(struct world *w, unsigned long out[WORLD_N_COUNT]);

/* The name of a counter in the stats reply: "check", "rate_limited". */
const char *world_counter_name(enum world_counter c);

/* Frees everything; taxpayer numbers held are wiped first. */
void world_free(struct world *w);

#endif
