/*
 * The personal data check against the sandbox: the real engine for an
 * already linked customer whose data matches, signed raw calls for the
 * data that differs and for the tax service failing.
 */
#include "harness.h"

#define QUICK_MS 10000
#define INN_LINKED "500000000276"
#define INN_TAX_ERROR "500000000660"
#define INN_OTHER "010000000102"
#define PATH_PERSON "/api/v1/npd/taxpayer/check_personal_info"

static int group_setup(void **state)
{
    *state = harness_new();
    return 0;
}

static int group_teardown(void **state)
{
    harness_free(*state);
    return 0;
}

static int start_sandbox(void **state)
{
    harness_start(*state);
    return 0;
}

static int stop_sandbox(void **state)
{
    struct harness *h = *state;

    launch_stop(&h->sandbox);
    return 0;
}

/* Steps the engine until the flow reaches want or QUICK_MS passes. */
static void step_until(struct harness_run *run, enum flow_state want)
{
    int64_t deadline = clock_mono_ms() + QUICK_MS;
    const struct flow_view *v = flow_view(engine_flow(run->e));

    while (v->state != want && clock_mono_ms() < deadline) {
        engine_wait(run->e, NULL, 0, 10);
        harness_step(run, clock_mono_ms());
    }
    if (v->state != want)
        harness_stuck(run, QUICK_MS);
}

static void check_person(struct harness_run *run, const struct flow_person *p)
{
    struct flow *f = engine_flow(run->e);

    assert_int_equal(flow_personal_info(f, p, clock_mono_ms()), 0);
    harness_step(run, clock_mono_ms());
    step_until(run, FLOW_PERSON_RESULT);
}

static void test_engine_match(void **state)
{
    struct harness *h = *state;
    struct harness_run run = {.inn = INN_LINKED, .want = FLOW_ALREADY_LINKED};
    const struct flow_person p = {" иВАНОВ ", "Иван", "ИВАНОВИЧ",
                                  "+7 (999) 000-00-00"};
    const struct flow_view *v;

    harness_drive(h, &run, 1, QUICK_MS);
    v = flow_view(engine_flow(run.e));
    assert_int_equal(v->state, FLOW_ALREADY_LINKED);

    check_person(&run, &p);
    assert_int_equal(v->fault, API_FAULT_NONE);
    for (int i = 0; i < FLOW_FIELD_COUNT; i++)
        assert_int_equal(v->person[i], FLOW_MATCH_YES);
    assert_int_equal(engine_sent(run.e, API_PERSONAL_INFO), 1);
    /* The data check is no npd/check: the bank's gap is untouched. */
    assert_int_equal(harness_stat(h, "check"), 1);
    assert_int_equal(harness_stat(h, "personal_info"), 1);
    harness_run_close(&run);
}

static void test_engine_mismatch(void **state)
{
    struct harness *h = *state;
    struct harness_run run = {.inn = INN_LINKED, .want = FLOW_ALREADY_LINKED};
    const struct flow_person p = {"Иванов", "Пётр", "", "+79990000000"};
    const struct flow_view *v;

    harness_drive(h, &run, 1, QUICK_MS);
    v = flow_view(engine_flow(run.e));
    check_person(&run, &p);
    assert_int_equal(v->person[FLOW_FIELD_INN], FLOW_MATCH_YES);
    assert_int_equal(v->person[FLOW_FIELD_LAST], FLOW_MATCH_YES);
    assert_int_equal(v->person[FLOW_FIELD_FIRST], FLOW_MATCH_NO);
    assert_int_equal(v->person[FLOW_FIELD_MIDDLE], FLOW_MATCH_UNKNOWN);
    assert_int_equal(v->person[FLOW_FIELD_PHONE], FLOW_MATCH_YES);
    harness_run_close(&run);
}

/* The sandbox's reply itself: only the members sent are compared. */
static void test_raw_reply(void **state)
{
    struct harness *h = *state;
    struct harness_reply r;
    json_t *root, *m;

    harness_call(h, PATH_PERSON,
                 "{\"tax_reference\":\"" INN_LINKED "\",\"last_name\":"
                 "\"Сидоров\",\"phone\":\"+79990000000\"}",
                 NULL, &r);
    assert_int_equal(r.status, 200);
    root = json_loadb(r.body, r.len, 0, NULL);
    m = json_object_get(root, "matches");
    assert_true(json_is_object(m));
    assert_true(json_is_false(json_object_get(m, "last_name")));
    assert_true(json_is_true(json_object_get(m, "phone")));
    assert_true(json_is_true(json_object_get(m, "tax_reference")));
    assert_null(json_object_get(m, "first_name"));
    json_decref(root);
}

static void test_raw_errors(void **state)
{
    struct harness *h = *state;
    struct harness_reply r;
    char code[64];

    harness_call(h, PATH_PERSON, "{\"tax_reference\":\"" INN_TAX_ERROR "\"}",
                 NULL, &r);
    assert_int_equal(r.status, 502);
    harness_json_str(&r, "error.code", code, sizeof code);
    assert_string_equal(code, "npd_service_internal_error");

    harness_call(h, PATH_PERSON, "{\"tax_reference\":\"" INN_OTHER "\"}", NULL,
                 &r);
    assert_int_equal(r.status, 400);
    assert_non_null(strstr(r.body, "taxpayer_unknown"));

    harness_call(h, PATH_PERSON, "{\"phone\":\"+79990000000\"}", NULL, &r);
    assert_int_equal(r.status, 400);
}

#define SANDBOX_TEST(f)                                                        \
    cmocka_unit_test_setup_teardown(f, start_sandbox, stop_sandbox)

int main(void)
{
    const struct CMUnitTest tests[] = {
        SANDBOX_TEST(test_engine_match),
        SANDBOX_TEST(test_engine_mismatch),
        SANDBOX_TEST(test_raw_reply),
        SANDBOX_TEST(test_raw_errors),
    };
    int failed;

    curl_global_init(CURL_GLOBAL_DEFAULT);
    failed = cmocka_run_group_tests(tests, group_setup, group_teardown);
    curl_global_cleanup();
    return failed;
}
