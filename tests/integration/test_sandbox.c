/*
 * The client against the sandbox over real loopback HTTP: every scenario
 * of the sandbox's table, the partner checks, the 30 s rule, idempotent
 * link requests and the control endpoints. The scenarios that need the
 * background re-check (30 s) run side by side in one test.
 */
#include "harness.h"

#include <errno.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#define QUICK_MS 10000
#define LONG_MS 50000
#define RECHECK_MS 30000

#define INN_NOT_SE "500000000100"
#define INN_LINKED "500000000276"
#define INN_CONFIRMS "500000000340"
#define INN_DECLINES "500000000413"
#define INN_SLOW "500000000597"
#define INN_TAX_ERROR "500000000660"
#define INN_MANUAL "500000000734"
#define INN_OTHER "010000000102" /* valid, in no scenario */

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
    assert_int_equal(h->sandbox.pid, -1);
    return 0;
}

/* Drives one flow to a final state and returns its view's copy. */
static struct flow_view run_one(struct harness *h, struct harness_run *run)
{
    struct flow_view v;

    harness_drive(h, run, 1, QUICK_MS);
    v = *flow_view(engine_flow(run->e));
    return v;
}

static void test_not_self_employed_nested(void **state)
{
    struct harness *h = *state;
    struct harness_run run = {.inn = INN_NOT_SE,
                              .want = FLOW_NOT_SELF_EMPLOYED};
    struct flow_view v = run_one(h, &run);

    assert_int_equal(v.state, FLOW_NOT_SELF_EMPLOYED);
    assert_int_equal(v.last_verdict, API_VERDICT_NOT_SELF_EMPLOYED);
    assert_int_equal(v.fault, API_FAULT_NONE);
    assert_string_equal(v.inn_masked, "50********00");
    assert_int_equal(engine_sent(run.e, API_TOKEN), 0);
    harness_run_close(&run);
}

static void test_not_self_employed_code(void **state)
{
    struct harness *h = *state;
    struct harness_run run = {.inn = INN_OTHER, .want = FLOW_NOT_SELF_EMPLOYED};
    struct flow_view v = run_one(h, &run);

    assert_int_equal(v.state, FLOW_NOT_SELF_EMPLOYED);
    assert_int_equal(v.last_verdict, API_VERDICT_NOT_SELF_EMPLOYED);
    assert_int_equal(v.fault, API_FAULT_NONE);
    harness_run_close(&run);
}

static void test_already_linked(void **state)
{
    struct harness *h = *state;
    struct harness_run run = {.inn = INN_LINKED, .want = FLOW_ALREADY_LINKED};
    struct flow_view v = run_one(h, &run);

    assert_int_equal(v.state, FLOW_ALREADY_LINKED);
    assert_int_equal(v.last_verdict, API_VERDICT_LINKED);
    assert_int_equal(engine_sent(run.e, API_LINK), 0);
    harness_run_close(&run);
}

/* The tax service failing is an error screen, never a verdict. */
static void test_tax_service_error(void **state)
{
    struct harness *h = *state;
    struct harness_run run = {.inn = INN_TAX_ERROR, .want = FLOW_ERROR};
    struct flow_view v = run_one(h, &run);

    assert_int_equal(v.state, FLOW_ERROR);
    assert_int_equal(v.fault, API_FAULT_TAX_SERVICE);
    assert_int_equal(v.last_verdict, API_VERDICT_NONE);
    assert_int_equal(v.failed_call, API_STATUS);
    assert_string_equal(v.code, "npd_service_internal_error");
    harness_run_close(&run);
}

/* A key the bank does not know: refused as our setup's fault. */
static void test_bad_signature(void **state)
{
    struct harness *h = *state;
    struct harness_run run = {
        .inn = INN_CONFIRMS, .want = FLOW_ERROR, .key_file = h->other_priv};
    struct flow_view v = run_one(h, &run);

    assert_int_equal(v.state, FLOW_ERROR);
    assert_int_equal(v.fault, API_FAULT_CONFIG);
    assert_int_equal(v.http_status, 401);
    assert_string_equal(v.code, "authentication_error");
    assert_int_equal(v.last_verdict, API_VERDICT_NONE);
    assert_int_equal(harness_stat(h, "rejected_signature"), 1);
    assert_int_equal(harness_stat(h, "check"), 1);
    harness_run_close(&run);
}

static void test_wrong_project(void **state)
{
    struct harness *h = *state;
    struct harness_run run = {
        .inn = INN_CONFIRMS, .want = FLOW_ERROR, .project = "someone-else"};
    struct flow_view v = run_one(h, &run);

    assert_int_equal(v.state, FLOW_ERROR);
    assert_int_equal(v.fault, API_FAULT_CONFIG);
    assert_int_equal(v.http_status, 401);
    assert_string_equal(v.code, "identification_error");
    assert_int_equal(harness_stat(h, "rejected_signature"), 0);
    harness_run_close(&run);
}

