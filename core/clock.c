/*
 * clock: the only place in core/ that reads the system clocks.
 */
#include "clock.h"

static int64_t clock_ms(clockid_t id)
{
    struct timespec ts;

    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t clock_mono_ms(void)
{
    return clock_ms(CLOCK_MONOTONIC);
}

int64_t clock_wall_ms(void)
{
    return clock_ms(CLOCK_REALTIME);
}

/* Rounds down, also for instants before the epoch. */
time_t clock_wall_at(int64_t mono_ms)
{
    int64_t wall = clock_ms(CLOCK_REALTIME) + (mono_ms - clock_mono_ms());
    int64_t s = wall / 1000;

    if (wall % 1000 < 0)
        s--;
    return (time_t)s;
}
