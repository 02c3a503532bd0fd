/*
 * ledger: per-INN check times shared between processes through a locked
 * file of keyed hashes.
 */
#include "ledger.h"
#include "err.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define LEDGER_MAGIC "NPDLEDG1"
#define LEDGER_VERSION 1u
#define LEDGER_HEAD 64
#define LEDGER_SIZE                                                            \
    ((off_t)LEDGER_HEAD +                                                      \
     (off_t)LEDGER_RECORDS * (off_t)sizeof(struct ledger_rec))
#define LEDGER_USED 1u
#define LEDGER_FLIGHT 2u
#define LEDGER_RETRY_MS 1000 /* asked again this soon while a claim is out */
#define LEDGER_LOCK_STEP_MS 10

/* 64 bytes, native byte order: the file never leaves its host. */
struct ledger_rec {
    unsigned char id[LEDGER_ID_LEN];
    int64_t last_ms;   /* last npd/check sent or answered */
    int64_t flight_ms; /* when the claim out now was made */
    uint64_t owner;    /* the handle that holds it */
    int32_t pid;
    uint32_t flags;
};

struct ledger_head {
    char magic[8];
    uint32_t version;
    uint32_t records;
    uint32_t rec_size;
    unsigned char pad[LEDGER_HEAD - 20];
};

struct ledger {
    int fd;
    char path[4096];
    struct ledger_opts opts;
    unsigned char key[LEDGER_KEY_LEN];
    uint64_t owner;
    struct ledger_rec *recs; /* the table as last read */
};

static void ledger_sleep_ms(int64_t ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* An open-file-description lock, so that two handles in one process
 * exclude each other as two processes do. Tried in steps rather than
 * blocking, so a stuck holder costs lock_ms, not the program. 1, with no
 * reason written, when another holder kept it for all of lock_ms: that is
 * no failure of the file. */
static int ledger_lock(struct ledger *l, char *err, size_t errlen)
{
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};

    for (int64_t waited = 0;; waited += LEDGER_LOCK_STEP_MS) {
        if (fcntl(l->fd, F_OFD_SETLK, &fl) == 0)
            return 0;
        if (errno != EAGAIN && errno != EACCES && errno != EINTR) {
            err_set(err, errlen, "cannot lock %s: %s", l->path,
                    strerror(errno));
            return -1;
        }
        if (waited >= l->opts.lock_ms)
            break;
        ledger_sleep_ms(LEDGER_LOCK_STEP_MS);
    }
    return 1;
}

/* As ledger_lock, for callers that have no "later" to offer. */
static int ledger_lock_now(struct ledger *l, char *err, size_t errlen)
{
    int rc = ledger_lock(l, err, errlen);

    if (rc == 1) {
        err_set(err, errlen, "%s stayed locked by another process", l->path);
        return -1;
    }
    return rc;
}

static void ledger_unlock(struct ledger *l)
{
    struct flock fl = {.l_type = F_UNLCK, .l_whence = SEEK_SET};

    fcntl(l->fd, F_OFD_SETLK, &fl);
}

static void ledger_head_fill(struct ledger_head *h)
{
    memset(h, 0, sizeof(*h));
    memcpy(h->magic, LEDGER_MAGIC, sizeof(h->magic));
    h->version = LEDGER_VERSION;
    h->records = LEDGER_RECORDS;
    h->rec_size = sizeof(struct ledger_rec);
}

/* An empty table of the right size. */
static int ledger_format(struct ledger *l, char *err, size_t errlen)
{
    struct ledger_head h;

    ledger_head_fill(&h);
    if (ftruncate(l->fd, 0) != 0 || ftruncate(l->fd, LEDGER_SIZE) != 0 ||
        pwrite(l->fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h)) {
        err_set(err, errlen, "cannot write %s: %s", l->path, strerror(errno));
        return -1;
    }
    memset(l->recs, 0, (size_t)LEDGER_RECORDS * sizeof(*l->recs));
    return 0;
}

