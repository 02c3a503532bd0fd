/*
 * world: taxpayers, check requests, tokens and link requests in memory.
 */
#include "world.h"

#include <threads.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "inn.h"

/* More items than this of one kind and the sandbox answers "internal
 * error": it is a test double, not a store. */
#define WORLD_MAX_ITEMS 100000

enum world_kind {
    KIND_UNKNOWN,       /* the tax service does not know the person */
    KIND_PLAIN,         /* known, not self-employed */
    KIND_SELF_EMPLOYED, /* may be linked */
    KIND_BROKEN,        /* the tax service fails for this person */
};

/* How the customer answers a link request in My Tax. */
enum world_reply {
    REPLY_CONFIRM,
    REPLY_DECLINE,
    REPLY_MANUAL, /* only through the control endpoint */
};

struct world_scenario {
    const char *inn;
    enum world_kind kind;
    int linked;
    enum world_reply reply;
    int slow;
};

static const struct world_scenario world_scenarios[] = {
    {"500000000100", KIND_PLAIN, 0, REPLY_MANUAL, 0},
    {"500000000276", KIND_SELF_EMPLOYED, 1, REPLY_MANUAL, 0},
    {"500000000340", KIND_SELF_EMPLOYED, 0, REPLY_CONFIRM, 0},
    {"500000000413", KIND_SELF_EMPLOYED, 0, REPLY_DECLINE, 0},
    {"500000000597", KIND_SELF_EMPLOYED, 0, REPLY_CONFIRM, 1},
    {"500000000660", KIND_BROKEN, 0, REPLY_MANUAL, 0},
    {"500000000734", KIND_SELF_EMPLOYED, 0, REPLY_MANUAL, 0},
};

struct world_customer {
    char inn[INN_LEN + 1];
    enum world_kind kind;
    int linked;
    enum world_reply reply;
    int slow;
    int checked;
    int64_t last_check_ms;
};

struct world_request {
    char id[WORLD_ID_LEN + 1];
    size_t who;
    int64_t ready_ms;
    enum world_answer answer; /* WORLD_PENDING until the first read */
};

struct world_token {
    char value[WORLD_TOKEN_LEN + 1];
    size_t who;
    int used;
};

struct world_link {
    char id[WORLD_ID_LEN + 1];
    size_t who;
    enum world_link_state state;
    enum world_reply reply;
    int64_t answer_ms; /* when the customer answers; -1 never on their own */
    char key[WORLD_KEY_MAX + 1];
};

struct world {
    mtx_t lock;
    struct world_opts opts;
    struct world_customer *customers;
    size_t ncustomers, capcustomers;
    struct world_request *requests;
    size_t nrequests, caprequests;
    struct world_token *tokens;
    size_t ntokens, captokens;
    struct world_link *links;
    size_t nlinks, caplinks;
    unsigned long counts[WORLD_N_COUNT];
};

static const char *const world_counter_names[WORLD_N_COUNT] = {
    "check",        "status",      "token",
    "link",         "link_status", "rejected_signature",
    "rate_limited", "links_filed", "personal_info",
};

struct world *world_new(const struct world_opts *opts)
{
    struct world *w = calloc(1, sizeof *w);

    if (w == NULL)
        return NULL;
    if (mtx_init(&w->lock, mtx_plain) != thrd_success) {
        free(w);
        return NULL;
    }
    w->opts = *opts;
    return w;
}

/* Returns arr with room for one more item (maybe moved), or NULL when
 * out of memory or past the limit; arr is left as it was on failure. */
static void *world_grow(void *arr, size_t *cap, size_t n, size_t size)
{
    size_t want;
    void *p;

    if (n < *cap)
        return arr;
    if (n >= WORLD_MAX_ITEMS)
        return NULL;

    want = *cap ? *cap * 2 : 16;
    p = realloc(arr, want * size);
    if (p != NULL)
        *cap = want;
    return p;
}

/* Fills out with 2 * nbytes lowercase hex digits of fresh random data. */
static int world_random_hex(char *out, size_t nbytes)
{
    static const char digits[] = "0123456789abcdef";
    unsigned char raw[WORLD_TOKEN_LEN / 2];

    if (nbytes > sizeof raw || RAND_bytes(raw, (int)nbytes) != 1)
        return -1;

    for (size_t i = 0; i < nbytes; i++) {
        out[2 * i] = digits[raw[i] >> 4];
        out[2 * i + 1] = digits[raw[i] & 0xf];
    }
    out[2 * nbytes] = '\0';
    return 0;
}

static void world_set_why(const char **why, const char *text)
{
    if (why != NULL)
        *why = text;
}

