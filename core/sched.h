/*
 * sched: when the next npd/check for an INN may go, and backoff.
 *
 * Bank 131 asks for no more than one npd/check per INN every 30 seconds.
 * The scheduler remembers when each INN was last checked, by a keyed hash
 * (never the INN), and answers how long to wait. Times are milliseconds of
 * a monotonic clock passed in by the caller, so tests drive a fake clock.
 */
#ifndef NPD_SCHED_H
#define NPD_SCHED_H

#include <stdint.h>

#define SCHED_ID_LEN 32
/* One desk sends at most about one npd/check a second (the CLI batch
 * sends one request at a time), so 256 INNs cover more than one gap. */
#define SCHED_SLOTS 256

struct sched_slot {
    unsigned char id[SCHED_ID_LEN];
    int64_t at_ms;
    int used;
};

struct sched {
    int64_t gap_ms;
    struct sched_slot slots[SCHED_SLOTS];
};

void sched_init(struct sched *s, int64_t gap_ms);

/* 0 when a check for id may go now, else the milliseconds left. */
int64_t sched_wait_ms(const struct sched *s, const unsigned char *id,
                      int64_t now_ms);

/* Records that a check for id was sent at now_ms. When every slot is in
 * use, the oldest is reused: its gap has passed unless more than
 * SCHED_SLOTS distinct INNs were noted within one gap, and only then is an
 * INN still inside its gap forgotten (the bank's 429 still holds it). */
void sched_note(struct sched *s, const unsigned char *id, int64_t now_ms);

/* Delay before the next attempt after `failures` failures in a row:
 * base doubled each time, capped, and never below Retry-After. */
int64_t sched_backoff_ms(int failures, int64_t base_ms, int64_t cap_ms,
                         long retry_after_s);

#endif
