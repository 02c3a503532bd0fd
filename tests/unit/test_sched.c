/*
 * Unit tests for sched: the per-INN gap, many INNs, slot reuse, backoff.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sched.h"

#define GAP 30000

/* A distinct id per number, as a keyed hash would give. */
static void make_id(unsigned char id[SCHED_ID_LEN], int n)
{
    memset(id, 0xa5, SCHED_ID_LEN);
    id[0] = (unsigned char)(n & 0xff);
    id[1] = (unsigned char)((n >> 8) & 0xff);
}

static void test_unknown_id_may_go(void **state)
{
    struct sched s;
    unsigned char id[SCHED_ID_LEN];
    (void)state;

    sched_init(&s, GAP);
    make_id(id, 1);

    assert_int_equal(sched_wait_ms(&s, id, 0), 0);
    assert_int_equal(sched_wait_ms(&s, id, 123456), 0);
}

static void test_gap_counts_down(void **state)
{
    struct sched s;
    unsigned char id[SCHED_ID_LEN];
    (void)state;

    sched_init(&s, GAP);
    make_id(id, 1);
    sched_note(&s, id, 1000);

    assert_int_equal(sched_wait_ms(&s, id, 1000), 30000);
    assert_int_equal(sched_wait_ms(&s, id, 11000), 20000);
    assert_int_equal(sched_wait_ms(&s, id, 30999), 1);
    assert_int_equal(sched_wait_ms(&s, id, 31000), 0);
    assert_int_equal(sched_wait_ms(&s, id, 90000), 0);
}

static void test_note_again_restarts_gap(void **state)
{
    struct sched s;
    unsigned char id[SCHED_ID_LEN];
    (void)state;

    sched_init(&s, GAP);
    make_id(id, 7);
    sched_note(&s, id, 0);
    sched_note(&s, id, 40000);

    assert_int_equal(sched_wait_ms(&s, id, 50000), 20000);
}

static void test_many_inns_are_independent(void **state)
{
    struct sched s;
    unsigned char id[SCHED_ID_LEN];
    (void)state;

    sched_init(&s, GAP);
    for (int n = 0; n < SCHED_SLOTS; n++) {
        make_id(id, n);
        sched_note(&s, id, n * 100);
    }

    for (int n = 0; n < SCHED_SLOTS; n++) {
        make_id(id, n);
        assert_int_equal(sched_wait_ms(&s, id, 10000), 20000 + n * 100);
    }

    make_id(id, SCHED_SLOTS + 5);
    assert_int_equal(sched_wait_ms(&s, id, 10000), 0);
}

/* With every slot taken, a new INN replaces the oldest expired entry and
 * nobody else loses their gap. */
static void test_full_table_reuses_oldest_expired(void **state)
{
    struct sched s;
    unsigned char id[SCHED_ID_LEN];
    (void)state;

    sched_init(&s, GAP);
    for (int n = 0; n < SCHED_SLOTS; n++) {
        make_id(id, n);
        sched_note(&s, id, n);
    }

    make_id(id, 1000);
    sched_note(&s, id, 30000);
    assert_int_equal(sched_wait_ms(&s, id, 30000), GAP);

    for (int n = 1; n < SCHED_SLOTS; n++) {
        make_id(id, n);
        assert_int_equal(sched_wait_ms(&s, id, 30000), n);
    }
}

/* Noting a known INN updates its slot instead of using another one. */
static void test_known_id_keeps_its_slot(void **state)
{
    struct sched s;
    unsigned char id[SCHED_ID_LEN];
    (void)state;

    sched_init(&s, GAP);
    for (int round = 0; round < 3; round++) {
        for (int n = 0; n < SCHED_SLOTS; n++) {
            make_id(id, n);
            sched_note(&s, id, round * 100000 + n);
        }
    }

    for (int n = 0; n < SCHED_SLOTS; n++) {
        make_id(id, n);
        assert_int_equal(sched_wait_ms(&s, id, 200000), GAP + n);
    }
}

/* Even inside the gap the INN being checked now is always recorded. */
static void test_full_table_inside_gap_records_newest(void **state)
{
    struct sched s;
    unsigned char id[SCHED_ID_LEN];
    (void)state;

    sched_init(&s, GAP);
    for (int n = 0; n < SCHED_SLOTS; n++) {
        make_id(id, n);
        sched_note(&s, id, 1000 + n);
    }

    make_id(id, 5000);
    sched_note(&s, id, 2000);
    assert_int_equal(sched_wait_ms(&s, id, 2000), GAP);

    make_id(id, 0);
    assert_int_equal(sched_wait_ms(&s, id, 2000), 0);
    make_id(id, 1);
    assert_int_equal(sched_wait_ms(&s, id, 2000), GAP - 999);
}

/* A desk that sends a check every 100 ms, far faster than the bank
 * answers, still has every INN of the last gap held. */
static void test_one_gap_of_checks_fits_the_table(void **state)
{
    static struct sched s;
    unsigned char id[SCHED_ID_LEN];
    int64_t now = (int64_t)(256 - 1) * 100;
    (void)state;

    sched_init(&s, GAP);
    for (int n = 0; n < 256; n++) {
        make_id(id, n);
        sched_note(&s, id, (int64_t)n * 100);
    }
    for (int n = 0; n < 256; n++) {
        make_id(id, n);
        assert_int_equal(sched_wait_ms(&s, id, now), GAP - (now - n * 100));
    }
}

static void test_backoff_doubles(void **state)
{
    (void)state;

    assert_int_equal(sched_backoff_ms(0, 30000, 300000, -1), 30000);
    assert_int_equal(sched_backoff_ms(1, 30000, 300000, -1), 60000);
    assert_int_equal(sched_backoff_ms(2, 30000, 300000, -1), 120000);
    assert_int_equal(sched_backoff_ms(3, 30000, 300000, -1), 240000);
}

static void test_backoff_caps(void **state)
{
    (void)state;

    assert_int_equal(sched_backoff_ms(4, 30000, 300000, -1), 300000);
    assert_int_equal(sched_backoff_ms(60, 30000, 300000, -1), 300000);
    assert_int_equal(sched_backoff_ms(1000, 30000, 300000, 0), 300000);
}

static void test_backoff_honours_retry_after(void **state)
{
    (void)state;

    assert_int_equal(sched_backoff_ms(0, 30000, 300000, 45), 45000);
    assert_int_equal(sched_backoff_ms(1, 30000, 300000, 45), 60000);
    assert_int_equal(sched_backoff_ms(9, 30000, 300000, 600), 600000);
    assert_int_equal(sched_backoff_ms(0, 30000, 300000, 0), 30000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unknown_id_may_go),
        cmocka_unit_test(test_gap_counts_down),
        cmocka_unit_test(test_note_again_restarts_gap),
        cmocka_unit_test(test_many_inns_are_independent),
        cmocka_unit_test(test_full_table_reuses_oldest_expired),
        cmocka_unit_test(test_known_id_keeps_its_slot),
        cmocka_unit_test(test_full_table_inside_gap_records_newest),
        cmocka_unit_test(test_one_gap_of_checks_fits_the_table),
        cmocka_unit_test(test_backoff_doubles),
        cmocka_unit_test(test_backoff_caps),
        cmocka_unit_test(test_backoff_honours_retry_after),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
