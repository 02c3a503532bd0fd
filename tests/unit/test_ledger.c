/*
 * Unit tests for ledger: the 30 s rule across handles and processes,
 * claims, their expiry, the file's contents and modes, damage, locking.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "ledger.h"

#define GAP 30000
#define FLIGHT 60000
#define T0 1700000000000LL /* a wall-clock time in ms */
#define INN_A "500000000340"
#define INN_B "500000000413"

struct fix {
    char dir[64];
    char path[96];
    char key[104];
    struct ledger_opts o;
};

static int fix_setup(void **state)
{
    struct fix *f = calloc(1, sizeof(*f));

    assert_non_null(f);
    strcpy(f->dir, "/tmp/npdlink-ledger-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->path, sizeof(f->path), "%s/checks", f->dir);
    snprintf(f->key, sizeof(f->key), "%s/checks.key", f->dir);
    f->o.gap_ms = GAP;
    f->o.flight_ms = FLIGHT;
    f->o.lock_ms = 2000;
    *state = f;
    return 0;
}

static int fix_teardown(void **state)
{
    struct fix *f = *state;

    unlink(f->path);
    unlink(f->key);
    rmdir(f->dir);
    free(f);
    return 0;
}

static struct ledger *open_ok(const struct fix *f)
{
    char err[256] = "";
    struct ledger *l = ledger_open(f->path, &f->o, err, sizeof(err));

    if (l == NULL)
        fail_msg("ledger_open: %s", err);
    assert_string_equal(err, "");
    return l;
}

static void id_of(const struct ledger *l, const char *inn,
                  unsigned char id[LEDGER_ID_LEN])
{
    assert_int_equal(ledger_id(l, inn, id), 0);
}

static int64_t claim(struct ledger *l, const unsigned char *id, int64_t now)
{
    char err[256] = "";
    int64_t w = ledger_claim(l, id, now, err, sizeof(err));

    if (w < 0 || err[0])
        fail_msg("ledger_claim: %s", err);
    return w;
}

static void release(struct ledger *l, const unsigned char *id, int64_t now)
{
    char err[256] = "";

    if (ledger_release(l, id, now, err, sizeof(err)) != 0 || err[0])
        fail_msg("ledger_release: %s", err);
}

/* The whole file in memory; *n its length. */
static unsigned char *slurp(const char *path, size_t *n)
{
    FILE *fp = fopen(path, "rb");
    unsigned char *buf;
    long len;

    assert_non_null(fp);
    assert_int_equal(fseek(fp, 0, SEEK_END), 0);
    len = ftell(fp);
    assert_true(len >= 0);
    rewind(fp);
    buf = malloc((size_t)len + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)len, fp), (size_t)len);
    fclose(fp);
    *n = (size_t)len;
    return buf;
}

static void test_same_inn_same_id_in_every_handle(void **state)
{
    struct fix *f = *state;
    struct ledger *a = open_ok(f);
    struct ledger *b = open_ok(f);
    unsigned char ia[LEDGER_ID_LEN], ib[LEDGER_ID_LEN], other[LEDGER_ID_LEN];

    id_of(a, INN_A, ia);
    id_of(b, INN_A, ib);
    id_of(b, INN_B, other);
    assert_memory_equal(ia, ib, LEDGER_ID_LEN);
    assert_memory_not_equal(ia, other, LEDGER_ID_LEN);

    ledger_close(a);
    ledger_close(b);
}

static void test_gap_holds_across_handles(void **state)
{
    struct fix *f = *state;
    struct ledger *a = open_ok(f);
    struct ledger *b = open_ok(f);
    unsigned char id[LEDGER_ID_LEN], other[LEDGER_ID_LEN];

    id_of(a, INN_A, id);
    id_of(a, INN_B, other);

    assert_int_equal(claim(a, id, T0), 0);
    release(a, id, T0 + 500);

    /* The gap counts from the reply, in the other handle too. */
    assert_int_equal(claim(b, id, T0 + 1000), 29500);
    assert_int_equal(claim(b, id, T0 + 30499), 1);
    assert_int_equal(claim(b, other, T0 + 1000), 0);
    assert_int_equal(claim(b, id, T0 + 30500), 0);

    /* b's claim now holds a in turn. */
    assert_int_equal(claim(a, id, T0 + 31000), 29500);

    ledger_close(a);
    ledger_close(b);
}

