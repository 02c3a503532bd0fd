/*
 * passphrase: asks for the private key's passphrase before curses starts,
 * and only when the key is encrypted.
 */
#ifndef NPD_TUI_PASSPHRASE_H
#define NPD_TUI_PASSPHRASE_H

#include <stddef.h>

/* 0 with buf "" when key_file needs no passphrase (or cannot be read:
 * loading it later says why); 1 with the passphrase typed on the
 * controlling terminal, without echo; -1 with a reason when none could be
 * read. The caller wipes buf with OPENSSL_cleanse(). */
int passphrase_ask(const char *key_file, char *buf, size_t len, char *err,
                   size_t errlen);

#endif
