/*
 * Tests for persondata: the body of the personal data check under the
 * configured member names.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "persondata.h"

static const struct flow_person person = {"Ivanova", "Anna", "Petrovna",
                                          "+79001234567"};

static char *body_for(const char *name_fields, unsigned *sent)
{
    struct flow_config cfg;

    memset(&cfg, 0, sizeof(cfg));
    cfg.person_inn_field = "tax_reference";
    cfg.person_name_fields = name_fields;
    cfg.person_phone_field = "phone";
    return persondata_body(&cfg, "500100732259", &person, sent);
}

static void test_three_names(void **state)
{
    unsigned sent = 0;
    char *body = body_for("last_name, first_name, middle_name", &sent);

    (void)state;
    assert_non_null(body);
    assert_string_equal(body, "{\"tax_reference\":\"500100732259\","
                              "\"last_name\":\"Ivanova\","
                              "\"first_name\":\"Anna\","
                              "\"middle_name\":\"Petrovna\","
                              "\"phone\":\"+79001234567\"}");
    assert_int_equal(sent, (1u << FLOW_FIELD_COUNT) - 1);
    free(body);
}

static void test_one_name(void **state)
{
    unsigned sent = 0;
    char *body = body_for("full_name", &sent);

    (void)state;
    assert_non_null(body);
    assert_string_equal(body, "{\"tax_reference\":\"500100732259\","
                              "\"full_name\":\"Ivanova Anna Petrovna\","
                              "\"phone\":\"+79001234567\"}");
    assert_int_equal(sent, (1u << FLOW_FIELD_COUNT) - 1);
    free(body);
}

static void test_other_name_counts_refused(void **state)
{
    unsigned sent = 1;

    (void)state;
    assert_null(body_for("last_name,first_name", &sent));
    assert_int_equal(sent, 0);
    assert_null(body_for("a,b,c,d", &sent));
    assert_int_equal(sent, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_three_names),
        cmocka_unit_test(test_one_name),
        cmocka_unit_test(test_other_name_counts_refused),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
