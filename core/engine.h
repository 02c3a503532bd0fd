/*
 * engine: one agent's session: the flow, the network and the audit trail.
 *
 * The front end owns the loop. Each turn it calls engine_wait() with its
 * own descriptors, then engine_step(); it sends commands straight to the
 * flow (engine_flow()) and draws flow_view(). The engine sends what the
 * flow queues, parses replies, feeds them back, and writes audit events.
 */
#ifndef NPD_ENGINE_H
#define NPD_ENGINE_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "flow.h"

struct engine;

/* Loads the key, opens the audit file, prepares the client. */
struct engine *engine_new(const struct config *cfg, char *err, size_t errlen);

/* The same, for a key under a passphrase (NULL for none); the passphrase
 * is not kept. */
struct engine *engine_new_key(const struct config *cfg, const char *passphrase,
                              char *err, size_t errlen);

struct flow *engine_flow(struct engine *e);

/* Sleeps until the network, an extra descriptor or the flow's next timer
 * needs attention, but no longer than max_ms. */
int engine_wait(struct engine *e, struct pollfd *extra, unsigned nextra,
                int max_ms);

/* Delivers finished transfers, runs timers, sends queued requests.
 * Returns 0, or -1 when an audit event could not be written (the reason
 * is in engine_error()). */
int engine_step(struct engine *e, int64_t now_ms);

/* The last error that is not part of the flow (audit, sending). */
const char *engine_error(const struct engine *e);

/* Requests sent so far, per call, since start. */
unsigned long engine_sent(const struct engine *e, enum api_call call);

/* Drops everything in flight; no further requests are sent. */
void engine_stop(struct engine *e);

/* What ends the process, or the session without the agent. */
enum engine_end {
    ENGINE_END_QUIT,
    ENGINE_END_IDLE, /* an idle timer gave up on the customer */
    ENGINE_END_TERMINAL_GONE,
    ENGINE_END_SIGNAL,
};

/* Writes the open session's session_end: its outcome when it reached
 * one, else why. Each session gets exactly one, also when the agent moves
 * on (reason "reset"). Returns -1 when it could not be written (the
 * reason is in engine_error()). */
int engine_end(struct engine *e, enum engine_end why);

/* Ends any open session as ENGINE_END_QUIT, then frees. */
void engine_free(struct engine *e);

#endif
