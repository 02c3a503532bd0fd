/*
 * sched: per-INN check spacing by keyed hash, and retry backoff.
 */
#include "sched.h"

#include <string.h>

void sched_init(struct sched *s, int64_t gap_ms)
{
    memset(s, 0, sizeof(*s));
    s->gap_ms = gap_ms;
}

static int sched_find(const struct sched *s, const unsigned char *id)
{
    for (int i = 0; i < SCHED_SLOTS; i++) {
        if (s->slots[i].used && memcmp(s->slots[i].id, id, SCHED_ID_LEN) == 0)
            return i;
    }
    return -1;
}

int64_t sched_wait_ms(const struct sched *s, const unsigned char *id,
                      int64_t now_ms)
{
    int i = sched_find(s, id);
    if (i < 0)
        return 0;

    int64_t ready = s->slots[i].at_ms + s->gap_ms;
    return ready > now_ms ? ready - now_ms : 0;
}

/* A free slot first, then the oldest one, which is expired whenever any
 * is. When every slot is still inside the gap (more than SCHED_SLOTS INNs
 * in one gap) the oldest is taken anyway: forgetting the oldest INN is
 * safer than not recording the one being checked now. */
static int sched_pick(const struct sched *s)
{
    int oldest = 0;

    for (int i = 0; i < SCHED_SLOTS; i++) {
        if (!s->slots[i].used)
            return i;
        if (s->slots[i].at_ms < s->slots[oldest].at_ms)
            oldest = i;
    }
    return oldest;
}

void sched_note(struct sched *s, const unsigned char *id, int64_t now_ms)
{
    int i = sched_find(s, id);
    if (i < 0)
        i = sched_pick(s);

    memcpy(s->slots[i].id, id, SCHED_ID_LEN);
    s->slots[i].at_ms = now_ms;
    s->slots[i].used = 1;
}

int64_t sched_backoff_ms(int failures, int64_t base_ms, int64_t cap_ms,
                         long retry_after_s)
{
    int64_t delay = base_ms;

    for (int n = 0; n < failures && delay < cap_ms; n++)
        delay = delay > INT64_MAX / 2 ? INT64_MAX : delay * 2;
    if (failures > 0 && delay > cap_ms)
        delay = cap_ms;

    if (retry_after_s > 0) {
        int64_t floor_ms = retry_after_s > INT64_MAX / 1000
                               ? INT64_MAX
                               : (int64_t)retry_after_s * 1000;
        if (delay < floor_ms)
            delay = floor_ms;
    }
    return delay;
}