static void world_customer_init(struct world_customer *c, const char *inn)
{
    memset(c, 0, sizeof *c);
    memcpy(c->inn, inn, INN_LEN);
    c->kind = KIND_UNKNOWN;
    c->reply = REPLY_MANUAL;

    for (size_t i = 0; i < sizeof world_scenarios / sizeof *world_scenarios;
         i++) {
        const struct world_scenario *s = &world_scenarios[i];

        if (strcmp(s->inn, inn) == 0) {
            c->kind = s->kind;
            c->linked = s->linked;
            c->reply = s->reply;
            c->slow = s->slow;
        }
    }
}

/* Finds the taxpayer, adding them from the scenario table on first
 * sight. inn must be 12 characters. -1 when out of memory. */
static int world_customer_find(struct world *w, const char *inn, size_t *who)
{
    void *p;

    for (size_t i = 0; i < w->ncustomers; i++) {
        if (memcmp(w->customers[i].inn, inn, INN_LEN + 1) == 0) {
            *who = i;
            return 0;
        }
    }

    if (strlen(inn) != INN_LEN)
        return -1;
    p = world_grow(w->customers, &w->capcustomers, w->ncustomers,
                   sizeof *w->customers);
    if (p == NULL)
        return -1;
    w->customers = p;
    world_customer_init(&w->customers[w->ncustomers], inn);
    *who = w->ncustomers++;
    return 0;
}

static void world_settle(struct world *w, struct world_link *l,
                         enum world_reply reply)
{
    if (reply == REPLY_CONFIRM) {
        l->state = WORLD_LINK_COMPLETED;
        w->customers[l->who].linked = 1;
    } else {
        l->state = WORLD_LINK_FAILED;
    }
}

/* Lets every customer whose answer time has come answer. */
static void world_advance(struct world *w, int64_t now_ms)
{
    for (size_t i = 0; i < w->nlinks; i++) {
        struct world_link *l = &w->links[i];

        if (l->state == WORLD_LINK_IN_PROGRESS && l->answer_ms >= 0 &&
            now_ms >= l->answer_ms)
            world_settle(w, l, l->reply);
    }
}

static enum world_answer world_answer_for(const struct world_customer *c)
{
    switch (c->kind) {
    case KIND_PLAIN:
        return WORLD_NOT_SE;
    case KIND_SELF_EMPLOYED:
        return c->linked ? WORLD_LINKED : WORLD_NOT_LINKED;
    case KIND_BROKEN:
        return WORLD_SERVICE_DOWN;
    case KIND_UNKNOWN:
        break;
    }
    return WORLD_UNKNOWN;
}

static enum world_rc world_check_locked(struct world *w, const char *inn,
                                        int64_t now_ms, char *id,
                                        int64_t *wait_ms, const char **why)
{
    struct world_customer *c;
    struct world_request *r;
    size_t who;
    void *p;

    if (world_customer_find(w, inn, &who) != 0)
        return WORLD_NO_MEMORY;
    c = &w->customers[who];
    if (c->checked && now_ms - c->last_check_ms < w->opts.check_gap_ms) {
        *wait_ms = w->opts.check_gap_ms - (now_ms - c->last_check_ms);
        w->counts[WORLD_N_RATE_LIMITED]++;
        world_set_why(why, "one check per taxpayer within the gap");
        return WORLD_TOO_SOON;
    }

    p = world_grow(w->requests, &w->caprequests, w->nrequests,
                   sizeof *w->requests);
    if (p == NULL)
        return WORLD_NO_MEMORY;
    w->requests = p;
    r = &w->requests[w->nrequests];
    if (world_random_hex(r->id, WORLD_ID_LEN / 2) != 0)
        return WORLD_NO_MEMORY;
    r->who = who;
    r->ready_ms = now_ms + (c->slow ? w->opts.slow_ms : 0);
    r->answer = WORLD_PENDING;
    w->nrequests++;

    c->checked = 1;
    c->last_check_ms = now_ms;
    memcpy(id, r->id, WORLD_ID_LEN + 1);
    return WORLD_OK;
}

enum world_rc world_check(struct world *w, const char *inn, int64_t now_ms,
                          char id[WORLD_ID_LEN + 1], int64_t *wait_ms,
                          const char **why)
{
    enum world_rc rc;

    mtx_lock(&w->lock);
    rc = world_check_locked(w, inn, now_ms, id, wait_ms, why);
    mtx_unlock(&w->lock);
    return rc;
}

static struct world_request *world_request_find(struct world *w, const char *id)
{
    for (size_t i = 0; i < w->nrequests; i++)
        if (strcmp(w->requests[i].id, id) == 0)
            return &w->requests[i];
    return NULL;
}

/* The answer is fixed the first time it is read after the tax service
 * is ready, so reading it again gives the same reply. */
