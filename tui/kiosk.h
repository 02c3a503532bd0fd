/*
 * kiosk: the idle timer and the guarded way out.
 *
 * The idle timer counts from the last key press; when it runs out with a
 * customer's data on screen, the main loop wipes it and goes back to an
 * empty INN screen. In kiosk mode quitting asks first ("Quit npdlink?
 * y/n") and the terminal's suspend and quit keys do nothing (term_kiosk()).
 */
#ifndef NPD_TUI_KIOSK_H
#define NPD_TUI_KIOSK_H

#include <stdint.h>

#include "config.h"

struct kiosk {
    int on;              /* kiosk mode */
    int64_t idle_ms;     /* 0: no idle timer */
    int64_t last_key_ms; /* the last key press, or the start */
    int asking;          /* the quit question is on screen */
};

/* Takes kiosk and the idle timeout from cfg; the timer starts at now_ms. */
void kiosk_init(struct kiosk *k, const struct config *cfg, int64_t now_ms);

/* Locks the terminal in kiosk mode (see term_kiosk()); 0 outside it. */
int kiosk_lock(const struct kiosk *k);

/* A key was pressed: restarts the idle timer. A resize is not a key. */
void kiosk_touch(struct kiosk *k, int key, int64_t now_ms);

/* The agent asked to quit: 0 to quit at once (not kiosk), 1 when the
 * question is now on screen instead. */
int kiosk_ask(struct kiosk *k);

/* A key while the question is shown: 1 for yes (quit), 0 otherwise; the
 * question stays until y or n (or Esc) answers it. */
int kiosk_answer(struct kiosk *k, int key);

/* Milliseconds until the idle timer runs out, 0 when it has, -1 when it
 * is off or there is nothing to wipe (has_customer is 0: no customer's
 * data on screen). */
int64_t kiosk_idle_left(const struct kiosk *k, int has_customer,
                        int64_t now_ms);

/* The timer ran out and the screen was wiped: drops the question and
 * starts the timer again. */
void kiosk_idled(struct kiosk *k, int64_t now_ms);

/* Draws the question over the footer line while it is shown. */
void kiosk_draw(const struct kiosk *k);

#endif
