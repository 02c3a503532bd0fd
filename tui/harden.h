/*
 * harden: process settings every npdlink front end makes first thing.
 */
#ifndef NPD_TUI_HARDEN_H
#define NPD_TUI_HARDEN_H

#include <stddef.h>

/* No core file and no ptrace or /proc peeking by other processes of the
 * same user: memory holds the key, its passphrase and INNs. SSLKEYLOGFILE
 * is dropped from the environment, so no TLS key log is written. -1 with
 * a reason if either of the first two was refused. */
int harden_process(char *err, size_t errlen);

#endif