static enum world_rc world_poll_locked(struct world *w, const char *id,
                                       int64_t now_ms, enum world_answer *out,
                                       const char **why)
{
    struct world_request *r = world_request_find(w, id);

    if (r == NULL) {
        world_set_why(why, "no check request has this id");
        return WORLD_NOT_FOUND;
    }

    world_advance(w, now_ms);
    if (r->answer == WORLD_PENDING && now_ms >= r->ready_ms)
        r->answer = world_answer_for(&w->customers[r->who]);
    *out = r->answer;
    return WORLD_OK;
}

enum world_rc world_poll(struct world *w, const char *id, int64_t now_ms,
                         enum world_answer *out, const char **why)
{
    enum world_rc rc;

    mtx_lock(&w->lock);
    rc = world_poll_locked(w, id, now_ms, out, why);
    mtx_unlock(&w->lock);
    return rc;
}

static enum world_rc world_token_locked(struct world *w, const char *inn,
                                        char *token)
{
    struct world_token *t;
    size_t who;
    void *p;

    if (world_customer_find(w, inn, &who) != 0)
        return WORLD_NO_MEMORY;
    p = world_grow(w->tokens, &w->captokens, w->ntokens, sizeof *w->tokens);
    if (p == NULL)
        return WORLD_NO_MEMORY;
    w->tokens = p;

    t = &w->tokens[w->ntokens];
    if (world_random_hex(t->value, WORLD_TOKEN_LEN / 2) != 0)
        return WORLD_NO_MEMORY;
    t->who = who;
    t->used = 0;
    w->ntokens++;

    memcpy(token, t->value, WORLD_TOKEN_LEN + 1);
    return WORLD_OK;
}

enum world_rc world_token(struct world *w, const char *inn,
                          char token[WORLD_TOKEN_LEN + 1], const char **why)
{
    enum world_rc rc;

    world_set_why(why, NULL);
    mtx_lock(&w->lock);
    rc = world_token_locked(w, inn, token);
    mtx_unlock(&w->lock);
    return rc;
}

static struct world_link *world_link_by_key(struct world *w, const char *key)
{
    if (key == NULL || key[0] == '\0')
        return NULL;
    for (size_t i = 0; i < w->nlinks; i++)
        if (strcmp(w->links[i].key, key) == 0)
            return &w->links[i];
    return NULL;
}

/* Spends the token when it is good for this INN; NULL with a reason
 * otherwise. */
static struct world_token *world_token_spend(struct world *w, const char *token,
                                             const char *inn, const char **why)
{
    for (size_t i = 0; i < w->ntokens; i++) {
        struct world_token *t = &w->tokens[i];

        if (strcmp(t->value, token) != 0)
            continue;
        if (t->used) {
            world_set_why(why, "the public token was already used");
            return NULL;
        }
        if (strcmp(w->customers[t->who].inn, inn) != 0) {
            world_set_why(why, "the public token is for another taxpayer");
            return NULL;
        }
        t->used = 1;
        return t;
    }
    world_set_why(why, "unknown public token");
    return NULL;
}

/* Whether the tax service would file a link request for this customer. */
static enum world_rc world_linkable(const struct world_customer *c,
                                    const char **why)
{
    if (c->kind == KIND_BROKEN) {
        world_set_why(why, "the tax service did not answer");
        return WORLD_TAX_FAILED;
    }
    if (c->kind != KIND_SELF_EMPLOYED) {
        world_set_why(why, "the taxpayer is not self-employed");
        return WORLD_BAD_REQUEST;
    }
    if (c->linked) {
        world_set_why(why, "the taxpayer is already linked to the bank");
        return WORLD_BAD_REQUEST;
    }
    return WORLD_OK;
}

static enum world_rc world_file(struct world *w, size_t who, const char *key,
                                int64_t now_ms, struct world_link **out)
{
    const struct world_customer *c = &w->customers[who];
    struct world_link *l;
    void *p;

    p = world_grow(w->links, &w->caplinks, w->nlinks, sizeof *w->links);
    if (p == NULL)
        return WORLD_NO_MEMORY;
    w->links = p;

    l = &w->links[w->nlinks];
    memset(l, 0, sizeof *l);
    if (world_random_hex(l->id, WORLD_ID_LEN / 2) != 0)
        return WORLD_NO_MEMORY;
    l->who = who;
    l->state = WORLD_LINK_IN_PROGRESS;
    l->reply = c->reply;
    l->answer_ms =
        c->reply == REPLY_MANUAL ? -1 : now_ms + w->opts.confirm_delay_ms;
    if (key != NULL)
        strcpy(l->key, key);
    w->nlinks++;

    w->counts[WORLD_N_LINKS_FILED]++;
    *out = l;
    return WORLD_OK;
}