static int ledger_head_ok(struct ledger *l)
{
    struct ledger_head want, got;

    ledger_head_fill(&want);
    if (pread(l->fd, &got, sizeof(got), 0) != (ssize_t)sizeof(got))
        return 0;
    return memcmp(&want, &got, sizeof(want)) == 0;
}

/* Reads the table under the lock. A file of the wrong size or with a
 * foreign header is rebuilt: losing the times costs at most one early
 * check, which the bank answers with a 429, while refusing would stop
 * every desk. An empty file is a new one and is formatted quietly. */
static int ledger_load(struct ledger *l, char *err, size_t errlen)
{
    size_t len = (size_t)LEDGER_RECORDS * sizeof(*l->recs);
    struct stat st;

    if (fstat(l->fd, &st) != 0) {
        err_set(err, errlen, "cannot read %s: %s", l->path, strerror(errno));
        return -1;
    }
    if (st.st_size == 0)
        return ledger_format(l, err, errlen);

    if (st.st_size != LEDGER_SIZE || !ledger_head_ok(l) ||
        pread(l->fd, l->recs, len, LEDGER_HEAD) != (ssize_t)len) {
        if (ledger_format(l, err, errlen) < 0)
            return -1;
        err_set(err, errlen, "%s was damaged and has been rebuilt", l->path);
    }
    return 0;
}

static int ledger_store(struct ledger *l, int i, char *err, size_t errlen)
{
    off_t at = LEDGER_HEAD + (off_t)i * (off_t)sizeof(*l->recs);

    if (pwrite(l->fd, &l->recs[i], sizeof(*l->recs), at) !=
        (ssize_t)sizeof(*l->recs)) {
        err_set(err, errlen, "cannot write %s: %s", l->path, strerror(errno));
        return -1;
    }
    return 0;
}

static int ledger_find(const struct ledger *l, const unsigned char *id)
{
    for (int i = 0; i < LEDGER_RECORDS; i++) {
        const struct ledger_rec *r = &l->recs[i];

        if ((r->flags & LEDGER_USED) && memcmp(r->id, id, LEDGER_ID_LEN) == 0)
            return i;
    }
    return -1;
}

/* A claim ends with its reply, when it is older than flight_ms, or when
 * the process that made it is gone. A pid from another pid namespace may
 * look alive; the age limit still ends it. */
static int ledger_in_flight(const struct ledger *l, const struct ledger_rec *r,
                            int64_t now_ms)
{
    if (!(r->flags & LEDGER_FLIGHT))
        return 0;
    if (now_ms - r->flight_ms >= l->opts.flight_ms)
        return 0;
    if (r->pid > 0 && kill((pid_t)r->pid, 0) != 0 && errno == ESRCH)
        return 0;
    return 1;
}

static int64_t ledger_gap_left(const struct ledger *l,
                               const struct ledger_rec *r, int64_t now_ms)
{
    int64_t last = r->last_ms < now_ms ? r->last_ms : now_ms;
    int64_t left = last + l->opts.gap_ms - now_ms;

    return left > 0 ? left : 0;
}

/* A free record, else one whose gap has passed and that holds no claim,
 * else the oldest. */
static int ledger_pick(const struct ledger *l, int64_t now_ms)
{
    int oldest = 0;

    for (int i = 0; i < LEDGER_RECORDS; i++) {
        const struct ledger_rec *r = &l->recs[i];

        if (!(r->flags & LEDGER_USED))
            return i;
        if (ledger_gap_left(l, r, now_ms) == 0 &&
            !ledger_in_flight(l, r, now_ms))
            return i;
        if (r->last_ms < l->recs[oldest].last_ms)
            oldest = i;
    }
    return oldest;
}

