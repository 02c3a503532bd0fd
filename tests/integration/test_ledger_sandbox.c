/*
 * The shared check ledger against the sandbox: two engines, each with its
 * own handle on one ledger file as two npdlink processes would have,
 * check the same INN at the same moment; the bank must see one npd/check.
 */
/* harness.h serves several test files; this one needs only part of it. */
#pragma GCC diagnostic ignored "-Wunused-function"
#include "harness.h"

#include <sys/stat.h>

#define INN_NOT_SE "500000000100"
#define QUICK_MS 10000
#define WATCH_MS 1500

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

static void ledger_paths(const struct harness *h, char *path, char *key)
{
    harness_path(path, h->dir, "checks");
    harness_path(key, h->dir, "checks.key");
}

/* harness_run_open with a ledger file set before the engine starts. */
static void open_with_ledger(const struct harness *h, struct harness_run *run,
                             const char *ledger)
{
    char err[512] = "";

    config_defaults(&run->cfg);
    snprintf(run->cfg.base_url, sizeof run->cfg.base_url, "http://127.0.0.1:%d",
             h->sandbox.port);
    snprintf(run->cfg.project_id, sizeof run->cfg.project_id, "sandbox");
    snprintf(run->cfg.key_file, sizeof run->cfg.key_file, "%s", h->priv);
    snprintf(run->cfg.ledger_file, sizeof run->cfg.ledger_file, "%s", ledger);
    run->cfg.sandbox = 1;

    run->e = engine_new(&run->cfg, err, sizeof err);
    if (run->e == NULL)
        fail_msg("engine_new: %s", err);
}

/* Steps a run until its flow reaches a final state. */
static void finish(struct harness_run *run, int64_t limit_ms)
{
    int64_t deadline = clock_mono_ms() + limit_ms;

    while (clock_mono_ms() < deadline) {
        engine_wait(run->e, NULL, 0, 10);
        harness_step(run, clock_mono_ms());
        if (harness_final(flow_view(engine_flow(run->e))->state))
            return;
    }
    harness_stuck(run, limit_ms);
}

static void assert_file_lacks(const char *path, const char *text)
{
    char buf[1 << 19];
    FILE *fp = fopen(path, "rb");
    size_t n;

    assert_non_null(fp);
    n = fread(buf, 1, sizeof buf, fp);
    fclose(fp);
    assert_true(n > 0);
    assert_null(memmem(buf, n, text, strlen(text)));
}

static void test_two_engines_one_check(void **state)
{
    struct harness *h = *state;
    struct harness_run a = {.inn = INN_NOT_SE}, b = {.inn = INN_NOT_SE};
    const struct flow_view *vb;
    char ledger[HARNESS_PATH], key[HARNESS_PATH];
    int64_t now, left;

    ledger_paths(h, ledger, key);
    open_with_ledger(h, &a, ledger);
    open_with_ledger(h, &b, ledger);
    vb = flow_view(engine_flow(b.e));

    now = clock_mono_ms();
    assert_int_equal(flow_submit_inn(engine_flow(a.e), INN_NOT_SE, now),
                     INN_OK);
    assert_int_equal(flow_submit_inn(engine_flow(b.e), INN_NOT_SE, now),
                     INN_OK);
    harness_step(&a, now);
    harness_step(&b, now);

    /* b waits, and says for how long, as the checking screen shows it. */
    assert_int_equal(vb->state, FLOW_CHECKING);
    assert_int_equal(vb->busy, 0);
    left = vb->next_check_ms - now;
    assert_in_range(left, 25000, 30000);

    finish(&a, QUICK_MS);
    assert_int_equal(flow_view(engine_flow(a.e))->state,
                     FLOW_NOT_SELF_EMPLOYED);
    for (int64_t end = clock_mono_ms() + WATCH_MS; clock_mono_ms() < end;) {
        engine_wait(b.e, NULL, 0, 50);
        harness_step(&b, clock_mono_ms());
    }

    assert_int_equal(harness_stat(h, "check"), 1);
    assert_int_equal(harness_stat(h, "rate_limited"), 0);
    assert_int_equal(engine_sent(b.e, API_CHECK), 0);
    assert_int_equal(vb->state, FLOW_CHECKING);
    assert_true(vb->next_check_ms > clock_mono_ms());

    harness_run_close(&a);
    harness_run_close(&b);
    assert_file_lacks(ledger, INN_NOT_SE);
    assert_file_lacks(key, INN_NOT_SE);
    unlink(ledger);
    unlink(key);
}

/* Without the ledger the same two engines both send, and the bank turns
 * the second away: what the ledger is for. */
static void test_without_ledger_bank_refuses(void **state)
{
    struct harness *h = *state;
    struct harness_run runs[2] = {
        {.inn = INN_NOT_SE, .want = FLOW_NOT_SELF_EMPLOYED},
        {.inn = INN_NOT_SE, .want = FLOW_NOT_SELF_EMPLOYED},
    };

    harness_drive(h, runs, 2, QUICK_MS);
    assert_int_equal(harness_stat(h, "check"), 2);
    assert_int_equal(harness_stat(h, "rate_limited"), 1);
    harness_run_close(&runs[0]);
    harness_run_close(&runs[1]);
}

int main(void)
{
#define S(f) cmocka_unit_test_setup_teardown(f, start_sandbox, stop_sandbox)
    const struct CMUnitTest tests[] = {
        S(test_two_engines_one_check),
        S(test_without_ledger_bank_refuses),
    };
#undef S

    int failed;

    curl_global_init(CURL_GLOBAL_DEFAULT);
    failed = cmocka_run_group_tests(tests, group_setup, group_teardown);
    curl_global_cleanup();
    return failed;
}