/* A real second process sees the first one's check. */
static void test_gap_holds_across_processes(void **state)
{
    struct fix *f = *state;
    struct ledger *a = open_ok(f);
    unsigned char id[LEDGER_ID_LEN];
    int status = 0;
    pid_t pid;

    id_of(a, INN_A, id);
    assert_int_equal(claim(a, id, T0), 0);
    release(a, id, T0);

    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        char err[256] = "";
        struct ledger *c = ledger_open(f->path, &f->o, err, sizeof(err));
        unsigned char cid[LEDGER_ID_LEN];
        int ok = c != NULL && ledger_id(c, INN_A, cid) == 0 &&
                 memcmp(cid, id, LEDGER_ID_LEN) == 0 &&
                 ledger_claim(c, cid, T0 + 10000, err, sizeof(err)) == 20000 &&
                 ledger_claim(c, cid, T0 + 30000, err, sizeof(err)) == 0 &&
                 ledger_release(c, cid, T0 + 31000, err, sizeof(err)) == 0;

        ledger_close(c);
        ledger_close(a);
        _exit(ok ? 0 : 1);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);

    /* And the first process sees the second one's. */
    assert_int_equal(claim(a, id, T0 + 32000), 29000);
    ledger_close(a);
}

static void test_claim_out_blocks_past_the_gap(void **state)
{
    struct fix *f = *state;
    struct ledger *a = open_ok(f);
    struct ledger *b = open_ok(f);
    unsigned char id[LEDGER_ID_LEN];

    id_of(a, INN_A, id);
    assert_int_equal(claim(a, id, T0), 0);

    assert_int_equal(claim(b, id, T0 + 5000), 25000);
    /* The gap has passed, but a's check has no reply yet. */
    assert_int_equal(claim(b, id, T0 + 40000), 1000);
    assert_int_equal(claim(b, id, T0 + FLIGHT - 1), 1000);

    /* A claim older than the flight limit is void. */
    assert_int_equal(claim(b, id, T0 + FLIGHT), 0);

    ledger_close(a);
    ledger_close(b);
}

/* A late reply ends only its own claim, and still moves the gap. */
static void test_late_release_keeps_new_claim(void **state)
{
    struct fix *f = *state;
    struct ledger *a = open_ok(f);
    struct ledger *b = open_ok(f);
    unsigned char id[LEDGER_ID_LEN];

    id_of(a, INN_A, id);
    assert_int_equal(claim(a, id, T0), 0);
    assert_int_equal(claim(b, id, T0 + FLIGHT), 0);
    release(a, id, T0 + FLIGHT + 100);

    assert_int_equal(claim(a, id, T0 + FLIGHT + 40000), 1000);
    release(b, id, T0 + FLIGHT + 41000);
    assert_int_equal(claim(a, id, T0 + FLIGHT + 42000), 29000);

    ledger_close(a);
    ledger_close(b);
}

/* A process that died with its check out blocks nobody past the gap. */
static void test_dead_process_claim_expires(void **state)
{
    struct fix *f = *state;
    struct ledger *a = open_ok(f);
    unsigned char id[LEDGER_ID_LEN];
    int status = 0;
    pid_t pid;

    id_of(a, INN_A, id);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        char err[256] = "";
        struct ledger *c = ledger_open(f->path, &f->o, err, sizeof(err));

        /* Ends with its check out and never releases it. */
        int ok = c != NULL && ledger_claim(c, id, T0, err, sizeof(err)) == 0;

        ledger_close(c);
        ledger_close(a);
        _exit(ok ? 0 : 1);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);

    /* The gap from its claim still holds; its claim no longer does. */
    assert_int_equal(claim(a, id, T0 + 1000), 29000);
    assert_int_equal(claim(a, id, T0 + GAP + 1000), 0);
    ledger_close(a);
}

