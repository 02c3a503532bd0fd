/*
 * Unit tests for core/sign.c: key files, signing, verifying, Base64.
 *
 * Keys are made at run time in a private temporary directory; the only
 * key material in this file is a public key with two signatures made by
 * its private half, which is kept nowhere.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "sign.h"

#define B64_LEN_2048 344 /* 256 signature bytes in padded Base64 */

static const char vector_pub[] =
    "-----BEGIN PUBLIC KEY-----\n"
    "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAr2gec/eCxz+KGo3faG1+\n"
    "UcwgDHySPaAY1+P3+qfdMKA4oZlDJy292fX32MCsc3wRp7dj965TLKLqn7ToNmTU\n"
    "laIRM9nmZcNRgGhTDubDo3sn2PxG/q/Uab9NIsSZZCdP2bz8bYp1wkWapBgNtU87\n"
    "6rBxiQwM2gs6IjdP+wo2lhJwv3RqaCbpHh8P2MDUOseM/8clcP/EaKCq3kxsJuli\n"
    "p6gHXDpn+c4IWfpt3ePirTGsQ8AKW8eZ9sCoLLuFDZ6DpQMthfyYPjzUWIKb/7Fr\n"
    "lOzvZf+l1uUGx0J8grJ8xxuz3PdneJA3bfJV8m4eAtmaTaxFH0p0Vp9aO0LiRzOG\n"
    "8wIDAQAB\n"
    "-----END PUBLIC KEY-----\n";

/* Signatures of "{}" and of a check body by the vector key's private
 * half, made once with an independent RSA-SHA256 implementation. */
static const char vector_sig_empty[] =
    "i+1nSXKX0SiKtEnJPLgw+eBWWXMEeBhz2khSqnJ0h4JytFD+w5vUS+peJ+7MkSYAugGOel"
    "D7FGb9ZL4bTDwVDcKrlXy4amoHOkRoEkwYgDn+Rx61ElT9zvAQ+Sz3uaUCAvwqoiDUaASa"
    "jwbHrJDbWQtasqxpHWMu+nfAW0Y7tfcR4NvOGI7zfHC0C85BxRCRp3u0LCf3r/pH9DZqpU"
    "ssnRQ/LbHHmPTwArlo/EXsTFIreCmgttty1D3DzKcV16byHA/zrj9/7fcx4CXf6YbvPsML"
    "xkELyKdK6AB6Vmw8bw1iCtUIKN+jYjLkkySGOoel3SuD9pqsyCk4uDuf87vd/Q==";
static const char vector_sig_check[] =
    "TeR/VMTLoL+WL76AT8hxxk39B7YCahmCYtCu3NV73iThrTA/WkvzxWbDk7YZehz/9h+27l"
    "hx0uwd4YFz6JzzZlu5k9sKPJ56HdRrMHqPDcKZsXb4e0G0yMeQ+IJiWLIcR9Vk2xFDcLwd"
    "1Y0JDmj5Q9YghQ/AG8+/wod4TfPbgVt5cEP74csTLHiaR9TIwOqtqTABoe7hkJ59LqXOju"
    "LSkTH7a4NT9YP96X6AvLwdZTjRRXsRDDcIZqhjvuhAMzAIhk/E0PpP+wU756kTJiAno3Jb"
    "VxeLhdQff0kDDd5nPKPn6/rSeHJkARJ34ESDwpYP1UJHDCfSGvjs2kmsQynyOQ==";
static const char check_body[] = "{\"tax_reference\":\"500000000340\"}";

struct fixture {
    char dir[64];
    char priv[128];
    char pub[128];
};

static void path_in(const struct fixture *f, const char *name, char *out,
                    size_t len)
{
    snprintf(out, len, "%s/%s", f->dir, name);
}

static void write_file(const char *path, const char *text, mode_t mode)
{
    FILE *fp = fopen(path, "w");

    assert_non_null(fp);
    assert_int_equal(fputs(text, fp) >= 0, 1);
    assert_int_equal(fclose(fp), 0);
    assert_int_equal(chmod(path, mode), 0);
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    char err[256] = "";
    mode_t old;

    if (f == NULL)
        return -1;
    snprintf(f->dir, sizeof(f->dir), "/tmp/npd-sign-XXXXXX");
    if (mkdtemp(f->dir) == NULL)
        return -1;
    path_in(f, "partner.key", f->priv, sizeof(f->priv));
    path_in(f, "partner.pub", f->pub, sizeof(f->pub));

    /* A strict umask must not take the public key's read bits away. */
    old = umask(077);
    if (sign_generate_pair(f->priv, f->pub, err, sizeof(err)) != 0) {
        fprintf(stderr, "setup: %s\n", err);
        return -1;
    }
    umask(old);

    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    DIR *d = opendir(f->dir);
    struct dirent *e;
    char path[512];

    while (d != NULL && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof(path), "%s/%s", f->dir, e->d_name);
        unlink(path);
    }
    if (d != NULL)
        closedir(d);
    rmdir(f->dir);
    free(f);
    return 0;
}

