/*
 * A bank certificate that does not verify, over real loopback HTTPS: the
 * sandbox serves a certificate made here at run time, and the client
 * must refuse it unless ca_file vouches for it and it names the host.
 * A refusal is a network fault whose detail names the certificate
 * problem, never a verdict, and no npd/check reaches the sandbox. That
 * TLS checks cannot be switched off by configuration, and that plain
 * http:// is refused for any host but loopback, is tested in
 * tests/unit/test_config.c (test_no_tls_switch and
 * test_validate_https_rules); docs/reliability.md lists these rows.
 */
/* harness.h serves every integration test; this one uses only part. */
#pragma GCC diagnostic ignored "-Wunused-function"
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#define TLS_LIMIT_MS 8000
#define TLS_PORT_WAIT_MS 5000
#define INN_NOT_SELF_EMPLOYED "500000000100"
#define WRONG_NAME "example.invalid"

struct fixture {
    struct harness *h;
    char cert[HARNESS_PATH]; /* for 127.0.0.1, self-signed */
    char key[HARNESS_PATH];
    char wrong_cert[HARNESS_PATH]; /* for example.invalid, self-signed */
    char wrong_key[HARNESS_PATH];
};

static void add_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
    X509_EXTENSION *ext = X509V3_EXT_nconf_nid(NULL, ctx, nid, value);

    assert_non_null(ext);
    assert_int_equal(X509_add_ext(x, ext, -1), 1);
    X509_EXTENSION_free(ext);
}

static void write_pem(const char *path, X509 *x, EVP_PKEY *pk)
{
    FILE *fp = fopen(path, "w");

    assert_non_null(fp);
    if (x != NULL)
        assert_int_equal(PEM_write_X509(fp, x), 1);
    else
        assert_int_equal(
            PEM_write_PrivateKey(fp, pk, NULL, NULL, 0, NULL, NULL), 1);
    assert_int_equal(fclose(fp), 0);
}

/* A self-signed P-256 certificate for cn with subjectAltName san, good
 * from an hour ago for a day. */
static void make_cert(const char *cert, const char *key, const char *cn,
                      const char *san, long serial)
{
    EVP_PKEY *pk = EVP_EC_gen("P-256");
    X509 *x = X509_new();
    X509_NAME *name;
    X509V3_CTX ctx;

    assert_non_null(pk);
    assert_non_null(x);
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
    X509_gmtime_adj(X509_getm_notBefore(x), -3600);
    X509_gmtime_adj(X509_getm_notAfter(x), 86400);
    assert_int_equal(X509_set_pubkey(x, pk), 1);

    name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               (const unsigned char *)cn, -1, -1, 0);
    X509_set_issuer_name(x, name);

    X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
    add_ext(x, &ctx, NID_basic_constraints, "critical,CA:TRUE");
    add_ext(x, &ctx, NID_subject_key_identifier, "hash");
    add_ext(x, &ctx, NID_subject_alt_name, san);
    assert_true(X509_sign(x, pk, EVP_sha256()) > 0);

    write_pem(cert, x, NULL);
    write_pem(key, NULL, pk);
    X509_free(x);
    EVP_PKEY_free(pk);
}

static int group_setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof *fx);

    assert_non_null(fx);
    fx->h = harness_new();
    harness_path(fx->cert, fx->h->dir, "tls.pem");
    harness_path(fx->key, fx->h->dir, "tls.key.pem");
    harness_path(fx->wrong_cert, fx->h->dir, "wrong.pem");
    harness_path(fx->wrong_key, fx->h->dir, "wrong.key.pem");
    make_cert(fx->cert, fx->key, "127.0.0.1", "IP:127.0.0.1", 1);
    make_cert(fx->wrong_cert, fx->wrong_key, WRONG_NAME, "DNS:" WRONG_NAME, 2);
    *state = fx;
    return 0;
}

static int group_teardown(void **state)
{
    struct fixture *fx = *state;

    unlink(fx->cert);
    unlink(fx->key);
    unlink(fx->wrong_cert);
    unlink(fx->wrong_key);
    harness_free(fx->h);
    free(fx);
    return 0;
}

