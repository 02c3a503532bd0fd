/*
 * failalloc: counts the allocations core makes and fails a chosen one.
 *
 * The test binary is linked with -Wl,--wrap for malloc, calloc, realloc,
 * free, strdup, strndup and asprintf, so calls from the objects linked
 * into it come here; failalloc_init() routes jansson, OpenSSL and libcurl
 * through the same counter. Blocks are tracked by address, so a block
 * from an allocator this file does not see (getline, fopen, libqrencode)
 * may be freed here without being counted.
 */
#ifndef NPD_FAILALLOC_H
#define NPD_FAILALLOC_H

#include <stddef.h>

/* Must run before anything touches OpenSSL, jansson or libcurl; returns
 * -1 when one of them has already allocated. */
int failalloc_init(void);

/* Drops libcurl's global state taken by failalloc_init(). */
void failalloc_done(void);

/* Starts counting allocations; the fail_at-th one (from 1) returns NULL,
 * 0 fails none. */
void failalloc_arm(unsigned long fail_at);

/* Stops counting; returns how many allocations were asked for. */
unsigned long failalloc_disarm(void);

/* 1 when the armed run returned NULL for its chosen allocation. */
int failalloc_injected(void);

/* Tracked blocks not yet freed. */
long failalloc_live(void);

/* While on, jansson's allocations are tracked but never failed: its
 * reader (2.14) can crash when one fails (see docs/KNOWN-LIMITS.md). */
void failalloc_spare_json(int on);

/* The newest allocation so far, to pass to failalloc_report(). */
unsigned long failalloc_mark(void);

/* Prints to stderr where each block made after mark and still live was
 * allocated. */
void failalloc_report(unsigned long since);

#endif
