/*
 * sign: RSA-SHA256 (PKCS#1 v1.5) signatures over request bodies, by
 * OpenSSL's EVP interface, and the key files they need.
 */
#include "sign.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "err.h"

#define SIGN_RSA_BITS 2048

/* Longest Base64 signature accepted: an RSA-8192 signature takes 1368. */
#define SIGN_B64_MAX 2048

struct sign_key {
    EVP_PKEY *pkey;
};

/* OpenSSL's last word, and an empty queue afterwards so no later caller
 * trips over a stale error. */
static const char *sign_ossl_reason(char *buf, size_t len)
{
    unsigned long e = ERR_peek_last_error();

    snprintf(buf, len, "unknown OpenSSL error");
    if (e != 0)
        ERR_error_string_n(e, buf, len);
    ERR_clear_error();
    return buf;
}

/* What the passphrase callback is given and what it saw. */
struct sign_pass {
    const char *passphrase; /* NULL: none to give */
    int asked;              /* the key turned out to be encrypted */
};

/* Never lets OpenSSL ask on the terminal: it gets the caller's passphrase
 * or nothing, and the callback notes that one was wanted. */
static int sign_give_passphrase(char *buf, int size, int rwflag, void *u)
{
    struct sign_pass *p = u;
    size_t len;

    (void)rwflag;
    p->asked = 1;
    if (p->passphrase == NULL || size <= 0)
        return -1;
    len = strlen(p->passphrase);
    if (len > (size_t)size)
        return -1;
    memcpy(buf, p->passphrase, len);
    return (int)len;
}

static int sign_wrap(EVP_PKEY *pkey, const char *path, struct sign_key **out,
                     char *err, size_t errlen)
{
    struct sign_key *k;

    if (!EVP_PKEY_is_a(pkey, "RSA")) {
        err_set(err, errlen, "key file %s does not hold an RSA key", path);
        EVP_PKEY_free(pkey);
        return -1;
    }

    k = malloc(sizeof(*k));
    if (k == NULL) {
        err_set(err, errlen, "key file %s: out of memory", path);
        EVP_PKEY_free(pkey);
        return -1;
    }
    k->pkey = pkey;
    *out = k;
    return 0;
}

/* Opens the private key file and checks the mode of the opened file, so
 * what is checked is what is read. */
static FILE *sign_open_private(const char *path, char *err, size_t errlen)
{
    struct stat st;
    FILE *fp;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0) {
        err_set(err, errlen, "key file %s: %s", path, strerror(errno));
        return NULL;
    }

    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        err_set(err, errlen, "key file %s is not a regular file", path);
        close(fd);
        return NULL;
    }
    if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
        err_set(err, errlen,
                "key file %s is readable or writable by others (mode %03o); "
                "run chmod 600 %s",
                path, (unsigned)(st.st_mode & 0777), path);
        close(fd);
        return NULL;
    }

    fp = fdopen(fd, "r");
    if (fp == NULL) {
        err_set(err, errlen, "key file %s: %s", path, strerror(errno));
        close(fd);
    }
    return fp;
}

/* Why an encrypted key did not load: none given, or the wrong one. */
static int sign_locked(const char *path, const struct sign_pass *p, char *err,
                       size_t errlen)
{
    ERR_clear_error();
    if (p->passphrase == NULL) {
        err_set(err, errlen, "key file %s is protected by a passphrase", path);
        return SIGN_NEED_PASSPHRASE;
    }
    err_set(err, errlen,
            "wrong passphrase for key file %s (or the file is damaged)", path);
    return -1;
}

int sign_load_private(const char *path, const char *passphrase,
                      struct sign_key **out, char *err, size_t errlen)
{
    char why[256];
    EVP_PKEY *pkey;
    struct sign_pass pass = {passphrase, 0};
    FILE *fp = sign_open_private(path, err, errlen);

    *out = NULL;
    if (fp == NULL)
        return -1;

    pkey = PEM_read_PrivateKey(fp, NULL, sign_give_passphrase, &pass);
    fclose(fp);