static void child_exec(const char *exe, const struct harness *h,
                       const char *cert, const char *key, int in, int out)
{
    char *argv[] = {
        (char *)exe,    "--port",          "0",         "--public-key",
        (char *)h->pub, "--confirm-delay", "2",         "--exit-on-eof",
        "--tls-cert",   (char *)cert,      "--tls-key", (char *)key,
        NULL,
    };
    int log = open(h->log, O_WRONLY | O_CREAT | O_APPEND, 0600);

    if (log < 0 || dup2(in, STDIN_FILENO) < 0 || dup2(out, STDOUT_FILENO) < 0 ||
        dup2(log, STDERR_FILENO) < 0)
        _exit(127);
    execv(exe, argv);
    _exit(127);
}

/* The "port=N" line, within TLS_PORT_WAIT_MS; 0 when it does not come. */
static int read_port(int fd)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    char line[64] = "";
    size_t len = 0;
    int port = 0;

    while (len + 1 < sizeof line && strchr(line, '\n') == NULL &&
           poll(&p, 1, TLS_PORT_WAIT_MS) > 0) {
        ssize_t n = read(fd, line + len, sizeof line - 1 - len);

        if (n <= 0)
            break;
        len += (size_t)n;
        line[len] = '\0';
    }
    if (sscanf(line, "port=%d\n", &port) != 1)
        return 0;
    return port;
}

/* A fresh sandbox serving HTTPS with cert; harness_free() stops it. */
static void start_tls(struct harness *h, const char *cert, const char *key)
{
    const char *exe = getenv("NPDLINK_SANDBOX");
    int in[2], out[2];
    pid_t pid;

    if (exe == NULL || access(exe, X_OK) != 0)
        fail_msg("NPDLINK_SANDBOX must name build/npdlink-sandbox");
    launch_stop(&h->sandbox);
    assert_int_equal(pipe2(in, O_CLOEXEC), 0);
    assert_int_equal(pipe2(out, O_CLOEXEC), 0);

    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        child_exec(exe, h, cert, key, in[0], out[1]);

    close(in[0]);
    close(out[1]);
    h->sandbox.pid = pid;
    h->sandbox.in_fd = in[1];
    h->sandbox.port = read_port(out[0]);
    close(out[0]);
    if (h->sandbox.port <= 0)
        fail_msg("the sandbox reported no port over TLS; see %s", h->log);
}

static int start_good(void **state)
{
    struct fixture *fx = *state;

    start_tls(fx->h, fx->cert, fx->key);
    return 0;
}

static int start_wrong(void **state)
{
    struct fixture *fx = *state;

    start_tls(fx->h, fx->wrong_cert, fx->wrong_key);
    return 0;
}

/* One counter from /sandbox/stats over HTTPS, trusting ca; host is the
 * name to ask for, resolved to 127.0.0.1. */
static long tls_stat(const struct harness *h, const char *ca, const char *host,
                     const char *name)
{
    struct curl_slist *resolve = NULL;
    struct harness_reply r = {0};
    CURL *c = curl_easy_init();
    char url[256], entry[256];
    json_t *root, *v;
    long n;

    assert_non_null(c);
    snprintf(url, sizeof url, "https://%s:%d/sandbox/stats", host,
             h->sandbox.port);
    snprintf(entry, sizeof entry, "%s:%d:127.0.0.1", host, h->sandbox.port);
    resolve = curl_slist_append(resolve, entry);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_RESOLVE, resolve);
    curl_easy_setopt(c, CURLOPT_CAINFO, ca);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, harness_collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);
    assert_int_equal(curl_easy_perform(c), CURLE_OK);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
    curl_easy_cleanup(c);
    curl_slist_free_all(resolve);
    assert_int_equal(r.status, 200);

    root = json_loadb(r.body, r.len, 0, NULL);
    v = json_object_get(root, name);
    if (!json_is_integer(v))
        fail_msg("no counter \"%s\" in %s", name, r.body);
    n = (long)json_integer_value(v);
    json_decref(root);
    return n;
}

/* Runs one customer's first check against https://127.0.0.1 with ca as
 * ca_file ("" for the system store) until it ends. */
static struct flow_view first_check(const struct harness *h, const char *ca)
{
    struct harness_run run = {0};
    int64_t end = clock_mono_ms() + TLS_LIMIT_MS;
    const struct flow_view *v;
    struct flow_view out;
    char err[512] = "";