static struct sign_key *load_priv(const struct fixture *f)
{
    struct sign_key *k = NULL;
    char err[256] = "";

    assert_int_equal(sign_load_private(f->priv, NULL, &k, err, sizeof(err)), 0);
    assert_non_null(k);
    return k;
}

static struct sign_key *load_pub(const char *path)
{
    struct sign_key *k = NULL;
    char err[256] = "";

    assert_int_equal(sign_load_public(path, &k, err, sizeof(err)), 0);
    assert_non_null(k);
    return k;
}

static char *sign_text(struct sign_key *k, const char *body)
{
    char *b64 = NULL;
    char err[256] = "";

    assert_int_equal(sign_body(k, body, strlen(body), &b64, err, sizeof(err)),
                     0);
    assert_non_null(b64);
    return b64;
}

static void test_generated_modes(void **state)
{
    struct fixture *f = *state;
    struct stat st;
    char head[40] = "";
    FILE *fp;

    assert_int_equal(stat(f->priv, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(stat(f->pub, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0644);

    fp = fopen(f->pub, "r");
    assert_non_null(fp);
    assert_non_null(fgets(head, sizeof(head), fp));
    fclose(fp);
    assert_string_equal(head, "-----BEGIN PUBLIC KEY-----\n");
}

static void test_round_trip(void **state)
{
    struct fixture *f = *state;
    struct sign_key *priv = load_priv(f);
    struct sign_key *pub = load_pub(f->pub);
    char *b64 = sign_text(priv, "{}");

    assert_int_equal(strlen(b64), B64_LEN_2048);
    assert_null(strchr(b64, '\n'));
    assert_string_equal(b64 + B64_LEN_2048 - 2, "==");
    assert_int_equal(sign_verify(pub, "{}", 2, b64), 0);

    free(b64);
    b64 = sign_text(priv, check_body);
    assert_int_equal(sign_verify(pub, check_body, strlen(check_body), b64), 0);

    free(b64);
    sign_key_free(priv);
    sign_key_free(pub);
}

/* PKCS#1 v1.5 has no random part: equal bodies, equal signatures. */
static void test_signature_deterministic(void **state)
{
    struct fixture *f = *state;
    struct sign_key *priv = load_priv(f);
    char *a = sign_text(priv, check_body);
    char *b = sign_text(priv, check_body);
    char *c = sign_text(priv, "{}");

    assert_string_equal(a, b);
    assert_string_not_equal(a, c);

    free(a);
    free(b);
    free(c);
    sign_key_free(priv);
}

static void test_tampered_body_fails(void **state)
{
    struct fixture *f = *state;
    struct sign_key *priv = load_priv(f);
    struct sign_key *pub = load_pub(f->pub);
    char *b64 = sign_text(priv, check_body);
    char body[sizeof(check_body)];

    memcpy(body, check_body, sizeof(body));
    body[20] = '1';
    assert_int_equal(sign_verify(pub, body, strlen(body), b64), -1);
    assert_int_equal(sign_verify(pub, check_body, strlen(check_body) - 1, b64),
                     -1);
    assert_int_equal(sign_verify(pub, "{ }", 3, b64), -1);
    assert_int_equal(sign_verify(pub, "", 0, b64), -1);

    free(b64);
    sign_key_free(priv);
    sign_key_free(pub);
}

static void test_tampered_signature_fails(void **state)
{
    struct fixture *f = *state;
    struct sign_key *priv = load_priv(f);
    struct sign_key *pub = load_pub(f->pub);
    char *b64 = sign_text(priv, "{}");
    char bad[B64_LEN_2048 + 2];

    memcpy(bad, b64, B64_LEN_2048 + 1);
    bad[100] = bad[100] == 'A' ? 'B' : 'A';
    assert_int_equal(sign_verify(pub, "{}", 2, bad), -1);

    memcpy(bad, b64, B64_LEN_2048 + 1);
    bad[B64_LEN_2048 - 2] = '\0';
    assert_int_equal(sign_verify(pub, "{}", 2, bad), -1);

    memcpy(bad, b64, B64_LEN_2048 + 1);
    strcat(bad, "\n");
    assert_int_equal(sign_verify(pub, "{}", 2, bad), -1);

    assert_int_equal(sign_verify(pub, "{}", 2, b64), 0);
    free(b64);
    sign_key_free(priv);
    sign_key_free(pub);
}

static void test_garbage_base64_fails(void **state)
{
    struct fixture *f = *state;
    struct sign_key *pub = load_pub(f->pub);
    static const char *const junk[] = {
        "",
        "!!!!",
        "abc",
        "====",
        "QUJD",
        "QQ==",
        "A===",
        "QU=D",
        "not base64 at all",
        " " /* blank */,
    };
    char big[4096];

    for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++)
        assert_int_equal(sign_verify(pub, "{}", 2, junk[i]), -1);
    assert_int_equal(sign_verify(pub, "{}", 2, NULL), -1);

    memset(big, 'A', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    assert_int_equal(sign_verify(pub, "{}", 2, big), -1);

    sign_key_free(pub);
}

static void test_known_vector(void **state)
{
    struct fixture *f = *state;
    char path[160];
    struct sign_key *vec;
    struct sign_key *priv = load_priv(f);
    char *ours;

    path_in(f, "vector.pub", path, sizeof(path));
    write_file(path, vector_pub, 0644);
    vec = load_pub(path);

    assert_int_equal(sign_verify(vec, "{}", 2, vector_sig_empty), 0);
    assert_int_equal(
        sign_verify(vec, check_body, strlen(check_body), vector_sig_check), 0);
    assert_int_equal(sign_verify(vec, "{}", 2, vector_sig_check), -1);

    /* A signature by another key never passes. */
    ours = sign_text(priv, "{}");
    assert_int_equal(sign_verify(vec, "{}", 2, ours), -1);

    free(ours);
    sign_key_free(priv);
    sign_key_free(vec);
}

static void expect_mode_refused(const struct fixture *f, mode_t mode)
{
    struct sign_key *k = (struct sign_key *)1;
    char err[512] = "";

    assert_int_equal(chmod(f->priv, mode), 0);
    assert_int_equal(sign_load_private(f->priv, NULL, &k, err, sizeof(err)),
                     -1);
    assert_null(k);
    assert_non_null(strstr(err, f->priv));
    assert_non_null(strstr(err, "chmod 600"));
    assert_int_equal(chmod(f->priv, 0600), 0);
}

static void test_open_key_refused(void **state)
{
    struct fixture *f = *state;

    expect_mode_refused(f, 0640);
    expect_mode_refused(f, 0604);
    expect_mode_refused(f, 0620);
    expect_mode_refused(f, 0644);
    sign_key_free(load_priv(f));
}

/* Writes the generated key again under a passphrase, as a user might. */
static void write_locked(const struct fixture *f, const char *path)
{
    EVP_PKEY *pkey;
    FILE *fp = fopen(f->priv, "r");

    assert_non_null(fp);
    pkey = PEM_read_PrivateKey(fp, NULL, NULL, NULL);
    fclose(fp);
    assert_non_null(pkey);

    fp = fopen(path, "w");
    assert_non_null(fp);
    assert_int_equal(chmod(path, 0600), 0);
    assert_int_equal(PEM_write_PrivateKey(fp, pkey, EVP_aes_256_cbc(),
                                          (unsigned char *)"secret", 6, NULL,
                                          NULL),
                     1);
    fclose(fp);
    EVP_PKEY_free(pkey);
}

/* Without a passphrase the caller learns it must ask for one. */
static void test_encrypted_key_needs_passphrase(void **state)
{
    struct fixture *f = *state;
    char path[160];
    char err[512] = "";
    struct sign_key *k = (struct sign_key *)1;

    path_in(f, "locked.key", path, sizeof(path));
    write_locked(f, path);

    assert_int_equal(sign_load_private(path, NULL, &k, err, sizeof(err)),
                     SIGN_NEED_PASSPHRASE);
    assert_null(k);
    assert_non_null(strstr(err, "passphrase"));
    assert_non_null(strstr(err, path));
}

/* The right passphrase gives a key that signs like the plain one. */
static void test_encrypted_key_right_passphrase(void **state)
{
    struct fixture *f = *state;
    char path[160];
    char err[512] = "";
    struct sign_key *k = NULL;
    struct sign_key *plain = load_priv(f);
    char *a;
    char *b;

    path_in(f, "locked.key", path, sizeof(path));
    write_locked(f, path);

    assert_int_equal(sign_load_private(path, "secret", &k, err, sizeof(err)),
                     0);
    assert_non_null(k);
    a = sign_text(k, check_body);
    b = sign_text(plain, check_body);
    assert_string_equal(a, b);

    free(a);
    free(b);
    sign_key_free(k);
    sign_key_free(plain);
}

static void test_encrypted_key_wrong_passphrase(void **state)
{
    struct fixture *f = *state;
    char path[160];
    char err[512] = "";
    struct sign_key *k = (struct sign_key *)1;

    path_in(f, "locked.key", path, sizeof(path));
    write_locked(f, path);

    assert_int_equal(sign_load_private(path, "secreT", &k, err, sizeof(err)),
                     -1);
    assert_null(k);
    assert_non_null(strstr(err, "wrong passphrase"));
    assert_non_null(strstr(err, path));
    assert_int_equal(sign_load_private(path, "", &k, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "wrong passphrase"));
}

/* A passphrase given for a plain key is not needed and does no harm. */
static void test_plain_key_ignores_passphrase(void **state)
{
    struct fixture *f = *state;
    char err[512] = "";
    struct sign_key *k = NULL;

    assert_int_equal(sign_load_private(f->priv, "unused", &k, err, sizeof(err)),
                     0);
    assert_non_null(k);
    sign_key_free(k);
}

static void test_missing_and_wrong_files(void **state)
{
    struct fixture *f = *state;
    char path[160];
    char err[512] = "";
    struct sign_key *k = NULL;

    path_in(f, "absent.key", path, sizeof(path));
    assert_int_equal(sign_load_private(path, NULL, &k, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "No such file"));
    assert_int_equal(sign_load_public(path, &k, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "No such file"));
    assert_int_equal(sign_load_private(path, NULL, &k, NULL, 0), -1);

    assert_int_equal(sign_load_public(f->priv, &k, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "no PEM public key"));

    path_in(f, "pub-as-priv.key", path, sizeof(path));
    write_file(path, vector_pub, 0600);
    assert_int_equal(sign_load_private(path, NULL, &k, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "no PEM private key"));

    path_in(f, "junk.key", path, sizeof(path));
    write_file(path, "hello\n", 0600);
    assert_int_equal(sign_load_private(path, NULL, &k, err, sizeof(err)), -1);
    assert_null(k);

    assert_int_equal(sign_load_private(f->dir, NULL, &k, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "not a regular file"));
}

static void test_non_rsa_key_refused(void **state)
{
    struct fixture *f = *state;
    char path[160];
    char err[512] = "";
    struct sign_key *k = NULL;
    EVP_PKEY *ec = EVP_EC_gen("P-256");
    FILE *fp;

    assert_non_null(ec);
    path_in(f, "ec.key", path, sizeof(path));
    fp = fopen(path, "w");
    assert_non_null(fp);
    assert_int_equal(chmod(path, 0600), 0);
    assert_int_equal(PEM_write_PrivateKey(fp, ec, NULL, NULL, 0, NULL, NULL),
                     1);
    fclose(fp);
    EVP_PKEY_free(ec);

    assert_int_equal(sign_load_private(path, NULL, &k, err, sizeof(err)), -1);
    assert_null(k);
    assert_non_null(strstr(err, "RSA"));
}

static void test_generate_never_overwrites(void **state)
{
    struct fixture *f = *state;
    char fresh[160];
    char err[512] = "";
    struct stat before;
    struct stat after;

    assert_int_equal(stat(f->priv, &before), 0);
    assert_int_equal(sign_generate_pair(f->priv, f->pub, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "File exists"));
    assert_int_equal(stat(f->priv, &after), 0);
    assert_int_equal(before.st_size, after.st_size);
    assert_int_equal(before.st_mtime, after.st_mtime);

    /* A clash on the public half leaves no private half behind. */
    path_in(f, "fresh.key", fresh, sizeof(fresh));
    assert_int_equal(sign_generate_pair(fresh, f->pub, err, sizeof(err)), -1);
    assert_int_equal(access(fresh, F_OK), -1);

    sign_key_free(load_priv(f));
    sign_key_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_generated_modes),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_signature_deterministic),
        cmocka_unit_test(test_tampered_body_fails),
        cmocka_unit_test(test_tampered_signature_fails),
        cmocka_unit_test(test_garbage_base64_fails),
        cmocka_unit_test(test_known_vector),
        cmocka_unit_test(test_open_key_refused),
        cmocka_unit_test(test_encrypted_key_needs_passphrase),
        cmocka_unit_test(test_encrypted_key_right_passphrase),
        cmocka_unit_test(test_encrypted_key_wrong_passphrase),
        cmocka_unit_test(test_plain_key_ignores_passphrase),
        cmocka_unit_test(test_missing_and_wrong_files),
        cmocka_unit_test(test_non_rsa_key_refused),
        cmocka_unit_test(test_generate_never_overwrites),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
