/*
 * Unit tests for core/qr.c: matrix size, quiet zone and the fixed patterns
 * every QR symbol carries, checked at their places in the matrix.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "qr.h"

#define MYTAX_URL "https://lknpd.nalog.ru/settings/partners/"

/* 41 bytes at level M need version 3 (version 2 holds 26), so the symbol
 * is 17 + 4 * 3 = 29 modules wide. */
#define MYTAX_WIDTH 29

static void test_size_and_version(void **state)
{
    struct qr q;

    (void)state;
    assert_int_equal(qr_make(MYTAX_URL, &q), 0);
    assert_int_equal(q.size, MYTAX_WIDTH + 2 * QR_QUIET);
    assert_int_equal(q.size, 37);
    qr_free(&q);
}

static void test_quiet_zone_light(void **state)
{
    struct qr q;

    (void)state;
    assert_int_equal(qr_make(MYTAX_URL, &q), 0);
    for (int i = 0; i < q.size; i++) {
        for (int d = 0; d < QR_QUIET; d++) {
            assert_int_equal(qr_dark(&q, i, d), 0);
            assert_int_equal(qr_dark(&q, i, q.size - 1 - d), 0);
            assert_int_equal(qr_dark(&q, d, i), 0);
            assert_int_equal(qr_dark(&q, q.size - 1 - d, i), 0);
        }
    }
    qr_free(&q);
}

/* A finder pattern whose top-left module sits at (x0, y0): a dark 7x7
 * ring, a light ring, a dark 3x3 centre, and a light separator beside. */
static void check_finder(const struct qr *q, int x0, int y0)
{
    for (int y = 0; y < 7; y++) {
        for (int x = 0; x < 7; x++) {
            int ring = x == 0 || y == 0 || x == 6 || y == 6;
            int centre = x >= 2 && x <= 4 && y >= 2 && y <= 4;
            assert_int_equal(qr_dark(q, x0 + x, y0 + y), ring || centre);
        }
    }
}

static void test_finder_patterns(void **state)
{
    struct qr q;
    int far;

    (void)state;
    assert_int_equal(qr_make(MYTAX_URL, &q), 0);
    far = q.size - QR_QUIET - 7;

    assert_int_equal(qr_dark(&q, 4, 4), 1);
    assert_int_equal(qr_dark(&q, q.size - 5, 4), 1);
    assert_int_equal(qr_dark(&q, 4, q.size - 5), 1);
    check_finder(&q, QR_QUIET, QR_QUIET);
    check_finder(&q, far, QR_QUIET);
    check_finder(&q, QR_QUIET, far);

    /* The separator next to the top-left finder is light. */
    for (int i = 0; i < 8; i++) {
        assert_int_equal(qr_dark(&q, QR_QUIET + 7, QR_QUIET + i), 0);
        assert_int_equal(qr_dark(&q, QR_QUIET + i, QR_QUIET + 7), 0);
    }
    qr_free(&q);
}

/* Timing patterns alternate between the finders, and the module at
 * (8, width - 8) is always dark: a transposed matrix would fail here. */
static void test_timing_and_dark_module(void **state)
{
    struct qr q;

    (void)state;
    assert_int_equal(qr_make(MYTAX_URL, &q), 0);
    for (int i = 8; i < MYTAX_WIDTH - 8; i++) {
        assert_int_equal(qr_dark(&q, QR_QUIET + i, QR_QUIET + 6), i % 2 == 0);
        assert_int_equal(qr_dark(&q, QR_QUIET + 6, QR_QUIET + i), i % 2 == 0);
    }
    assert_int_equal(qr_dark(&q, QR_QUIET + 8, QR_QUIET + MYTAX_WIDTH - 8), 1);
    qr_free(&q);
}

static void test_only_zero_or_one(void **state)
{
    struct qr q;
    int dark = 0;

    (void)state;
    assert_int_equal(qr_make(MYTAX_URL, &q), 0);
    for (int i = 0; i < q.size * q.size; i++) {
        assert_true(q.dark[i] == 0 || q.dark[i] == 1);
        dark += q.dark[i];
    }
    /* Masking keeps a symbol near half dark. */
    assert_in_range(dark, MYTAX_WIDTH * MYTAX_WIDTH * 3 / 10,
                    MYTAX_WIDTH * MYTAX_WIDTH * 7 / 10);
    qr_free(&q);
}

static void test_outside_is_light(void **state)
{
    struct qr q;

    (void)state;
    assert_int_equal(qr_make(MYTAX_URL, &q), 0);
    assert_int_equal(qr_dark(&q, -1, 4), 0);
    assert_int_equal(qr_dark(&q, 4, -1), 0);
    assert_int_equal(qr_dark(&q, q.size, 4), 0);
    assert_int_equal(qr_dark(&q, 4, q.size), 0);
    assert_int_equal(qr_dark(&q, 1 << 30, 1 << 30), 0);
    assert_int_equal(qr_dark(NULL, 4, 4), 0);
    qr_free(&q);
    assert_int_equal(qr_dark(&q, 4, 4), 0);
}

static void test_short_text_is_version_one(void **state)
{
    struct qr q;

    (void)state;
    assert_int_equal(qr_make("npdlink", &q), 0);
    assert_int_equal(q.size, 21 + 2 * QR_QUIET);
    qr_free(&q);
}

static void test_unencodable(void **state)
{
    struct qr q;
    static char huge[4000];

    (void)state;
    assert_int_equal(qr_make("", &q), -1);
    assert_null(q.dark);
    assert_int_equal(qr_make(NULL, &q), -1);

    /* Level M tops out at 2331 bytes. */
    memset(huge, 'x', sizeof(huge) - 1);
    assert_int_equal(qr_make(huge, &q), -1);
    assert_null(q.dark);
    qr_free(&q);
}

static void test_free_twice(void **state)
{
    struct qr q;

    (void)state;
    assert_int_equal(qr_make(MYTAX_URL, &q), 0);
    qr_free(&q);
    assert_null(q.dark);
    assert_int_equal(q.size, 0);
    qr_free(&q);
    qr_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_size_and_version),
        cmocka_unit_test(test_quiet_zone_light),
        cmocka_unit_test(test_finder_patterns),
        cmocka_unit_test(test_timing_and_dark_module),
        cmocka_unit_test(test_only_zero_or_one),
        cmocka_unit_test(test_outside_is_light),
        cmocka_unit_test(test_short_text_is_version_one),
        cmocka_unit_test(test_unencodable),
        cmocka_unit_test(test_free_twice),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
