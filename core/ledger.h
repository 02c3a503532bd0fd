/*
 * ledger: the 30 s rule shared by every npdlink process on one host.
 *
 * A small file of fixed-size records, one per recently checked INN: the
 * INN's HMAC-SHA256 under a host-wide secret key (never the INN), the time
 * of its last npd/check, and the claim of the process whose check is out
 * now. Every read-modify-write holds an open-file-description lock on the
 * whole file, so two handles behave like two processes even inside one.
 *
 * Times are wall-clock milliseconds (CLOCK_REALTIME), passed in by the
 * caller: the only clock every process, container and boot agrees on. A
 * record that lies in the future (the clock was set back) counts as "just
 * now", so a clock step never makes anyone wait longer than one gap.
 *
 * The key lives in "<ledger>.key", 32 random bytes made on first use with
 * the ledger's own group bits (0600, or 0660 for a shared ledger).
 */
#ifndef NPD_LEDGER_H
#define NPD_LEDGER_H

#include <stddef.h>
#include <stdint.h>

#define LEDGER_ID_LEN 32
#define LEDGER_RECORDS 4096
#define LEDGER_KEY_LEN 32

struct ledger_opts {
    int64_t gap_ms;    /* between two checks of one INN: 30000 */
    int64_t flight_ms; /* a claim older than this is void */
    int64_t lock_ms;   /* longest wait for the file lock: 200 */
};

struct ledger;

/* Opens or makes the ledger and its key. A new ledger file is made 0600;
 * a group-writable one made by the operator is used as it is. A damaged
 * ledger is rebuilt as for ledger_claim; a damaged key is an error, since
 * a new key would split one INN over two records. */
struct ledger *ledger_open(const char *path, const struct ledger_opts *o,
                           char *err, size_t errlen);

void ledger_close(struct ledger *l);

/* The INN's record key: HMAC-SHA256 under the host-wide key. */
int ledger_id(const struct ledger *l, const char *inn,
              unsigned char id[LEDGER_ID_LEN]);

/* 0 when the caller may send npd/check for id now: the check is then
 * recorded as sent at now_ms and claimed by this handle. Else the
 * milliseconds to wait, because of the gap or because another claim is
 * out. 1000, with nothing written into err, when another process held the
 * file's lock for all of lock_ms: ask again then. -1 when the file cannot
 * be used (it cannot be locked, read or written); the caller may then let
 * the check go under its own gap.
 *
 * A damaged file is rebuilt empty; the call then goes on and succeeds,
 * and the reason is still written into err, so callers that want to
 * report it start with err[0] == '\0' and look afterwards. */
int64_t ledger_claim(struct ledger *l, const unsigned char id[LEDGER_ID_LEN],
                     int64_t now_ms, char *err, size_t errlen);

/* The reply to a claimed check came at now_ms: the gap counts from here,
 * and this handle's claim ends. Errors and rebuilds as for ledger_claim,
 * except that a lock held for all of lock_ms is an error here (-1): the
 * claim then ends by its age (flight_ms). */
int ledger_release(struct ledger *l, const unsigned char id[LEDGER_ID_LEN],
                   int64_t now_ms, char *err, size_t errlen);

#endif
