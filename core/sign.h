/*
 * sign: Bank 131 request signatures.
 *
 * RSA with SHA-256 and PKCS#1 v1.5 padding over the exact body bytes that
 * go on the wire, Base64 (standard alphabet, padded, one line). Everything
 * is done by OpenSSL's EVP interface. Errors come back as -1 and a reason
 * in err (may be NULL), never printed.
 */
#ifndef NPD_SIGN_H
#define NPD_SIGN_H

#include <stddef.h>

struct sign_key; /* an EVP_PKEY, private or public */

/* sign_load_private's result for a passphrase-protected key loaded with
 * a NULL passphrase: ask for one and call again. */
#define SIGN_NEED_PASSPHRASE (-2)

/* Loads a PEM private key. Refuses a file readable by group or others.
 * passphrase may be NULL; it is only read, never copied or kept. An
 * encrypted key without one gives SIGN_NEED_PASSPHRASE, with a wrong one
 * -1 and a reason; other failures -1. */
int sign_load_private(const char *path, const char *passphrase,
                      struct sign_key **out, char *err, size_t errlen);

/* Loads a PEM public key (SubjectPublicKeyInfo). */
int sign_load_public(const char *path, struct sign_key **out, char *err,
                     size_t errlen);

/* Signs body; *b64 is a malloc'd NUL-terminated Base64 string. */
int sign_body(struct sign_key *key, const char *body, size_t len, char **b64,
              char *err, size_t errlen);

/* 0 when b64 is a valid signature of body under the public key, else -1. */
int sign_verify(struct sign_key *pub, const char *body, size_t len,
                const char *b64);

/* Makes a new RSA-2048 pair: private key written 0600, public key 0644.
 * Parent directories must exist. */
int sign_generate_pair(const char *priv_path, const char *pub_path, char *err,
                       size_t errlen);

void sign_key_free(struct sign_key *key);

#endif