/* A second npd/check for one INN inside 30 s is refused with 429 and the
 * seconds left; another INN is not held up by it. */
static void test_check_gap(void **state)
{
    struct harness *h = *state;
    const char *body = "{\"tax_reference\":\"" INN_CONFIRMS "\"}";
    struct harness_reply r;
    char code[64];

    harness_call(h, "/api/v1/npd/check", body, NULL, &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.retry_after_s, -1);

    harness_call(h, "/api/v1/npd/check", body, NULL, &r);
    assert_int_equal(r.status, 429);
    assert_in_range(r.retry_after_s, 29, 30);
    harness_json_str(&r, "error.code", code, sizeof code);
    assert_string_equal(code, "invalid_request");

    harness_call(h, "/api/v1/npd/check",
                 "{\"tax_reference\":\"" INN_OTHER "\"}", NULL, &r);
    assert_int_equal(r.status, 200);

    assert_int_equal(harness_stat(h, "check"), 3);
    assert_int_equal(harness_stat(h, "rate_limited"), 1);
}

/* What the client's own checks would never send still gets a clear
 * refusal: wrong check digits, a missing field, a path that is not
 * served. */
static void test_bad_requests(void **state)
{
    struct harness *h = *state;
    struct harness_reply r;
    char code[64];

    harness_call(h, "/api/v1/npd/check", "{\"tax_reference\":\"500000000101\"}",
                 NULL, &r);
    assert_int_equal(r.status, 400);
    harness_json_str(&r, "error.code", code, sizeof code);
    assert_string_equal(code, "invalid_request");

    harness_call(h, "/api/v1/npd/request/status", "{\"request_id\":\"nope\"}",
                 NULL, &r);
    assert_int_equal(r.status, 404);

    harness_call(h, "/api/v1/token", "{\"tax_reference\":\"" INN_CONFIRMS "\"}",
                 NULL, &r);
    assert_int_equal(r.status, 400);

    harness_call(h, "/api/v2/npd/check", "{}", NULL, &r);
    assert_int_equal(r.status, 404);
}

static void file_token(struct harness *h, const char *inn, char *token,
                       size_t n)
{
    struct harness_reply r;
    char body[128];

    snprintf(body, sizeof body,
             "{\"self_employed_widget\":{\"tax_reference\":\"%s\"}}", inn);
    harness_call(h, "/api/v1/token", body, NULL, &r);
    assert_int_equal(r.status, 200);
    harness_json_str(&r, "public_token", token, n);
}

static void link_body(char *out, size_t n, const char *token, const char *inn)
{
    snprintf(out, n,
             "{\"public_token\":\"%s\",\"tax_reference\":\"%s\","
             "\"permissions\":[\"INCOME_REGISTRATION\",\"INCOME_LIST\"]}",
             token, inn);
}

/* The same idempotency key twice files one request; the token itself is
 * good for one use only. */
static void test_link_idempotent(void **state)
{
    struct harness *h = *state;
    char token[128], body[512], first[128], again[128], st[32];
    struct harness_reply r;

    file_token(h, INN_MANUAL, token, sizeof token);
    assert_int_equal(strlen(token), 64);
    assert_int_equal(strspn(token, "0123456789abcdef"), 64);
    link_body(body, sizeof body, token, INN_MANUAL);

    harness_call(h, "/api/v1/self_employed_widget/link", body, "key-1", &r);
    assert_int_equal(r.status, 200);
    harness_json_str(&r, "link_request_id", first, sizeof first);
    harness_json_str(&r, "state", st, sizeof st);
    assert_string_equal(st, "in_progress");

    harness_call(h, "/api/v1/self_employed_widget/link", body, "key-1", &r);
    assert_int_equal(r.status, 200);
    harness_json_str(&r, "link_request_id", again, sizeof again);
    assert_string_equal(again, first);

    harness_call(h, "/api/v1/self_employed_widget/link", body, "key-2", &r);
    assert_int_equal(r.status, 400);

    assert_int_equal(harness_stat(h, "link"), 3);
    assert_int_equal(harness_stat(h, "links_filed"), 1);
}

/* The control endpoint's revoke makes a linked customer linkable again;
 * a confirm with nothing waiting is refused. */
