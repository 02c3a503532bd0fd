/*
 * kiosk: the idle timer and the quit question.
 */
#include "kiosk.h"

#include <curses.h>

#include "intl.h"
#include "term.h"
#include "text.h"

#define KIOSK_ESC 27

void kiosk_init(struct kiosk *k, const struct config *cfg, int64_t now_ms)
{
    k->on = cfg->kiosk;
    k->idle_ms = (int64_t)config_idle_s(cfg) * 1000;
    k->last_key_ms = now_ms;
    k->asking = 0;
}

int kiosk_lock(const struct kiosk *k)
{
    return k->on ? term_kiosk() : 0;
}

void kiosk_touch(struct kiosk *k, int key, int64_t now_ms)
{
    if (key != KEY_RESIZE)
        k->last_key_ms = now_ms;
}

int kiosk_ask(struct kiosk *k)
{
    if (!k->on)
        return 0;
    k->asking = 1;
    return 1;
}

int kiosk_answer(struct kiosk *k, int key)
{
    if (key == 'y' || key == 'Y')
        return 1;
    if (key == 'n' || key == 'N' || key == KIOSK_ESC)
        k->asking = 0;
    return 0;
}

int64_t kiosk_idle_left(const struct kiosk *k, int has_customer, int64_t now_ms)
{
    int64_t left;

    if (k->idle_ms <= 0 || !has_customer)
        return -1;
    left = k->last_key_ms + k->idle_ms - now_ms;
    return left > 0 ? left : 0;
}

void kiosk_idled(struct kiosk *k, int64_t now_ms)
{
    k->asking = 0;
    k->last_key_ms = now_ms;
}

void kiosk_draw(const struct kiosk *k)
{
    if (!k->asking || LINES < 1)
        return;

    attrset(term_attr(TERM_PAIR_ALERT) | A_REVERSE);
    mvhline(LINES - 1, 0, ' ', COLS);
    text_put(LINES - 1, 1, COLS - 1, _("Quit npdlink? y/n"));
    attrset(A_NORMAL);
}
