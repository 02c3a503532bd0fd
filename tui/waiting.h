/*
 * waiting: the screen shown while the customer confirms in My Tax: the
 * QR code, the address, the steps, and when the next check goes.
 */
#ifndef NPD_TUI_WAITING_H
#define NPD_TUI_WAITING_H

#include <stdint.h>

#include "flow.h"
#include "screen.h"
#include "text.h"

/* Lays the QR code and the text out in the body box b: side by side when
 * wide enough, else the code above the text, else a request to enlarge
 * the window with the size needed. */
void waiting_draw(const struct screen *s, const struct flow_view *v,
                  int64_t now_ms, struct text_box *b);

#endif