static void test_clock_set_back_waits_one_gap_at_most(void **state)
{
    struct fix *f = *state;
    struct ledger *a = open_ok(f);
    unsigned char id[LEDGER_ID_LEN];

    id_of(a, INN_A, id);
    assert_int_equal(claim(a, id, T0), 0);
    release(a, id, T0);

    assert_int_equal(claim(a, id, T0 - 3600000), GAP);
    ledger_close(a);
}

static void test_file_holds_no_inn(void **state)
{
    struct fix *f = *state;
    struct ledger *a = open_ok(f);
    unsigned char id[LEDGER_ID_LEN];
    const char *files[] = {f->path, f->key};

    id_of(a, INN_A, id);
    assert_int_equal(claim(a, id, T0), 0);
    release(a, id, T0 + 100);
    ledger_close(a);

    for (size_t i = 0; i < 2; i++) {
        size_t n = 0;
        unsigned char *buf = slurp(files[i], &n);

        assert_null(memmem(buf, n, INN_A, strlen(INN_A)));
        assert_null(memmem(buf, n, "0000000034", 10));
        if (i == 0)
            assert_non_null(memmem(buf, n, id, LEDGER_ID_LEN));
        else
            assert_int_equal(n, LEDGER_KEY_LEN);
        free(buf);
    }
}

