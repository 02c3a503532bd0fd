/*
 * waiting: the QR code, the address, the steps in My Tax, and the state
 * of the background checks.
 */
#include "waiting.h"

#include <curses.h>
#include <limits.h>
#include <stdio.h>
#include <time.h>

#include "charset.h"
#include "clock.h"
#include "intl.h"
#include "qrdraw.h"
#include "term.h"

#define WAITING_TEXT_MIN 36     /* narrowest text column worth showing */
#define WAITING_GAP 2           /* columns between the code and the text */
#define WAITING_CHROME_W 2      /* the body's side margins */
#define WAITING_CHROME_H 4      /* header, blank row, error line, footer */
#define WAITING_REFUSAL_MS 5000 /* how long "nothing sent" stays up */

/* The steps in full for the app and the website, or one shared list when
 * space is short; APART puts the address on its own row under the code
 * and the text, for a text column too narrow to hold it whole. */
enum waiting_detail {
    WAITING_FULL = 0,
    WAITING_SHORT = 1,
    WAITING_FULL_APART = 2,
    WAITING_SHORT_APART = 3,
};

#define WAITING_IS_SHORT(d) (((d)&WAITING_SHORT) != 0)
#define WAITING_IS_APART(d) (((d)&WAITING_FULL_APART) != 0)

static void waiting_hms(int64_t mono_ms, char *out, size_t n)
{
    time_t t = clock_wall_at(mono_ms);
    struct tm tm;

    if (localtime_r(&t, &tm) == NULL || strftime(out, n, "%H:%M:%S", &tm) == 0)
        snprintf(out, n, "--:--:--");
}

/* STATUS: the next check, the last answer, and the last failure. */
static void waiting_status(const struct flow_view *v, int64_t now_ms,
                           struct text_box *b)
{
    int left = screen_countdown_s(v, now_ms);
    char hms[32];

    text_para(b, 0, _("INN: %s"), v->inn_masked);
    if (screen_checking_now(v))
        text_para(b, 2, "%c %s", screen_spinner(now_ms), _("Checking now…"));
    else if (v->refresh_wait_s > 0 &&
             now_ms - v->refresh_refused_ms < WAITING_REFUSAL_MS)
        text_para(b, 0, _("Next check in %d s — nothing sent"),
                  left > 0 ? left : v->refresh_wait_s);
    else if (v->next_check_ms >= 0)
        text_para(b, 0, _("Next check in %d s"), left);

    if (v->last_answer_ms >= 0) {
        waiting_hms(v->last_answer_ms, hms, sizeof(hms));
        text_para(b, 0, _("Last answer at %s"), hms);
    }

    if (v->fault != API_FAULT_NONE) {
        attrset(term_attr(TERM_PAIR_ALERT));
        text_para(b, 0, _("Last check failed: %s. %s"),
                  screen_fault_title(v->fault), v->detail);
        attrset(A_NORMAL);
    }
}

static void waiting_list(struct text_box *b, const char *const *steps, size_t n)
{
    for (size_t i = 0; i < n; i++)
        text_para(b, 3, "%zu. %s", i + 1, _(steps[i]));
}

/* STEPS: where to go in My Tax, for the app and for the website. */
static void waiting_steps(const struct screen *s, enum waiting_detail d,
                          struct text_box *b)
{
    static const char *const app[] = {
        N_("Open Settings → Partners."),
        N_("Find Bank 131 and tap “Suggests linking” (Предлагает "
           "подключиться)."),
        N_("Check the permissions and tap Confirm (Подтвердить)."),
    };
    static const char *const web[] = {
        N_("Open the address above and log in."),
        N_("Go to Settings → Partners and find Bank 131."),
        N_("Click “Suggests linking” (Предлагает подключиться), check the "
           "permissions and click Confirm (Подтвердить)."),
    };

    if (WAITING_IS_APART(d)) {
        text_para(b, 0, "%s", _("Scan the code or open the address below."));
    } else {
        text_para(b, 0, "%s", _("Scan the code or open:"));
        attrset(A_BOLD);
        text_para(b, 0, "%s", s->cfg->mytax_url);
        attrset(A_NORMAL);
    }
    text_gap(b);

    if (WAITING_IS_SHORT(d)) {
        text_para(b, 0, "%s", _("In the My Tax app or on the website:"));
        waiting_list(b, app, 3);
        return;
    }

    text_para(b, 0, "%s", _("In the My Tax app:"));
    waiting_list(b, app, 3);
    text_gap(b);
    text_para(b, 0, "%s", _("On the My Tax website:"));
    waiting_list(b, web, 3);
}

/* The QR mode in use, named as in the qr_mode setting, and why it is
 * not the one chosen when the locale allows only colour. */
static void waiting_mode(const struct screen *s, struct text_box *b)
{
    int mode = qrdraw_mode(s->qr_mode);

    text_para(b, 0, _("QR mode: %s (M: next mode)"), config_qr_mode_name(mode));
    if (mode != s->qr_mode && !charset_utf8())
        text_para(b, 0,
                  _("Only the colour mode works without a UTF-8 "
                    "locale; %s was chosen."),
                  config_qr_mode_name(s->qr_mode));
}

static void waiting_text(const struct screen *s, const struct flow_view *v,
                         int64_t now_ms, enum waiting_detail d,
                         struct text_box *b)
{
    attrset(A_BOLD);
    text_para(b, 0, "%s", _("Waiting for the customer to confirm in My Tax"));
    attrset(A_NORMAL);
    text_gap(b);