static int64_t ledger_wait(const struct ledger *l, const unsigned char *id,
                           int64_t now_ms)
{
    int i = ledger_find(l, id);
    int64_t wait;

    if (i < 0)
        return 0;

    wait = ledger_gap_left(l, &l->recs[i], now_ms);
    if (ledger_in_flight(l, &l->recs[i], now_ms) && wait < LEDGER_RETRY_MS)
        wait = LEDGER_RETRY_MS;
    return wait;
}

static int ledger_put_claim(struct ledger *l, const unsigned char *id,
                            int64_t now_ms, char *err, size_t errlen)
{
    int i = ledger_find(l, id);
    struct ledger_rec *r;

    if (i < 0)
        i = ledger_pick(l, now_ms);
    r = &l->recs[i];
    memcpy(r->id, id, LEDGER_ID_LEN);
    r->last_ms = now_ms;
    r->flight_ms = now_ms;
    r->owner = l->owner;
    r->pid = (int32_t)getpid();
    r->flags = LEDGER_USED | LEDGER_FLIGHT;
    return ledger_store(l, i, err, errlen);
}

int64_t ledger_claim(struct ledger *l, const unsigned char id[LEDGER_ID_LEN],
                     int64_t now_ms, char *err, size_t errlen)
{
    int64_t wait;
    int rc = ledger_lock(l, err, errlen);

    /* Another process is inside the file: ask again soon rather than
     * send a check it may be recording for this very INN. */
    if (rc == 1)
        return LEDGER_RETRY_MS;
    if (rc < 0)
        return -1;
    if (ledger_load(l, err, errlen) < 0) {
        ledger_unlock(l);
        return -1;
    }

    wait = ledger_wait(l, id, now_ms);
    if (wait == 0 && ledger_put_claim(l, id, now_ms, err, errlen) < 0)
        wait = -1;

    ledger_unlock(l);
    return wait;
}

/* Only this handle's own claim is ended: one that expired and was taken
 * over by another process stays with its new holder. */
static int ledger_put_reply(struct ledger *l, const unsigned char *id,
                            int64_t now_ms, char *err, size_t errlen)
{
    int i = ledger_find(l, id);
    struct ledger_rec *r;

    if (i < 0) {
        i = ledger_pick(l, now_ms);
        memset(&l->recs[i], 0, sizeof(l->recs[i]));
        memcpy(l->recs[i].id, id, LEDGER_ID_LEN);
        l->recs[i].flags = LEDGER_USED;
    }
    r = &l->recs[i];
    if (now_ms > r->last_ms)
        r->last_ms = now_ms;
    if (r->owner == l->owner)
        r->flags &= ~LEDGER_FLIGHT;
    return ledger_store(l, i, err, errlen);
}

int ledger_release(struct ledger *l, const unsigned char id[LEDGER_ID_LEN],
                   int64_t now_ms, char *err, size_t errlen)
{
    int rc;

    if (ledger_lock_now(l, err, errlen) < 0)
        return -1;
    rc = ledger_load(l, err, errlen);
    if (rc == 0)
        rc = ledger_put_reply(l, id, now_ms, err, errlen);
    ledger_unlock(l);
    return rc;
}

int ledger_id(const struct ledger *l, const char *inn,
              unsigned char id[LEDGER_ID_LEN])
{
    unsigned int len = 0;

    if (!HMAC(EVP_sha256(), l->key, sizeof(l->key), (const unsigned char *)inn,
              strlen(inn), id, &len) ||
        len != LEDGER_ID_LEN)
        return -1;
    return 0;
}

