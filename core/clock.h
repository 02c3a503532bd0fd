/*
 * clock: the real clocks; the rest of core/ reads the time only through
 * these, and most of it takes time as an argument instead.
 */
#ifndef NPD_CLOCK_H
#define NPD_CLOCK_H

#include <stdint.h>
#include <time.h>

/* Milliseconds of CLOCK_MONOTONIC. */
int64_t clock_mono_ms(void);

/* Milliseconds of CLOCK_REALTIME, for times shared with other processes. */
int64_t clock_wall_ms(void);

/* The wall-clock time at which monotonic time mono_ms was (or will be). */
time_t clock_wall_at(int64_t mono_ms);

#endif
