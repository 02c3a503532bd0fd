/*
 * Unit tests for core/inn.c: check digits, verdict texts, masking, wiping.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "inn.h"

/* Valid personal INNs, each checked by hand against both check digits. */
static const char *const valid_inns[] = {
    "010000000102", "500000000340", "500000000100", "500000000276",
    "500000000413", "500000000597", "500000000660", "500000000734",
};

#define NVALID (sizeof(valid_inns) / sizeof(valid_inns[0]))

static void test_valid_inns(void **state)
{
    (void)state;
    for (size_t i = 0; i < NVALID; i++)
        assert_int_equal(inn_check(valid_inns[i]), INN_OK);
}

static void test_leading_zero_kept(void **state)
{
    (void)state;
    assert_int_equal(inn_check("010000000102"), INN_OK);
    assert_int_equal(inn_check("10000000102"), INN_TOO_SHORT);
}

static void test_company_inn(void **state)
{
    (void)state;
    assert_int_equal(inn_check("7707083893"), INN_COMPANY);
}

static void test_ten_digits_failing_company_check_is_short(void **state)
{
    (void)state;
    assert_int_equal(inn_check("7707083894"), INN_TOO_SHORT);
}

static void test_documentation_placeholder_fails(void **state)
{
    (void)state;
    assert_int_equal(inn_check("500000000000"), INN_BAD_CHECK11);
}

static void test_bad_twelfth_digit(void **state)
{
    (void)state;
    assert_int_equal(inn_check("500000000341"), INN_BAD_CHECK12);
    assert_int_equal(inn_check("010000000103"), INN_BAD_CHECK12);
}

static void test_bad_eleventh_digit(void **state)
{
    (void)state;
    assert_int_equal(inn_check("500000000350"), INN_BAD_CHECK11);
}

/* One mistyped digit anywhere must never pass. A change in digit 12 can
 * only break the second check; one in digit 11 always breaks the first. */
static void check_every_change(const char *inn)
{
    char buf[INN_LEN + 1];

    for (int pos = 0; pos < INN_LEN; pos++) {
        for (char c = '0'; c <= '9'; c++) {
            if (c == inn[pos])
                continue;
            memcpy(buf, inn, sizeof(buf));
            buf[pos] = c;
            enum inn_verdict v = inn_check(buf);
            assert_int_not_equal(v, INN_OK);
            if (pos == 11)
                assert_int_equal(v, INN_BAD_CHECK12);
            else if (pos == 10)
                assert_int_equal(v, INN_BAD_CHECK11);
            else
                assert_true(v == INN_BAD_CHECK11 || v == INN_BAD_CHECK12);
        }
    }
}

static void test_every_single_digit_change_caught(void **state)
{
    (void)state;
    for (size_t i = 0; i < NVALID; i++)
        check_every_change(valid_inns[i]);
}

static void test_empty(void **state)
{
    (void)state;
    assert_int_equal(inn_check(""), INN_EMPTY);
    assert_int_equal(inn_check(NULL), INN_EMPTY);
}

static void test_not_digits(void **state)
{
    (void)state;
    assert_int_equal(inn_check("50000000034O"), INN_NOT_DIGITS);
    assert_int_equal(inn_check("abc"), INN_NOT_DIGITS);
    assert_int_equal(inn_check(" 500000000340"), INN_NOT_DIGITS);
    assert_int_equal(inn_check("500000000340 "), INN_NOT_DIGITS);
    assert_int_equal(inn_check("5000-0000-0340"), INN_NOT_DIGITS);
    assert_int_equal(inn_check("01********02"), INN_NOT_DIGITS);
}

static void test_lengths(void **state)
{
    (void)state;
    assert_int_equal(inn_check("5"), INN_TOO_SHORT);
    assert_int_equal(inn_check("50000000034"), INN_TOO_SHORT);
    assert_int_equal(inn_check("5000000003400"), INN_TOO_LONG);
    assert_int_equal(inn_check("50000000034000000"), INN_TOO_LONG);
}

static void test_verdict_texts(void **state)
{
    (void)state;
    assert_non_null(strstr(inn_verdict_text(INN_BAD_CHECK11), "11th"));
    assert_non_null(strstr(inn_verdict_text(INN_BAD_CHECK11), "1-11"));
    assert_non_null(strstr(inn_verdict_text(INN_BAD_CHECK12), "12th"));
    assert_non_null(strstr(inn_verdict_text(INN_COMPANY), "company"));
    assert_non_null(strstr(inn_verdict_text(INN_TOO_SHORT), "12"));
    assert_non_null(strstr(inn_verdict_text(INN_TOO_LONG), "12"));

    for (int v = INN_OK; v <= INN_BAD_CHECK12; v++)
        for (int w = v + 1; w <= INN_BAD_CHECK12; w++)
            assert_string_not_equal(inn_verdict_text((enum inn_verdict)v),
                                    inn_verdict_text((enum inn_verdict)w));
    assert_non_null(inn_verdict_text((enum inn_verdict)99));
}

static void test_mask(void **state)
{
    char out[INN_LEN + 1];

    (void)state;
    inn_mask("010000000102", out);
    assert_string_equal(out, "01********02");

    inn_mask("500000000340", out);
    assert_string_equal(out, "50********40");
}

static void test_mask_odd_input(void **state)
{
    char out[INN_LEN + 1];

    (void)state;
    inn_mask("12345", out);
    assert_string_equal(out, "*****");

    inn_mask("", out);
    assert_string_equal(out, "");

    inn_mask(NULL, out);
    assert_string_equal(out, "");

    inn_mask("5000000003400000", out);
    assert_string_equal(out, "************");
}

/* Runs of 10 to 12 digits are masked wherever they stand; shorter and
 * longer ones, and the text around them, are left as they are. */
static void test_mask_runs(void **state)
{
    char s[] = "req-500000000340, 7707083893x, +79990000000, "
               "40702810000000000001, 123456789, 010000000102";
    char empty[] = "";

    (void)state;
    inn_mask_runs(s);
    assert_string_equal(s, "req-50********40, 77******93x, +79*******00, "
                           "40702810000000000001, 123456789, 01********02");
    inn_mask_runs(empty);
    assert_string_equal(empty, "");
}

static void test_wipe(void **state)
{
    char buf[INN_LEN + 1] = "500000000340";
    static const char zero[INN_LEN + 1];

    (void)state;
    inn_wipe(buf, sizeof(buf));
    assert_memory_equal(buf, zero, sizeof(buf));
    inn_wipe(NULL, 5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_inns),
        cmocka_unit_test(test_leading_zero_kept),
        cmocka_unit_test(test_company_inn),
        cmocka_unit_test(test_ten_digits_failing_company_check_is_short),
        cmocka_unit_test(test_documentation_placeholder_fails),
        cmocka_unit_test(test_bad_twelfth_digit),
        cmocka_unit_test(test_bad_eleventh_digit),
        cmocka_unit_test(test_every_single_digit_change_caught),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_not_digits),
        cmocka_unit_test(test_lengths),
        cmocka_unit_test(test_verdict_texts),
        cmocka_unit_test(test_mask),
        cmocka_unit_test(test_mask_odd_input),
        cmocka_unit_test(test_mask_runs),
        cmocka_unit_test(test_wipe),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