static enum world_rc world_link_locked(struct world *w, const char *token,
                                       const char *inn, const char *key,
                                       int64_t now_ms, struct world_link **out,
                                       const char **why)
{
    struct world_link *seen = world_link_by_key(w, key);
    struct world_token *t;
    enum world_rc rc;

    world_advance(w, now_ms);
    if (seen != NULL) {
        if (strcmp(w->customers[seen->who].inn, inn) != 0) {
            world_set_why(why, "the idempotency key was used for another "
                               "taxpayer");
            return WORLD_BAD_REQUEST;
        }
        *out = seen;
        return WORLD_OK;
    }

    t = world_token_spend(w, token, inn, why);
    if (t == NULL)
        return WORLD_BAD_REQUEST;
    rc = world_linkable(&w->customers[t->who], why);
    if (rc != WORLD_OK)
        return rc;
    return world_file(w, t->who, key, now_ms, out);
}

enum world_rc world_link(struct world *w, const char *token, const char *inn,
                         const char *key, int64_t now_ms,
                         char id[WORLD_ID_LEN + 1],
                         enum world_link_state *state, const char **why)
{
    struct world_link *l = NULL;
    enum world_rc rc;

    if (key != NULL && strlen(key) > WORLD_KEY_MAX) {
        world_set_why(why, "the idempotency key is too long");
        return WORLD_BAD_REQUEST;
    }

    mtx_lock(&w->lock);
    rc = world_link_locked(w, token, inn, key, now_ms, &l, why);
    if (rc == WORLD_OK) {
        memcpy(id, l->id, WORLD_ID_LEN + 1);
        *state = l->state;
    }
    mtx_unlock(&w->lock);
    return rc;
}

enum world_rc world_link_status(struct world *w, const char *id, int64_t now_ms,
                                enum world_link_state *state, const char **why)
{
    enum world_rc rc = WORLD_NOT_FOUND;

    world_set_why(why, "no link request has this id");
    mtx_lock(&w->lock);
    world_advance(w, now_ms);
    for (size_t i = 0; i < w->nlinks; i++) {
        if (strcmp(w->links[i].id, id) == 0) {
            *state = w->links[i].state;
            rc = WORLD_OK;
            break;
        }
    }
    mtx_unlock(&w->lock);
    return rc;
}

/* The customer opens My Tax and answers every request waiting there. */
static enum world_rc world_answer_all(struct world *w, size_t who,
                                      enum world_reply reply, const char **why)
{
    int answered = 0;

    for (size_t i = 0; i < w->nlinks; i++) {
        struct world_link *l = &w->links[i];

        if (l->who == who && l->state == WORLD_LINK_IN_PROGRESS) {
            world_settle(w, l, reply);
            answered++;
        }
    }
    if (answered == 0) {
        world_set_why(why, "no link request is waiting for this taxpayer");
        return WORLD_NOT_FOUND;
    }
    return WORLD_OK;
}

static enum world_rc world_act_locked(struct world *w, const char *inn,
                                      enum world_action action, int64_t now_ms,
                                      const char **why)
{
    size_t who;

    if (world_customer_find(w, inn, &who) != 0)
        return WORLD_NO_MEMORY;
    world_advance(w, now_ms);

    switch (action) {
    case WORLD_CONFIRM:
        return world_answer_all(w, who, REPLY_CONFIRM, why);
    case WORLD_DECLINE:
        return world_answer_all(w, who, REPLY_DECLINE, why);
    case WORLD_REVOKE:
        break;
    }

    if (!w->customers[who].linked) {
        world_set_why(why, "the taxpayer is not linked to the bank");
        return WORLD_NOT_FOUND;
    }
    w->customers[who].linked = 0;
    return WORLD_OK;
}

enum world_rc world_act(struct world *w, const char *inn,
                        enum world_action action, int64_t now_ms,
                        const char **why)
{
    enum world_rc rc;

    mtx_lock(&w->lock);
    rc = world_act_locked(w, inn, action, now_ms, why);
    mtx_unlock(&w->lock);
    return rc;
}

void world_count(struct world *w, enum world_counter c)
{
    mtx_lock(&w->lock);
    w->counts[c]++;
    mtx_unlock(&w->lock);
}

void world_stats(struct world *w, unsigned long out[WORLD_N_COUNT])
{
    mtx_lock(&w->lock);
    memcpy(out, w->counts, sizeof w->counts);
    mtx_unlock(&w->lock);
}

const char *world_counter_name(enum world_counter c)
{
    return world_counter_names[c];
}

void world_free(struct world *w)
{
    if (w == NULL)
        return;

    if (w->customers != NULL)
        inn_wipe(w->customers, w->ncustomers * sizeof *w->customers);
    free(w->customers);
    free(w->requests);
    free(w->tokens);
    free(w->links);
    mtx_destroy(&w->lock);
    free(w);
}