static void test_control_revoke(void **state)
{
    struct harness *h = *state;
    struct harness_run run = {.inn = INN_LINKED, .want = FLOW_CONSENT};
    struct flow_view v;

    harness_customer(h, INN_LINKED, "confirm", 404);
    harness_customer(h, INN_LINKED, "revoke", 200);
    harness_customer(h, INN_LINKED, "revoke", 404);

    v = run_one(h, &run);
    assert_int_equal(v.state, FLOW_CONSENT);
    assert_int_equal(v.last_verdict, API_VERDICT_NOT_LINKED);
    harness_run_close(&run);
}

/* The sandbox saw exactly what the engine says it sent. */
static void test_stats_match_engine(void **state)
{
    static const char *const names[API_CALL_COUNT] = {
        "check", "status", "token", "link", "link_status", "personal_info"};
    struct harness *h = *state;
    struct harness_run run = {.inn = INN_CONFIRMS, .want = FLOW_WAITING};

    harness_drive(h, &run, 1, QUICK_MS);
    assert_int_equal(run.end, FLOW_WAITING);

    for (int c = 0; c < API_CALL_COUNT; c++)
        assert_int_equal(harness_stat(h, names[c]),
                         (long)engine_sent(run.e, (enum api_call)c));
    assert_int_equal(engine_sent(run.e, API_LINK), 1);
    assert_int_equal(harness_stat(h, "links_filed"), 1);
    harness_run_close(&run);
}

static void assert_rechecked(const struct harness_run *run)
{
    assert_true(run->waiting_ms >= 0);
    assert_true(run->done_ms - run->started_ms >= RECHECK_MS - 1000);
    assert_int_equal(engine_sent(run->e, API_CHECK), 2);
}

/* Everything that waits for time, side by side: the customer who
 * confirms on their own, the one who declines, the one answered through
 * the control endpoint, and the slow tax service. */
static void test_waiting_scenarios(void **state)
{
    struct harness *h = *state;
    struct harness_run runs[] = {
        {.inn = INN_CONFIRMS, .want = FLOW_LINKED},
        {.inn = INN_DECLINES, .want = FLOW_DECLINED},
        {.inn = INN_MANUAL, .want = FLOW_LINKED, .action = "confirm"},
        {.inn = INN_SLOW, .want = FLOW_CONSENT},
    };
    unsigned long checks = 0;

    harness_drive(h, runs, 4, LONG_MS);
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(runs[i].end, runs[i].want);

    assert_rechecked(&runs[0]);
    assert_int_equal(flow_view(engine_flow(runs[0].e))->last_verdict,
                     API_VERDICT_LINKED);
    assert_rechecked(&runs[1]);
    assert_int_equal(engine_sent(runs[1].e, API_LINK_STATUS), 1);
    assert_rechecked(&runs[2]);
    assert_true(runs[2].acted);

    assert_true(runs[3].done_ms - runs[3].started_ms >= 5000);
    assert_true(engine_sent(runs[3].e, API_STATUS) >= 2);

    for (size_t i = 0; i < 4; i++)
        checks += engine_sent(runs[i].e, API_CHECK);
    assert_int_equal(harness_stat(h, "check"), (long)checks);
    assert_int_equal(harness_stat(h, "rate_limited"), 0);
    assert_int_equal(harness_stat(h, "links_filed"), 3);

    for (size_t i = 0; i < 4; i++)
        harness_run_close(&runs[i]);
}

/* Closing our end of its stdin is enough to stop the sandbox, which is
 * what keeps it from outliving a killed npdlink. */
static void test_exits_on_eof(void **state)
{
    struct harness *h = *state;
    int64_t until = clock_mono_ms() + 5000;
    pid_t pid = h->sandbox.pid, r;
    int st = 0;

    close(h->sandbox.in_fd);
    h->sandbox.in_fd = -1;
    while ((r = waitpid(pid, &st, WNOHANG)) == 0 && clock_mono_ms() < until)
        usleep(10000);

    assert_int_equal(r, pid);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
    h->sandbox.pid = -1;
}

static char *saved_env(const char *name)
{
    const char *v = getenv(name);

    return v != NULL ? strdup(v) : NULL;
}

static void restore_env(const char *name, const char *value)
{
    if (value != NULL)
        setenv(name, value, 1);
    else
        unsetenv(name);
}

/* launch_state_dir follows XDG_STATE_HOME, ignores a relative one, and
 * makes the directory 0700; launch_keys makes a pair once and keeps it. */