    config_defaults(&run.cfg);
    snprintf(run.cfg.base_url, sizeof run.cfg.base_url, "https://127.0.0.1:%d",
             h->sandbox.port);
    snprintf(run.cfg.project_id, sizeof run.cfg.project_id, "sandbox");
    snprintf(run.cfg.key_file, sizeof run.cfg.key_file, "%s", h->priv);
    snprintf(run.cfg.ca_file, sizeof run.cfg.ca_file, "%s", ca);
    run.cfg.sandbox = 1;
    run.e = engine_new(&run.cfg, err, sizeof err);
    if (run.e == NULL)
        fail_msg("engine_new: %s", err);

    v = flow_view(engine_flow(run.e));
    assert_int_equal(flow_submit_inn(engine_flow(run.e), INN_NOT_SELF_EMPLOYED,
                                     clock_mono_ms()),
                     INN_OK);
    while (v->state == FLOW_CHECKING && clock_mono_ms() < end) {
        harness_step(&run, clock_mono_ms());
        engine_wait(run.e, NULL, 0, 20);
    }
    out = *v;
    harness_run_close(&run);
    return out;
}

/* Refused: a network fault naming the certificate, no verdict at all. */
static void assert_refused(const struct flow_view *v)
{
    if (v->state != FLOW_ERROR || v->fault != API_FAULT_NETWORK)
        fail_msg("%s with fault %d (\"%s\"), want a network error",
                 flow_state_name(v->state), (int)v->fault, v->detail);
    assert_int_equal(v->last_verdict, API_VERDICT_NONE);
    if (strstr(v->detail, "certificate") == NULL)
        fail_msg("detail does not name the certificate: \"%s\"", v->detail);
}

/* (a) A certificate from no CA the system trusts. */
static void test_unknown_issuer_is_refused(void **state)
{
    struct fixture *fx = *state;
    struct flow_view v = first_check(fx->h, "");

    assert_refused(&v);
    assert_int_equal(tls_stat(fx->h, fx->cert, "127.0.0.1", "check"), 0);
}

/* (b) The same certificate named in ca_file: the scenario works. */
static void test_trusted_ca_gives_verdict(void **state)
{
    struct fixture *fx = *state;
    struct flow_view v = first_check(fx->h, fx->cert);

    if (v.state != FLOW_NOT_SELF_EMPLOYED)
        fail_msg("%s with fault %d (\"%s\"), want not self-employed",
                 flow_state_name(v.state), (int)v.fault, v.detail);
    assert_int_equal(v.fault, API_FAULT_NONE);
    assert_int_equal(v.last_verdict, API_VERDICT_NOT_SELF_EMPLOYED);
    assert_int_equal(tls_stat(fx->h, fx->cert, "127.0.0.1", "check"), 1);
}

/* (c) A trusted certificate for another host name. The stats call asks
 * for that name, so the certificate itself is shown to be sound. */
static void test_wrong_host_name_is_refused(void **state)
{
    struct fixture *fx = *state;
    struct flow_view v = first_check(fx->h, fx->wrong_cert);

    assert_refused(&v);
    assert_int_equal(tls_stat(fx->h, fx->wrong_cert, WRONG_NAME, "check"), 0);
}

/* A ca_file that cannot be read trusts nothing; it never falls back to
 * the system store or to no check. */
static void test_missing_ca_file_is_refused(void **state)
{
    struct fixture *fx = *state;
    char missing[HARNESS_PATH];
    struct flow_view v;

    harness_path(missing, fx->h->dir, "no-such-ca.pem");
    v = first_check(fx->h, missing);
    assert_refused(&v);
    assert_int_equal(tls_stat(fx->h, fx->cert, "127.0.0.1", "check"), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_unknown_issuer_is_refused, start_good),
        cmocka_unit_test_setup(test_trusted_ca_gives_verdict, start_good),
        cmocka_unit_test_setup(test_wrong_host_name_is_refused, start_wrong),
        cmocka_unit_test_setup(test_missing_ca_file_is_refused, start_good),
    };

    signal(SIGPIPE, SIG_IGN);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