static void test_new_files_are_private(void **state)
{
    struct fix *f = *state;
    struct ledger *a = open_ok(f);
    struct stat st;

    assert_int_equal(stat(f->path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(stat(f->key, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    ledger_close(a);
}

/* An operator's group-writable ledger gets a key the group can read,
 * whatever the umask. */
static void test_shared_ledger_key_follows_its_mode(void **state)
{
    struct fix *f = *state;
    mode_t old = umask(077);
    int fd = open(f->path, O_CREAT | O_WRONLY, 0600);
    struct ledger *a;
    struct stat st;

    assert_true(fd >= 0);
    assert_int_equal(fchmod(fd, 0660), 0);
    close(fd);

    a = open_ok(f);
    umask(old);
    assert_int_equal(stat(f->key, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0660);
    assert_int_equal(stat(f->path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0660);
    ledger_close(a);
}

static void write_file(const char *path, const char *text, size_t n)
{
    FILE *fp = fopen(path, "wb");

    assert_non_null(fp);
    assert_int_equal(fwrite(text, 1, n, fp), n);
    assert_int_equal(fclose(fp), 0);
}

static void test_damaged_file_is_rebuilt(void **state)
{
    struct fix *f = *state;
    char err[256] = "";
    struct ledger *a, *b;
    unsigned char id[LEDGER_ID_LEN];
    struct stat st;

    write_file(f->path, "garbage", 7);
    a = ledger_open(f->path, &f->o, err, sizeof(err));
    assert_non_null(a);
    assert_non_null(strstr(err, "rebuilt"));
    assert_int_equal(stat(f->path, &st), 0);
    assert_true(st.st_size > (off_t)LEDGER_RECORDS * 64);

    /* Damaged while open: the next call rebuilds, says so, and works. */
    b = open_ok(f);
    id_of(a, INN_A, id);
    assert_int_equal(claim(a, id, T0), 0);
    assert_int_equal(truncate(f->path, 100), 0);
    err[0] = '\0';
    assert_int_equal(ledger_claim(b, id, T0 + 1000, err, sizeof(err)), 0);
    assert_non_null(strstr(err, "rebuilt"));
    assert_int_equal(claim(a, id, T0 + 2000), 29000);

    ledger_close(a);
    ledger_close(b);
}

static void test_damaged_key_is_refused(void **state)
{
    struct fix *f = *state;
    char err[256] = "";

    write_file(f->key, "short", 5);
    chmod(f->key, 0600);
    assert_null(ledger_open(f->path, &f->o, err, sizeof(err)));
    assert_non_null(strstr(err, "key"));

    unlink(f->key);
    write_file(f->key, "0123456789abcdef0123456789abcdef", LEDGER_KEY_LEN);
    chmod(f->key, 0644);
    err[0] = '\0';
    assert_null(ledger_open(f->path, &f->o, err, sizeof(err)));
    assert_non_null(strstr(err, "anyone"));
}

/* A child that holds the whole-file lock for hold_ms, then exits. */
static pid_t hold_lock(const char *path, int hold_ms)
{
    int ready[2];
    char c = 0;
    pid_t pid;

    assert_int_equal(pipe(ready), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
        struct timespec ts = {hold_ms / 1000, (hold_ms % 1000) * 1000000L};
        int fd = open(path, O_RDWR);

        if (fd < 0 || fcntl(fd, F_OFD_SETLKW, &fl) != 0)
            _exit(1);
        if (write(ready[1], "x", 1) != 1)
            _exit(1);
        nanosleep(&ts, NULL);
        raise(SIGKILL); /* a holder that vanishes, leaving what it had */
    }
    close(ready[1]);
    assert_int_equal(read(ready[0], &c, 1), 1);
    close(ready[0]);
    return pid;
}

static int64_t mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void test_lock_is_waited_for(void **state)
{
    struct fix *f = *state;
    struct ledger *a;
    unsigned char id[LEDGER_ID_LEN];
    pid_t pid;
    int64_t start;

    ledger_close(open_ok(f));
    pid = hold_lock(f->path, 300);
    start = mono_ms();
    a = open_ok(f);

    id_of(a, INN_A, id);
    assert_int_equal(claim(a, id, T0), 0);
    assert_true(mono_ms() - start >= 250);
    assert_int_equal(waitpid(pid, NULL, 0), pid);
    ledger_close(a);
}

/* A lock held past lock_ms is a short wait, never a "go", and costs the
 * caller no more than lock_ms; a release cannot wait and fails. */
static void test_lock_held_too_long_is_a_wait(void **state)
{
    struct fix *f = *state;
    struct ledger *a;
    unsigned char id[LEDGER_ID_LEN];
    char err[256] = "";
    pid_t pid;
    int64_t start;

    f->o.lock_ms = 100;
    a = open_ok(f);
    id_of(a, INN_A, id);
    pid = hold_lock(f->path, 1500);

    start = mono_ms();
    assert_int_equal(ledger_claim(a, id, T0, err, sizeof(err)), 1000);
    assert_true(mono_ms() - start < 600);
    assert_string_equal(err, "");
    assert_int_equal(ledger_release(a, id, T0, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "locked"));

    assert_int_equal(waitpid(pid, NULL, 0), pid);
    assert_int_equal(claim(a, id, T0), 0);
    ledger_close(a);
}

/* More INNs than records: the file keeps its size, the newest is kept. */
static void test_size_is_bounded(void **state)
{
    struct fix *f = *state;
    struct ledger *a = open_ok(f);
    unsigned char id[LEDGER_ID_LEN];
    struct stat before, after;

    assert_int_equal(stat(f->path, &before), 0);
    memset(id, 0x5a, sizeof(id));
    for (int n = 0; n <= LEDGER_RECORDS; n++) {
        memcpy(id, &n, sizeof(n));
        assert_int_equal(claim(a, id, T0 + n), 0);
    }
    assert_int_equal(stat(f->path, &after), 0);
    assert_int_equal(after.st_size, before.st_size);
    assert_int_equal(claim(a, id, T0 + LEDGER_RECORDS + 1), GAP - 1);
    ledger_close(a);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, fix_setup, fix_teardown)
    const struct CMUnitTest tests[] = {
        T(test_same_inn_same_id_in_every_handle),
        T(test_gap_holds_across_handles),
        T(test_gap_holds_across_processes),
        T(test_claim_out_blocks_past_the_gap),
        T(test_late_release_keeps_new_claim),
        T(test_dead_process_claim_expires),
        T(test_clock_set_back_waits_one_gap_at_most),
        T(test_file_holds_no_inn),
        T(test_new_files_are_private),
        T(test_shared_ledger_key_follows_its_mode),
        T(test_damaged_file_is_rebuilt),
        T(test_damaged_key_is_refused),
        T(test_lock_is_waited_for),
        T(test_lock_held_too_long_is_a_wait),
        T(test_size_is_bounded),
    };
#undef T

    return cmocka_run_group_tests(tests, NULL, NULL);
}