static void test_launch_state_and_keys(void **state)
{
    struct harness *h = *state;
    char base[HARNESS_PATH], dir[HARNESS_PATH], want[HARNESS_PATH + 32];
    char priv[HARNESS_PATH], pub[HARNESS_PATH], err[256] = "";
    char *old_xdg = saved_env("XDG_STATE_HOME");
    char *old_home = saved_env("HOME");
    struct stat st, again;

    harness_path(base, h->dir, "state");
    setenv("XDG_STATE_HOME", base, 1);
    assert_int_equal(launch_state_dir(dir, sizeof dir, err, sizeof err), 0);
    snprintf(want, sizeof want, "%s/npdlink", base);
    assert_string_equal(dir, want);
    assert_int_equal(stat(dir, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_int_equal(st.st_mode & 0777, 0700);

    assert_int_equal(launch_keys(dir, priv, pub, sizeof priv, err, sizeof err),
                     0);
    assert_int_equal(stat(priv, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(launch_keys(dir, priv, pub, sizeof priv, err, sizeof err),
                     0);
    assert_int_equal(stat(priv, &again), 0);
    assert_int_equal(again.st_ino, st.st_ino);

    setenv("XDG_STATE_HOME", "relative/path", 1);
    setenv("HOME", base, 1);
    assert_int_equal(launch_state_dir(dir, sizeof dir, err, sizeof err), 0);
    snprintf(want, sizeof want, "%s/.local/state/npdlink", base);
    assert_string_equal(dir, want);

    unlink(priv);
    unlink(pub);
    rmdir(dir);
    harness_path(dir, base, ".local/state");
    rmdir(dir);
    harness_path(dir, base, ".local");
    rmdir(dir);
    harness_path(dir, base, "npdlink");
    rmdir(dir);
    restore_env("XDG_STATE_HOME", old_xdg);
    restore_env("HOME", old_home);
    free(old_xdg);
    free(old_home);
    assert_int_equal(rmdir(base), 0);
}

/* Writes an executable shell script standing in for the sandbox. */
static void write_script(char *path, const struct harness *h, const char *name,
                         const char *text)
{
    FILE *f;

    harness_path(path, h->dir, name);
    f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "#!/bin/sh\n%s\n", text);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(chmod(path, 0700), 0);
}

/* Starting fails with a reason that says what went wrong. */
static void expect_launch_error(const struct harness *h, const char *exe,
                                const char *pub, const char *words)
{
    struct launch l;
    char err[512] = "";

    assert_int_equal(launch_start(exe, pub, h->log, 2, &l, err, sizeof err),
                     -1);
    assert_int_equal(l.pid, -1);
    if (strstr(err, words) == NULL)
        fail_msg("\"%s\" does not say \"%s\"", err, words);
}

static void test_launch_errors(void **state)
{
    struct harness *h = *state;
    char fails[HARNESS_PATH], chatty[HARNESS_PATH], silent[HARNESS_PATH];
    const char *exe = getenv("NPDLINK_SANDBOX");

    assert_non_null(exe);
    write_script(fails, h, "fails.sh", "exit 3");
    write_script(chatty, h, "chatty.sh", "echo hello; exec sleep 10");
    write_script(silent, h, "silent.sh", "exec sleep 10");

    expect_launch_error(h, "/nonexistent/npdlink-sandbox", h->pub,
                        "/nonexistent/npdlink-sandbox");
    expect_launch_error(h, fails, h->pub, "exited with status 3");
    expect_launch_error(h, exe, "/nonexistent/key.pem", "exited with status");
    expect_launch_error(h, chatty, h->pub, "something other than its port");
    expect_launch_error(h, silent, h->pub, "did not report its port");

    unlink(fails);
    unlink(chatty);
    unlink(silent);
}

#define SANDBOX_TEST(f)                                                        \
    cmocka_unit_test_setup_teardown(f, start_sandbox, stop_sandbox)

int main(void)
{
    const struct CMUnitTest tests[] = {
        SANDBOX_TEST(test_not_self_employed_nested),
        SANDBOX_TEST(test_not_self_employed_code),
        SANDBOX_TEST(test_already_linked),
        SANDBOX_TEST(test_tax_service_error),
        SANDBOX_TEST(test_bad_signature),
        SANDBOX_TEST(test_wrong_project),
        SANDBOX_TEST(test_check_gap),
        SANDBOX_TEST(test_bad_requests),
        SANDBOX_TEST(test_link_idempotent),
        SANDBOX_TEST(test_control_revoke),
        SANDBOX_TEST(test_stats_match_engine),
        SANDBOX_TEST(test_waiting_scenarios),
        SANDBOX_TEST(test_exits_on_eof),
        cmocka_unit_test(test_launch_state_and_keys),
        cmocka_unit_test(test_launch_errors),
    };
    int failed;

    curl_global_init(CURL_GLOBAL_DEFAULT);
    failed = cmocka_run_group_tests(tests, group_setup, group_teardown);
    curl_global_cleanup();
    return failed;
}