/* 1 when there is no key yet. */
static int ledger_read_key(struct ledger *l, const char *kpath, char *err,
                           size_t errlen)
{
    int fd = open(kpath, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    struct stat st;
    ssize_t n;

    if (fd < 0 && errno == ENOENT)
        return 1;
    if (fd < 0) {
        err_set(err, errlen, "cannot open %s: %s", kpath, strerror(errno));
        return -1;
    }

    n = read(fd, l->key, sizeof(l->key));
    if (fstat(fd, &st) != 0 || n != (ssize_t)sizeof(l->key) ||
        st.st_size != (off_t)sizeof(l->key)) {
        err_set(err, errlen, "%s is not a %d-byte key", kpath, LEDGER_KEY_LEN);
        n = -1;
    } else if (st.st_mode & 0007) {
        err_set(err, errlen, "%s may be read by anyone: make it 600 or 660",
                kpath);
        n = -1;
    }
    close(fd);
    return n < 0 ? -1 : 0;
}

/* Made under the ledger's lock, so no other process reads it half
 * written; O_EXCL still refuses to replace one that appeared. */
static int ledger_make_key(struct ledger *l, const char *kpath, mode_t mode,
                           char *err, size_t errlen)
{
    int fd;
    int ok;

    if (RAND_bytes(l->key, sizeof(l->key)) != 1) {
        err_set(err, errlen, "no random bytes for the ledger key");
        return -1;
    }
    fd =
        open(kpath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
    if (fd < 0) {
        err_set(err, errlen, "cannot create %s: %s", kpath, strerror(errno));
        return -1;
    }
    ok = fchmod(fd, mode) == 0 &&
         write(fd, l->key, sizeof(l->key)) == (ssize_t)sizeof(l->key);
    if (close(fd) != 0 || !ok) {
        err_set(err, errlen, "cannot write %s", kpath);
        unlink(kpath);
        return -1;
    }
    return 0;
}

static int ledger_key(struct ledger *l, char *err, size_t errlen)
{
    char kpath[sizeof(l->path) + 8];
    struct stat st;
    int rc;

    snprintf(kpath, sizeof(kpath), "%s.key", l->path);
    if (fstat(l->fd, &st) != 0) {
        err_set(err, errlen, "cannot read %s: %s", l->path, strerror(errno));
        return -1;
    }

    rc = ledger_read_key(l, kpath, err, errlen);
    if (rc == 1)
        rc = ledger_make_key(l, kpath, (st.st_mode & 0060) | 0600, err, errlen);
    return rc;
}

static int ledger_start(struct ledger *l, char *err, size_t errlen)
{
    int rc;

    l->fd = open(l->path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (l->fd < 0) {
        err_set(err, errlen, "cannot open %s: %s", l->path, strerror(errno));
        return -1;
    }
    if (RAND_bytes((unsigned char *)&l->owner, sizeof(l->owner)) != 1) {
        err_set(err, errlen, "no random bytes for the ledger");
        return -1;
    }

    if (ledger_lock_now(l, err, errlen) < 0)
        return -1;
    rc = ledger_key(l, err, errlen);
    if (rc == 0)
        rc = ledger_load(l, err, errlen);
    ledger_unlock(l);
    return rc;
}

struct ledger *ledger_open(const char *path, const struct ledger_opts *o,
                           char *err, size_t errlen)
{
    struct ledger *l = calloc(1, sizeof(*l));

    if (l == NULL || strlen(path) >= sizeof(l->path)) {
        err_set(err, errlen, l ? "ledger path is too long" : "out of memory");
        free(l);
        return NULL;
    }
    l->fd = -1;
    l->opts = *o;
    snprintf(l->path, sizeof(l->path), "%s", path);
    l->recs = calloc(LEDGER_RECORDS, sizeof(*l->recs));
    if (l->recs == NULL) {
        err_set(err, errlen, "out of memory");
        ledger_close(l);
        return NULL;
    }

    if (ledger_start(l, err, errlen) < 0) {
        ledger_close(l);
        return NULL;
    }
    return l;
}

void ledger_close(struct ledger *l)
{
    if (l == NULL)
        return;
    if (l->fd >= 0)
        close(l->fd);
    OPENSSL_cleanse(l->key, sizeof(l->key));
    free(l->recs);
    free(l);
}