    waiting_status(v, now_ms, b);
    if (s->have_qr && !term_colours())
        text_para(b, 0, "%s",
                  _("This terminal cannot show the QR code: read the "
                    "address below to the customer."));
    if (!s->have_qr)
        text_para(b, 0, "%s",
                  _("The QR code could not be made: read the address out "
                    "to the customer."));
    if (s->have_qr && term_colours())
        waiting_mode(s, b);
    text_gap(b);

    waiting_steps(s, d, b);
}

static int waiting_rows(const struct screen *s, const struct flow_view *v,
                        int64_t now_ms, enum waiting_detail d, int w)
{
    struct text_box dry = {0, 0, w, INT_MAX, 1};

    waiting_text(s, v, now_ms, d, &dry);
    return dry.y;
}

/* Rows the side layout needs: the taller of the code and the text, and
 * the address's row when it stands apart. 0 when it cannot be shown
 * without breaking the address in the middle. */
static int waiting_side_rows(const struct screen *s, const struct flow_view *v,
                             int64_t now_ms, enum waiting_detail d, int w)
{
    int qw, qh, tw, rows, url_w = text_width(s->cfg->mytax_url);

    qrdraw_cells(&s->qr, qrdraw_mode(s->qr_mode), &qw, &qh);
    tw = w - qw - WAITING_GAP;
    if (tw < WAITING_TEXT_MIN || (WAITING_IS_APART(d) ? url_w > w : url_w > tw))
        return 0;

    rows = waiting_rows(s, v, now_ms, d, tw);
    if (rows < qh)
        rows = qh;
    return WAITING_IS_APART(d) ? rows + 1 : rows;
}

/* LAYOUT: the code on the left and the text beside it. */
static int waiting_side(const struct screen *s, const struct flow_view *v,
                        int64_t now_ms, enum waiting_detail d,
                        struct text_box *b)
{
    int qw, qh, rows = waiting_side_rows(s, v, now_ms, d, b->w);
    struct text_box t;

    if (rows == 0 || rows > text_left(b))
        return 0;

    qrdraw_cells(&s->qr, qrdraw_mode(s->qr_mode), &qw, &qh);
    qrdraw_draw(&s->qr, s->qr_mode, b->y, b->x, term_attr(TERM_PAIR_QR),
                term_attr(TERM_PAIR_QR_DARK));
    t = (struct text_box){b->y, b->x + qw + WAITING_GAP,
                          b->w - qw - WAITING_GAP, b->bottom, 0};
    waiting_text(s, v, now_ms, d, &t);
    if (!WAITING_IS_APART(d))
        return 1;

    attrset(A_BOLD);
    text_put(b->y + rows - 1, b->x, b->w, s->cfg->mytax_url);
    attrset(A_NORMAL);
    return 1;
}

/* LAYOUT: the code on top and the text under it. */
static int waiting_stacked(const struct screen *s, const struct flow_view *v,
                           int64_t now_ms, enum waiting_detail d,
                           struct text_box *b)
{
    int qw, qh;

    qrdraw_cells(&s->qr, qrdraw_mode(s->qr_mode), &qw, &qh);
    if (WAITING_IS_APART(d) || qw > b->w ||
        qh + waiting_rows(s, v, now_ms, d, b->w) > text_left(b))
        return 0;

    qrdraw_draw(&s->qr, s->qr_mode, b->y, b->x, term_attr(TERM_PAIR_QR),
                term_attr(TERM_PAIR_QR_DARK));
    b->y += qh;
    waiting_text(s, v, now_ms, d, b);
    return 1;
}

/* LAYOUT: too small for the code: the size that fits it side by side,
 * then as much of the text as fits. */
static void waiting_small(const struct screen *s, const struct flow_view *v,
                          int64_t now_ms, struct text_box *b)
{
    int qw, qh, rows, need_w, need_h;

    qrdraw_cells(&s->qr, qrdraw_mode(s->qr_mode), &qw, &qh);
    rows = waiting_rows(s, v, now_ms, WAITING_SHORT, WAITING_TEXT_MIN);
    need_w = qw + WAITING_GAP + WAITING_TEXT_MIN + WAITING_CHROME_W;
    need_h = (qh > rows ? qh : rows) + WAITING_CHROME_H;

    attrset(term_attr(TERM_PAIR_ALERT));
    text_para(b, 0, _("Enlarge the window to %d×%d to show the QR code."),
              need_w, need_h);
    attrset(A_NORMAL);
    text_gap(b);

    waiting_text(s, v, now_ms, WAITING_SHORT, b);
}

void waiting_draw(const struct screen *s, const struct flow_view *v,
                  int64_t now_ms, struct text_box *b)
{
    static const enum waiting_detail details[] = {
        WAITING_FULL, WAITING_SHORT, WAITING_FULL_APART, WAITING_SHORT_APART};

    /* Without colours the code would come out in the terminal's own
     * foreground and background, inverted on a dark theme: no code at
     * all is more honest than one that may not scan. */
    if (!s->have_qr || !term_colours()) {
        waiting_text(s, v, now_ms, WAITING_FULL, b);
        return;
    }

    for (size_t i = 0; i < sizeof(details) / sizeof(details[0]); i++) {
        if (waiting_side(s, v, now_ms, details[i], b) ||
            waiting_stacked(s, v, now_ms, details[i], b))
            return;
    }
    waiting_small(s, v, now_ms, b);
}
