/*
 * failalloc: the allocator hooks behind tests/unit/test_alloc.c.
 *
 * Live blocks sit in a chained hash keyed by address; its nodes come from
 * the real malloc and are never counted.
 */
#include "failalloc.h"

#include <execinfo.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/crypto.h>

#define FAILALLOC_BUCKETS 65536u
#define FAILALLOC_FRAMES 12

void *__real_malloc(size_t n);
void *__real_calloc(size_t nmemb, size_t n);
void *__real_realloc(void *p, size_t n);
void __real_free(void *p);

void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t nmemb, size_t n);
void *__wrap_realloc(void *p, size_t n);
void __wrap_free(void *p);
char *__wrap_strdup(const char *s);
char *__wrap_strndup(const char *s, size_t n);
int __wrap_asprintf(char **out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

struct failalloc_node {
    void *p;
    unsigned long serial; /* order of allocation */
    int nframes;
    void *frames[FAILALLOC_FRAMES]; /* where it was made, for reports */
    struct failalloc_node *next;
};

static struct failalloc_node *failalloc_table[FAILALLOC_BUCKETS];
static pthread_mutex_t failalloc_lock = PTHREAD_MUTEX_INITIALIZER;
static long failalloc_nlive;
static unsigned long failalloc_serial;
static int failalloc_armed;
static unsigned long failalloc_seen;
static unsigned long failalloc_target;
static int failalloc_hit;
static int failalloc_json_spared;

static size_t failalloc_slot(const void *p)
{
    uintptr_t v = (uintptr_t)p;

    return (size_t)((v >> 4) ^ (v >> 20)) % FAILALLOC_BUCKETS;
}

/* Called with the lock held. */
static void failalloc_track(void *p)
{
    struct failalloc_node *n = __real_malloc(sizeof(*n));
    size_t s = failalloc_slot(p);

    if (n == NULL)
        abort();
    n->p = p;
    n->serial = ++failalloc_serial;
    n->nframes = backtrace(n->frames, FAILALLOC_FRAMES);
    n->next = failalloc_table[s];
    failalloc_table[s] = n;
    failalloc_nlive++;
}

/* Called with the lock held; 1 when p was tracked. */
static int failalloc_untrack(const void *p)
{
    struct failalloc_node **at = &failalloc_table[failalloc_slot(p)];

    for (; *at != NULL; at = &(*at)->next) {
        struct failalloc_node *n = *at;

        if (n->p == p) {
            *at = n->next;
            __real_free(n);
            failalloc_nlive--;
            return 1;
        }
    }
    return 0;
}

/* Counts one allocation; 1 when it is the one to fail. Lock held. */
static int failalloc_should_fail(void)
{
    if (!failalloc_armed)
        return 0;
    failalloc_seen++;
    if (failalloc_seen != failalloc_target)
        return 0;
    failalloc_hit = 1;
    return 1;
}

/* Takes the lock for a new block; NULL means "fail this one". */
static int failalloc_begin(void)
{
    pthread_mutex_lock(&failalloc_lock);
    if (!failalloc_should_fail())
        return 1;
    pthread_mutex_unlock(&failalloc_lock);
    return 0;
}

static void *failalloc_end(void *p)
{
    if (p != NULL)
        failalloc_track(p);
    pthread_mutex_unlock(&failalloc_lock);
    return p;
}

void *__wrap_malloc(size_t n)
{
    if (!failalloc_begin())
        return NULL;
    return failalloc_end(__real_malloc(n));
}

void *__wrap_calloc(size_t nmemb, size_t n)
{
    if (!failalloc_begin())
        return NULL;
    return failalloc_end(__real_calloc(nmemb, n));
}

/* A failed realloc leaves the old block alone; a block this file never
 * saw stays untracked when it moves. */
void *__wrap_realloc(void *p, size_t n)
{
    int tracked;
    void *q;

    if (!failalloc_begin())
        return NULL;
    tracked = p == NULL || failalloc_untrack(p);
    q = __real_realloc(p, n);
    if (q == NULL && p != NULL && tracked)
        failalloc_track(p);
    else if (q != NULL && tracked)
        failalloc_track(q);
    pthread_mutex_unlock(&failalloc_lock);
    return q;
}

void __wrap_free(void *p)
{
    if (p == NULL)
        return;
    pthread_mutex_lock(&failalloc_lock);
    failalloc_untrack(p);
    pthread_mutex_unlock(&failalloc_lock);
    __real_free(p);
}

char *__wrap_strndup(const char *s, size_t n)
{
    size_t len = strnlen(s, n);
    char *d = __wrap_malloc(len + 1);

    if (d == NULL)
        return NULL;
    memcpy(d, s, len);
    d[len] = '\0';
    return d;
}

char *__wrap_strdup(const char *s)
{
    return __wrap_strndup(s, SIZE_MAX);
}

int __wrap_asprintf(char **out, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (!failalloc_begin()) {
        *out = NULL;
        return -1;
    }
    pthread_mutex_unlock(&failalloc_lock);

    va_start(ap, fmt);
    n = vasprintf(out, fmt, ap);
    va_end(ap);

    pthread_mutex_lock(&failalloc_lock);
    failalloc_end(n < 0 ? NULL : *out);
    return n;
}

/* jansson's blocks, never failed while failalloc_spare_json() is on. */
static void *failalloc_json_malloc(size_t n)
{
    if (!failalloc_json_spared)
        return __wrap_malloc(n);
    pthread_mutex_lock(&failalloc_lock);
    return failalloc_end(__real_malloc(n));
}

void failalloc_spare_json(int on)
{
    failalloc_json_spared = on;
}

static void *failalloc_ossl_malloc(size_t n, const char *file, int line)
{
    (void)file;
    (void)line;
    return __wrap_malloc(n);
}

static void *failalloc_ossl_realloc(void *p, size_t n, const char *file,
                                    int line)
{
    (void)file;
    (void)line;
    return __wrap_realloc(p, n);
}

static void failalloc_ossl_free(void *p, const char *file, int line)
{
    (void)file;
    (void)line;
    __wrap_free(p);
}

int failalloc_init(void)
{
    if (CRYPTO_set_mem_functions(failalloc_ossl_malloc, failalloc_ossl_realloc,
                                 failalloc_ossl_free) != 1)
        return -1;
    json_set_alloc_funcs(failalloc_json_malloc, __wrap_free);
    if (curl_global_init_mem(CURL_GLOBAL_DEFAULT, __wrap_malloc, __wrap_free,
                             __wrap_realloc, __wrap_strdup,
                             __wrap_calloc) != CURLE_OK)
        return -1;
    return 0;
}

void failalloc_done(void)
{
    curl_global_cleanup();
}

void failalloc_arm(unsigned long fail_at)
{
    pthread_mutex_lock(&failalloc_lock);
    failalloc_seen = 0;
    failalloc_target = fail_at;
    failalloc_hit = 0;
    failalloc_armed = 1;
    pthread_mutex_unlock(&failalloc_lock);
}

unsigned long failalloc_disarm(void)
{
    unsigned long seen;

    pthread_mutex_lock(&failalloc_lock);
    failalloc_armed = 0;
    seen = failalloc_seen;
    pthread_mutex_unlock(&failalloc_lock);
    return seen;
}

int failalloc_injected(void)
{
    return failalloc_hit;
}

long failalloc_live(void)
{
    long n;

    pthread_mutex_lock(&failalloc_lock);
    n = failalloc_nlive;
    pthread_mutex_unlock(&failalloc_lock);
    return n;
}

unsigned long failalloc_mark(void)
{
    unsigned long s;

    pthread_mutex_lock(&failalloc_lock);
    s = failalloc_serial;
    pthread_mutex_unlock(&failalloc_lock);
    return s;
}

void failalloc_report(unsigned long since)
{
    pthread_mutex_lock(&failalloc_lock);
    for (size_t i = 0; i < FAILALLOC_BUCKETS; i++) {
        for (struct failalloc_node *n = failalloc_table[i]; n != NULL;
             n = n->next) {
            if (n->serial <= since)
                continue;
            fprintf(stderr, "failalloc: block %lu still live, made at:\n",
                    n->serial);
            backtrace_symbols_fd(n->frames, n->nframes, 2);
        }
    }
    pthread_mutex_unlock(&failalloc_lock);
}