    if (pkey == NULL && pass.asked)
        return sign_locked(path, &pass, err, errlen);
    if (pkey == NULL) {
        err_set(err, errlen, "key file %s holds no PEM private key: %s", path,
                sign_ossl_reason(why, sizeof(why)));
        return -1;
    }
    return sign_wrap(pkey, path, out, err, errlen);
}

int sign_load_public(const char *path, struct sign_key **out, char *err,
                     size_t errlen)
{
    char why[256];
    EVP_PKEY *pkey;
    FILE *fp = fopen(path, "re");

    *out = NULL;
    if (fp == NULL) {
        err_set(err, errlen, "key file %s: %s", path, strerror(errno));
        return -1;
    }

    pkey = PEM_read_PUBKEY(fp, NULL, NULL, NULL);
    fclose(fp);

    if (pkey == NULL) {
        err_set(err, errlen, "key file %s holds no PEM public key: %s", path,
                sign_ossl_reason(why, sizeof(why)));
        return -1;
    }
    return sign_wrap(pkey, path, out, err, errlen);
}

/* Sets up ctx for RSA PKCS#1 v1.5 over SHA-256, to sign or to verify. */
static int sign_init(EVP_MD_CTX *ctx, EVP_PKEY *pkey, int verify)
{
    EVP_PKEY_CTX *pctx = NULL;
    int ok;

    if (verify)
        ok = EVP_DigestVerifyInit(ctx, &pctx, EVP_sha256(), NULL, pkey);
    else
        ok = EVP_DigestSignInit(ctx, &pctx, EVP_sha256(), NULL, pkey);
    if (ok != 1)
        return -1;
    return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) > 0 ? 0 : -1;
}

/* The raw signature of body, malloc'd, its length in *siglen. */
static unsigned char *sign_raw(EVP_PKEY *pkey, const char *body, size_t len,
                               size_t *siglen)
{
    unsigned char *sig = NULL;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();

    if (ctx == NULL || sign_init(ctx, pkey, 0) != 0)
        goto out;

    if (EVP_DigestSign(ctx, NULL, siglen, (const unsigned char *)body, len) !=
        1)
        goto out;
    sig = malloc(*siglen);
    if (sig == NULL)
        goto out;
    if (EVP_DigestSign(ctx, sig, siglen, (const unsigned char *)body, len) !=
        1) {
        free(sig);
        sig = NULL;
    }

out:
    EVP_MD_CTX_free(ctx);
    return sig;
}

int sign_body(struct sign_key *key, const char *body, size_t len, char **b64,
              char *err, size_t errlen)
{
    char why[256];
    size_t siglen = 0;
    unsigned char *sig;

    *b64 = NULL;
    sig = sign_raw(key->pkey, body, len, &siglen);
    if (sig == NULL) {
        err_set(err, errlen, "cannot sign the request: %s",
                sign_ossl_reason(why, sizeof(why)));
        return -1;
    }

    /* Four characters per three bytes, padded, plus the NUL. */
    *b64 = malloc(4 * ((siglen + 2) / 3) + 1);
    if (*b64 == NULL) {
        free(sig);
        err_set(err, errlen, "cannot sign the request: out of memory");
        return -1;
    }
    EVP_EncodeBlock((unsigned char *)*b64, sig, (int)siglen);
    free(sig);
    return 0;
}

static int sign_b64_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           (c >= '0' && c <= '9') || c == '+' || c == '/';
}

/* Strict padded Base64 only: EVP_DecodeBlock would skip surrounding
 * blanks and count padding as zero bytes, so both are handled here. */
static unsigned char *sign_b64_decode(const char *b64, size_t *outlen)
{
    size_t n = strnlen(b64, SIGN_B64_MAX + 1);
    size_t pad = 0;
    unsigned char *buf;
    int got;

    if (n == 0 || n > SIGN_B64_MAX || n % 4 != 0)
        return NULL;
    while (pad < 2 && b64[n - 1 - pad] == '=')
        pad++;
    for (size_t i = 0; i < n - pad; i++)
        if (!sign_b64_char(b64[i]))
            return NULL;

    buf = malloc(n / 4 * 3);
    if (buf == NULL)
        return NULL;
    got = EVP_DecodeBlock(buf, (const unsigned char *)b64, (int)n);
    if (got < 0 || (size_t)got != n / 4 * 3) {
        free(buf);
        return NULL;
    }
    *outlen = (size_t)got - pad;
    return buf;
}

