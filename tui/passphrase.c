/*
 * passphrase: the key is loaded once without a passphrase to learn
 * whether it needs one; OpenSSL's own prompt reads it from /dev/tty with
 * echo off.
 */
#include "passphrase.h"

#include <stdio.h>

#include <openssl/evp.h>

#include "sign.h"

int passphrase_ask(const char *key_file, char *buf, size_t len, char *err,
                   size_t errlen)
{
    struct sign_key *k = NULL;
    char prompt[600];

    buf[0] = '\0';
    if (sign_load_private(key_file, NULL, &k, NULL, 0) !=
        SIGN_NEED_PASSPHRASE) {
        sign_key_free(k);
        return 0;
    }

    snprintf(prompt, sizeof(prompt), "Passphrase for %s: ", key_file);
    if (EVP_read_pw_string(buf, (int)len, prompt, 0) != 0) {
        buf[0] = '\0';
        snprintf(err, errlen, "no passphrase read for key file %s", key_file);
        return -1;
    }
    return 1;
}