int sign_verify(struct sign_key *pub, const char *body, size_t len,
                const char *b64)
{
    size_t siglen = 0;
    unsigned char *sig;
    EVP_MD_CTX *ctx;
    int ok = 0;

    if (pub == NULL || b64 == NULL)
        return -1;
    sig = sign_b64_decode(b64, &siglen);
    if (sig == NULL)
        return -1;

    ctx = EVP_MD_CTX_new();
    if (ctx != NULL && sign_init(ctx, pub->pkey, 1) == 0)
        ok = EVP_DigestVerify(ctx, sig, siglen, (const unsigned char *)body,
                              len) == 1;

    EVP_MD_CTX_free(ctx);
    free(sig);
    ERR_clear_error();
    return ok ? 0 : -1;
}

/* Creates path for writing with exactly the given mode; refuses to
 * replace an existing file. */
static FILE *sign_create(const char *path, mode_t mode, char *err,
                         size_t errlen)
{
    FILE *fp;
    int fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, mode);

    if (fd < 0) {
        err_set(err, errlen, "cannot create %s: %s", path, strerror(errno));
        return NULL;
    }

    /* The umask may have taken bits away from the public key's mode. */
    if (fchmod(fd, mode) != 0 || (fp = fdopen(fd, "w")) == NULL) {
        err_set(err, errlen, "cannot create %s: %s", path, strerror(errno));
        close(fd);
        unlink(path);
        return NULL;
    }
    return fp;
}

/* Writes one half of the pair and closes fp; NULL or why it failed. */
static const char *sign_write_pem(EVP_PKEY *pkey, FILE *fp, int private,
                                  char *why, size_t whylen)
{
    const char *reason = NULL;
    int ok;

    if (private)
        ok = PEM_write_PrivateKey(fp, pkey, NULL, NULL, 0, NULL, NULL);
    else
        ok = PEM_write_PUBKEY(fp, pkey);

    if (ok != 1)
        reason = sign_ossl_reason(why, whylen);
    else if (fflush(fp) != 0 || fsync(fileno(fp)) != 0)
        reason = strerror(errno);
    if (fclose(fp) != 0 && reason == NULL)
        reason = strerror(errno);
    return reason;
}

/* Makes the key and writes both halves; closes both files either way. */
static int sign_fill_pair(const char *priv_path, const char *pub_path,
                          FILE *priv, FILE *pub, char *err, size_t errlen)
{
    char why[256];
    const char *reason;
    const char *failed = priv_path;
    EVP_PKEY *pkey = EVP_RSA_gen(SIGN_RSA_BITS);

    if (pkey == NULL) {
        err_set(err, errlen, "cannot make an RSA key: %s",
                sign_ossl_reason(why, sizeof(why)));
        fclose(priv);
        fclose(pub);
        return -1;
    }

    reason = sign_write_pem(pkey, priv, 1, why, sizeof(why));
    if (reason == NULL) {
        failed = pub_path;
        reason = sign_write_pem(pkey, pub, 0, why, sizeof(why));
    } else {
        fclose(pub);
    }
    EVP_PKEY_free(pkey);

    if (reason != NULL) {
        err_set(err, errlen, "cannot write %s: %s", failed, reason);
        return -1;
    }
    return 0;
}

/* Both files are created before the key is made, so an existing file
 * stops the run at once and nothing is ever overwritten. */
int sign_generate_pair(const char *priv_path, const char *pub_path, char *err,
                       size_t errlen)
{
    FILE *priv = sign_create(priv_path, 0600, err, errlen);
    FILE *pub;

    if (priv == NULL)
        return -1;
    pub = sign_create(pub_path, 0644, err, errlen);
    if (pub == NULL) {
        fclose(priv);
        unlink(priv_path);
        return -1;
    }

    if (sign_fill_pair(priv_path, pub_path, priv, pub, err, errlen) != 0) {
        unlink(priv_path);
        unlink(pub_path);
        return -1;
    }
    return 0;
}

void sign_key_free(struct sign_key *key)
{
    if (key == NULL)
        return;
    EVP_PKEY_free(key->pkey);
    free(key);
}
