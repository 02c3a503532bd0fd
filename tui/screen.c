/*
 * screen: the frame (header, error line, footer) and one draw and one key
 * function per flow state.
 */
#include "screen.h"

#include <curses.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "intl.h"
#include "lang.h"
#include "perm.h"
#include "term.h"
#include "waiting.h"

#define SCREEN_ESC 27
#define SCREEN_FRAME_MS 100
#define SCREEN_IDLE_MS (-1)
#define SCREEN_MEASURE_ROWS 10000 /* a dry box's height: never full */
#define SCREEN_CONSENT_MIN_W 30   /* narrower, the text is unreadable */
#define SCREEN_CONSENT_W 78       /* the width asked for below that */
#define SCREEN_TALL 16 /* taller windows get a blank row under the header */

typedef void screen_draw_fn(const struct screen *s, const struct flow_view *v,
                            int64_t now_ms, struct text_box *b);
typedef enum screen_action screen_key_fn(struct screen *s, int key);

struct screen_kind {
    screen_draw_fn *draw;
    screen_key_fn *key;
    const char *keys; /* the footer line, marked with N_() */
};

struct screen_hint {
    const char *inn;
    const char *what;
};

/* The sandbox's customers (see the sandbox's scenario table), worded so
 * that no hint repeats the title of a verdict screen. */
static const struct screen_hint screen_hints[] = {
    {"500000000340", N_("agrees in My Tax; shown at the next check, ~30 s")},
    {"500000000413", N_("refuses in My Tax")},
    {"500000000734", N_("for tests: waits for the sandbox's control call")},
    {"500000000276", N_("linked to the bank before the call")},
    {"500000000100", N_("not registered for NPD")},
    {"500000000597", N_("slow tax service")},
    {"500000000660", N_("tax service failure")},
};

static int screen_is_enter(int key)
{
    return key == '\n' || key == '\r' || key == KEY_ENTER;
}

static int screen_is_back(int key)
{
    return key == KEY_BACKSPACE || key == 127 || key == '\b';
}

/* One formatted line, cut to the box. */
__attribute__((format(printf, 2, 3))) static void
screen_linef(struct text_box *b, const char *fmt, ...)
{
    char buf[SCREEN_NOTE_MAX * 2];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);

    text_line(b, buf);
}

/* The region between the header and the error line. */
static struct text_box screen_body(void)
{
    struct text_box b = {LINES > SCREEN_TALL ? 2 : 1, 1, COLS - 2, LINES - 2,
                         0};

    if (COLS < 3) {
        b.x = 0;
        b.w = COLS;
    }
    return b;
}

static void screen_title(struct text_box *b, int attr, const char *text)
{
    attrset(attr);
    text_para(b, 0, "%s", text);
    attrset(A_NORMAL);
    text_gap(b);
}

static void screen_inn(struct text_box *b, const struct flow_view *v)
{
    screen_linef(b, _("INN: %s"), v->inn_masked);
}

char screen_spinner(int64_t now_ms)
{
    static const char frames[] = "|/-\\";

    return frames[(now_ms / SCREEN_FRAME_MS) % 4];
}

int screen_checking_now(const struct flow_view *v)
{
    return v->busy || v->started_ms >= 0;
}

int screen_countdown_s(const struct flow_view *v, int64_t now_ms)
{
    int64_t left = v->next_check_ms - now_ms;

    if (v->next_check_ms < 0 || left <= 0)
        return 0;
    return (int)((left + 999) / 1000);
}

const char *screen_fault_title(enum api_fault fault)
{
    switch (fault) {
    case API_FAULT_NETWORK:
        return _("No connection to Bank 131");
    case API_FAULT_BANK:
        return _("Bank 131 did not answer properly");
    case API_FAULT_TAX_SERVICE:
        return _("The tax service did not answer");
    case API_FAULT_CONFIG:
        return _("npdlink is not set up correctly");
    case API_FAULT_NONE:
        break;
    }
    return _("No definite answer");
}

/* INN: a field of up to twelve digits and why the last one was refused. */
static void screen_draw_inn(const struct screen *s, const struct flow_view *v,
                            int64_t now_ms, struct text_box *b)
{
    char field[INN_LEN + 3];

    (void)v;
    (void)now_ms;
    screen_title(b, A_BOLD, _("Customer's INN (12 digits)"));

    field[0] = '[';
    for (size_t i = 0; i < INN_LEN; i++)
        field[i + 1] = i < s->inn_len ? s->inn[i] : '_';
    field[INN_LEN + 1] = ']';
    field[INN_LEN + 2] = '\0';
    text_line(b, field);
    inn_wipe(field, sizeof(field));

    if (s->show_rejected) {
        attrset(term_attr(TERM_PAIR_ALERT));
        text_para(b, 0, "%s", _(inn_verdict_text(s->rejected)));
        attrset(A_NORMAL);
    }
    text_gap(b);

    text_para(b, 0, "%s",
              _("Type the customer's INN and press Enter. It is checked "
                "on this computer first; only a valid INN goes to "
                "Bank 131."));
    if (!s->sandbox)
        return;

    text_gap(b);
    text_line(b, _("Sandbox customers:"));
    for (size_t i = 0; i < sizeof(screen_hints) / sizeof(screen_hints[0]); i++)
        text_para(b, 14, "%s  %s", screen_hints[i].inn,
                  _(screen_hints[i].what));
}

static enum screen_action screen_key_inn(struct screen *s, int key)
{
    if (key >= '0' && key <= '9') {
        if (s->inn_len >= INN_LEN)
            return SCREEN_NONE;
        s->inn[s->inn_len++] = (char)key;
        s->show_rejected = 0;
        return SCREEN_CHANGED;
    }

    if (screen_is_back(key) && s->inn_len > 0) {
        s->inn[--s->inn_len] = '\0';
        s->show_rejected = 0;
        return SCREEN_CHANGED;
    }

    if (key == SCREEN_ESC) {
        inn_wipe(s->inn, sizeof(s->inn));
        s->inn_len = 0;
        s->show_rejected = 0;
        return SCREEN_CHANGED;
    }

    if (screen_is_enter(key))
        return SCREEN_SUBMIT;
    if (key == 'q' || key == 'Q' || key == KEY_F(10))
        return SCREEN_QUIT;
    return SCREEN_NONE;
}

/* CHECKING: the first check, or the wait for the gap before it. */
static void screen_draw_checking(const struct screen *s,
                                 const struct flow_view *v, int64_t now_ms,
                                 struct text_box *b)
{
    (void)s;
    attrset(A_BOLD);
    text_para(b, 2, "%c %s", screen_spinner(now_ms),
              _("Checking the customer's status…"));
    attrset(A_NORMAL);
    text_gap(b);

    screen_inn(b, v);
    if (v->started_ms >= 0)
        screen_linef(b, _("Elapsed: %d s"),
                     (int)((now_ms - v->started_ms) / 1000));
    if (!v->busy && v->next_check_ms >= 0) {
        screen_linef(b, _("Next check in %d s"), screen_countdown_s(v, now_ms));
        text_para(b, 0, "%s",
                  _("Bank 131 takes one check per INN every 30 seconds."));
    }
}

static enum screen_action screen_key_cancel(struct screen *s, int key)
{
    (void)s;
    return key == SCREEN_ESC ? SCREEN_RESET : SCREEN_NONE;
}

static void screen_draw_not_self(const struct screen *s,
                                 const struct flow_view *v, int64_t now_ms,
                                 struct text_box *b)
{
    (void)s;
    (void)now_ms;
    screen_title(b, A_BOLD, _("Not self-employed"));
    screen_inn(b, v);
    text_gap(b);
    text_para(b, 0, "%s",
              _("The tax service does not list this person as "
                "self-employed. Payouts without a receipt work as for "
                "any individual."));
}

static void screen_draw_already(const struct screen *s,
                                const struct flow_view *v, int64_t now_ms,
                                struct text_box *b)
{
    (void)s;
    (void)now_ms;
    screen_title(b, term_attr(TERM_PAIR_GOOD), _("Already linked to Bank 131"));
    screen_inn(b, v);
    text_gap(b);
    text_para(b, 0, "%s",
              _("The customer is self-employed and ready for payouts "
                "with receipts."));
}

static enum screen_action screen_key_verdict(struct screen *s, int key)
{
    (void)s;
    if (key == SCREEN_ESC || screen_is_enter(key))
        return SCREEN_RESET;
    return SCREEN_NONE;
}

/* D opens the data form on both linked screens. */
static enum screen_action screen_key_already(struct screen *s, int key)
{
    if (key == 'd' || key == 'D') {
        person_open(&s->form);
        return SCREEN_CHANGED;
    }
    return screen_key_verdict(s, key);
}

/* CONSENT: what Bank 131 asks to do, the terms, and the one key that
 * files the request. */
static void screen_consent_text(const struct screen *s, const char *inn_masked,
                                struct text_box *b)
{
    screen_title(b, A_BOLD, _("Self-employed, not linked to Bank 131"));
    screen_linef(b, _("INN: %s"), inn_masked);
    text_gap(b);

    text_para(b, 0, "%s",
              _("Bank 131 asks the customer for these permissions in "
                "My Tax:"));
    for (size_t i = 0; i < s->cfg->npermissions; i++) {
        const char *code = s->cfg->permissions[i];
        const char *words = perm_describe(code);

        text_para(b, 2, "- %s", words ? _(words) : code);
    }
    text_gap(b);

    text_para(b, 0, "%s",
              _("If the customer agrees, Bank 131 may act for them in "
                "My Tax as listed above. They can revoke this at any time "
                "in My Tax → Settings → Partners."));
    text_gap(b);
    attrset(A_BOLD);
    text_para(b, 0, "%s", _("Press Y if the customer agrees."));
    attrset(A_NORMAL);
}

/* Rows the consent text takes at width w, measured by the code that
 * draws it. */
static int screen_consent_rows(const struct screen *s, int w)
{
    struct text_box dry = {0, 0, w, SCREEN_MEASURE_ROWS, 1};

    screen_consent_text(s, "", &dry);
    return dry.y;
}

/* The customer agrees to what they could read: with any permission or
 * the terms cut off, Y does nothing until the window is larger. */
static int screen_consent_fits(const struct screen *s)
{
    struct text_box b = screen_body();

    return b.w >= SCREEN_CONSENT_MIN_W &&
           screen_consent_rows(s, b.w) <= text_left(&b);
}

/* The window height whose body (see screen_body()) holds rows: the
 * header, the error line and the footer, and in a tall window the blank
 * row under the header. */
static int screen_lines_for(int rows)
{
    return rows + 3 <= SCREEN_TALL ? rows + 3 : rows + 4;
}

static void screen_draw_consent(const struct screen *s,
                                const struct flow_view *v, int64_t now_ms,
                                struct text_box *b)
{
    (void)now_ms;
    screen_consent_text(s, v->inn_masked, b);
}

/* CONSENT in a window too small for its text: the size that shows it. */
static void screen_draw_consent_small(const struct screen *s,
                                      const struct flow_view *v, int64_t now_ms,
                                      struct text_box *b)
{
    int w = b->w >= SCREEN_CONSENT_MIN_W ? b->w : SCREEN_CONSENT_W;
    int need_h = screen_lines_for(screen_consent_rows(s, w));

    (void)now_ms;

    attrset(term_attr(TERM_PAIR_ALERT));
    text_para(b, 0,
              _("Enlarge the window to %d×%d to show the permissions and "
                "the terms in full; the customer can agree only to what "
                "they can read."),
              w + 2, need_h);
    attrset(A_NORMAL);
    text_gap(b);
    screen_title(b, A_BOLD, _("Self-employed, not linked to Bank 131"));
    screen_inn(b, v);
}

static enum screen_action screen_key_consent(struct screen *s, int key)
{
    (void)s;
    if (key == 'y' || key == 'Y')
        return SCREEN_AGREE;
    if (key == 'n' || key == 'N' || key == SCREEN_ESC)
        return SCREEN_RESET;
    return SCREEN_NONE;
}

/* The customer agrees to what they could read: no Y here. */
static enum screen_action screen_key_consent_small(struct screen *s, int key)
{
    (void)s;
    if (key == 'n' || key == 'N' || key == SCREEN_ESC)
        return SCREEN_RESET;
    return SCREEN_NONE;
}

static void screen_draw_filing(const struct screen *s,
                               const struct flow_view *v, int64_t now_ms,
                               struct text_box *b)
{
    (void)s;
    attrset(A_BOLD);
    text_para(b, 2, "%c %s", screen_spinner(now_ms),
              _("Filing the linking request…"));
    attrset(A_NORMAL);
    text_gap(b);
    screen_inn(b, v);
}

static enum screen_action screen_key_none(struct screen *s, int key)
{
    (void)s;
    (void)key;
    return SCREEN_NONE;
}

static enum screen_action screen_key_waiting(struct screen *s, int key)
{
    if (key == 'm' || key == 'M') {
        s->qr_mode = (s->qr_mode + 1) % CONFIG_QR_MODES;
        return SCREEN_CHANGED;
    }
    if (key == 'r' || key == 'R' || key == KEY_F(5))
        return SCREEN_REFRESH;
    if (key == SCREEN_ESC)
        return SCREEN_RESET;
    return SCREEN_NONE;
}

static void screen_draw_declined(const struct screen *s,
                                 const struct flow_view *v, int64_t now_ms,
                                 struct text_box *b)
{
    (void)s;
    (void)now_ms;
    screen_title(b, term_attr(TERM_PAIR_ALERT),
                 _("The customer declined, or the request failed"));
    screen_inn(b, v);
    text_gap(b);
    text_para(b, 0, "%s",
              _("No link was made. Press N to file a new request if the "
                "customer wants to try again."));
}

static enum screen_action screen_key_declined(struct screen *s, int key)
{
    (void)s;
    if (key == 'n' || key == 'N')
        return SCREEN_RETRY;
    if (key == SCREEN_ESC)
        return SCREEN_RESET;
    return SCREEN_NONE;
}

static void screen_draw_linked(const struct screen *s,
                               const struct flow_view *v, int64_t now_ms,
                               struct text_box *b)
{
    (void)s;
    (void)now_ms;
    screen_title(b, term_attr(TERM_PAIR_GOOD), _("Linked to Bank 131"));
    screen_inn(b, v);
    text_gap(b);
    text_para(b, 0, "%s",
              _("The customer confirmed in My Tax. Payouts with receipts "
                "can go ahead."));
}

static enum screen_action screen_key_linked(struct screen *s, int key)
{
    if (key == 'd' || key == 'D')
        return screen_key_already(s, key);
    return key == KEY_RESIZE ? SCREEN_NONE : SCREEN_RESET;
}

/* ERROR: who failed and how, each detail on one line cut to the width. */
static void screen_draw_error(const struct screen *s, const struct flow_view *v,
                              int64_t now_ms, struct text_box *b)
{
    (void)s;
    (void)now_ms;
    screen_title(b, term_attr(TERM_PAIR_ALERT), screen_fault_title(v->fault));
    screen_inn(b, v);
    screen_linef(b, _("Call: %s"), api_call_name(v->failed_call));
    if (v->http_status > 0)
        screen_linef(b, _("HTTP status: %ld"), v->http_status);
    if (v->code[0] != '\0')
        screen_linef(b, _("Code: %s"), v->code);
    if (v->detail[0] != '\0')
        screen_linef(b, _("Detail: %s"), v->detail);
    if (v->failures > 1)
        screen_linef(b, _("Failures in a row: %d"), v->failures);
    text_gap(b);

    attrset(A_BOLD);
    text_para(b, 0, "%s", _("This is not an answer about the customer."));
    attrset(A_NORMAL);
}

static enum screen_action screen_key_error(struct screen *s, int key)
{
    (void)s;
    if (key == 'r' || key == 'R' || screen_is_enter(key))
        return SCREEN_RETRY;
    if (key == SCREEN_ESC)
        return SCREEN_RESET;
    return SCREEN_NONE;
}

static void screen_draw_person_checking(const struct screen *s,
                                        const struct flow_view *v,
                                        int64_t now_ms, struct text_box *b)
{
    (void)s;
    person_draw_checking(v, now_ms, b);
}

static void screen_draw_person_result(const struct screen *s,
                                      const struct flow_view *v, int64_t now_ms,
                                      struct text_box *b)
{
    (void)s;
    (void)now_ms;
    person_draw_result(v, b);
}

static const struct screen_kind screen_kinds[] = {
    [FLOW_INN] = {screen_draw_inn, screen_key_inn,
                  N_("Enter check   Backspace delete   Esc clear   "
                     "q quit")},
    [FLOW_CHECKING] = {screen_draw_checking, screen_key_cancel,
                       N_("Esc cancel")},
    [FLOW_NOT_SELF_EMPLOYED] = {screen_draw_not_self, screen_key_verdict,
                                N_("Enter/Esc next customer")},
    [FLOW_ALREADY_LINKED] = {screen_draw_already, screen_key_already,
                             N_("D check the customer's data   "
                                "Enter/Esc next customer")},
    [FLOW_CONSENT] = {screen_draw_consent, screen_key_consent,
                      N_("Y customer agrees   N/Esc next customer")},
    [FLOW_FILING] = {screen_draw_filing, screen_key_none, N_("Please wait")},
    [FLOW_WAITING] = {waiting_draw, screen_key_waiting,
                      N_("R/F5 refresh   M QR mode   Esc next customer")},
    [FLOW_DECLINED] = {screen_draw_declined, screen_key_declined,
                       N_("N new request   Esc next customer")},
    [FLOW_LINKED] = {screen_draw_linked, screen_key_linked,
                     N_("D check the customer's data   "
                        "Any other key: next customer")},
    [FLOW_ERROR] = {screen_draw_error, screen_key_error,
                    N_("R/Enter try again   Esc next customer")},
    [FLOW_PERSON_CHECKING] = {screen_draw_person_checking, screen_key_none,
                              N_("Please wait")},
    [FLOW_PERSON_RESULT] = {screen_draw_person_result, screen_key_linked,
                            N_("D correct the data   "
                               "Any other key: next customer")},
};

static const struct screen_kind screen_form_kind = {
    NULL, NULL, N_("Enter check   Tab next field   Esc back")};

/* Consent in a window too small for its text: no Y, in keys or footer. */
static const struct screen_kind screen_consent_small_kind = {
    screen_draw_consent_small, screen_key_consent_small,
    N_("N/Esc next customer")};

static int screen_form_open(const struct screen *s, const struct flow_view *v)
{
    return s->form.open &&
           (v->state == FLOW_LINKED || v->state == FLOW_ALREADY_LINKED ||
            v->state == FLOW_PERSON_RESULT);
}

static enum screen_action screen_form_key(struct screen *s, int key)
{
    switch (person_key(&s->form, key)) {
    case PERSON_SEND:
        return SCREEN_PERSON;
    case PERSON_BACK:
        person_close(&s->form);
        return SCREEN_CHANGED;
    case PERSON_CHANGED:
        return SCREEN_CHANGED;
    case PERSON_NONE:
        break;
    }
    return SCREEN_NONE;
}

/* After a fault the result screen offers R to try again. */
static int screen_person_retry(const struct flow_view *v, int key)
{
    return v->state == FLOW_PERSON_RESULT && v->fault != API_FAULT_NONE &&
           (key == 'r' || key == 'R');
}

/* The screen for the state, as the window holds it now: drawing and keys
 * both ask here, so what the agent can press is what is shown. */
static const struct screen_kind *screen_kind_of(const struct screen *s,
                                                enum flow_state st)
{
    if ((size_t)st >= sizeof(screen_kinds) / sizeof(screen_kinds[0]))
        return &screen_kinds[FLOW_INN];
    if (st == FLOW_CONSENT && !screen_consent_fits(s))
        return &screen_consent_small_kind;
    return &screen_kinds[st];
}

void screen_init(struct screen *s, const struct config *cfg, int sandbox)
{
    memset(s, 0, sizeof(*s));
    s->cfg = cfg;
    s->sandbox = sandbox;
    s->rejected = INN_OK;
    s->have_qr = qr_make(cfg->mytax_url, &s->qr) == 0;
    s->qr_mode = cfg->qr_mode;
}

void screen_free(struct screen *s)
{
    inn_wipe(s->inn, sizeof(s->inn));
    s->inn_len = 0;
    person_close(&s->form);
    if (s->have_qr)
        qr_free(&s->qr);
    s->have_qr = 0;
}

/* F2 switches the language on every screen; so does `l` on the INN
 * screen, where letters mean nothing else. */
static int screen_is_language(const struct flow_view *v, int key)
{
    return key == KEY_F(2) ||
           (v->state == FLOW_INN && (key == 'l' || key == 'L'));
}

enum screen_action screen_key(struct screen *s, const struct flow_view *v,
                              int key)
{
    int typed = key;

    /* Letter commands work with the Russian layout on; the data form
     * takes letters as typed. */
    key = term_layout_key(key);
    if (key == KEY_RESIZE)
        return SCREEN_NONE;
    if (screen_is_language(v, key))
        return SCREEN_LANGUAGE;
    if (screen_form_open(s, v))
        return screen_form_key(s, typed);
    if (screen_person_retry(v, key))
        return SCREEN_RETRY;
    return screen_kind_of(s, v->state)->key(s, key);
}

static void screen_submit(struct screen *s, struct flow *f, int64_t now_ms)
{
    enum inn_verdict verdict = flow_submit_inn(f, s->inn, now_ms);

    /* A refused INN stays in the field so the agent can fix one digit;
     * an accepted one now lives in the flow only. */
    if (verdict == INN_OK) {
        inn_wipe(s->inn, sizeof(s->inn));
        s->inn_len = 0;
    }
    s->rejected = verdict;
    s->show_rejected = verdict != INN_OK;
}

/* The form closes, its text wiped, once the flow has the data; data the
 * flow refuses stays in the form, marked. */
static void screen_person(struct screen *s, struct flow *f, int64_t now_ms)
{
    struct flow_person d = person_data(&s->form);

    if (flow_personal_info(f, &d, now_ms) == 0)
        person_close(&s->form);
    else
        s->form.refused = 1;
}

void screen_apply(struct screen *s, struct flow *f, enum screen_action a,
                  int64_t now_ms)
{
    switch (a) {
    case SCREEN_PERSON:
        screen_person(s, f, now_ms);
        break;
    case SCREEN_SUBMIT:
        screen_submit(s, f, now_ms);
        break;
    case SCREEN_AGREE:
        flow_agree(f, now_ms);
        break;
    case SCREEN_REFRESH:
        flow_refresh(f, now_ms); /* a refusal shows as refresh_wait_s */
        break;
    case SCREEN_RETRY:
        flow_retry(f, now_ms);
        break;
    case SCREEN_LANGUAGE:
        lang_toggle();
        break;
    case SCREEN_RESET:
        person_close(&s->form);
        flow_reset(f);
        inn_wipe(s->inn, sizeof(s->inn));
        s->inn_len = 0;
        s->show_rejected = 0;
        break;
    case SCREEN_NONE:
    case SCREEN_CHANGED:
    case SCREEN_QUIT:
        break;
    }
}

int screen_set_error(struct screen *s, const char *text)
{
    char next[SCREEN_NOTE_MAX];

    snprintf(next, sizeof(next), "%s", text ? text : "");
    if (strcmp(next, s->error) == 0)
        return 0;

    memcpy(s->error, next, sizeof(next));
    return 1;
}

/* A title cut to room columns ends in "…", so a cut word (a bank's name
 * among them) never reads as a whole one. */
static void screen_put_cut(int y, int x, int room, const char *s)
{
    int n;

    if (text_width(s) <= room) {
        text_put(y, x, room, s);
        return;
    }
    n = text_put(y, x, room - 1, s);
    if (room > 1)
        text_put(y, x + n, 1, "…");
}

/* HEADER: the program's purpose, then at the right edge the language
 * (EN or RU) and SANDBOX. The title is cut before the marks, so the marks
 * stay whole however narrow the window is. */
static void screen_header(const struct screen *s)
{
    const char *mark = _("SANDBOX");
    int mark_w = s->sandbox ? text_width(mark) + 1 : 0;
    int lang_x = COLS - 4 - mark_w; /* "EN", two blanks, then the mark */

    attrset(A_REVERSE);
    mvhline(0, 0, ' ' | A_REVERSE, COLS);
    screen_put_cut(0, 1, lang_x - 2,
                   _("npdlink — Bank 131 self-employed linking"));
    text_put(0, lang_x < 0 ? 0 : lang_x, COLS, lang_code());

    if (s->sandbox) {
        attrset(term_attr(TERM_PAIR_MARK));
        text_put(0, lang_x + 4 < 0 ? 0 : lang_x + 4, COLS, mark);
    }
    attrset(A_NORMAL);
}

/* FOOTER: the keys of this screen, and above it the error line. */
static void screen_footer(const struct screen *s, const struct screen_kind *k)
{
    if (LINES >= 3 && s->error[0] != '\0') {
        attrset(term_attr(TERM_PAIR_ALERT));
        text_put(LINES - 2, 1, COLS - 1, s->error);
    }

    if (LINES >= 2) {
        /* TRANSLATORS: the key that switches to the other language, named
         * in that language, so a reader of either one can find it. */
        const char *other = _("F2 русский");
        int keys_w, other_w = text_width(other);

        attrset(A_REVERSE);
        mvhline(LINES - 1, 0, ' ' | A_REVERSE, COLS);
        keys_w = text_put(LINES - 1, 1, COLS - 1, _(k->keys));
        if (1 + keys_w + 3 + other_w + 1 <= COLS)
            text_put(LINES - 1, COLS - 1 - other_w, other_w, other);
    }
    attrset(A_NORMAL);
}

void screen_draw(const struct screen *s, const struct flow_view *v,
                 int64_t now_ms)
{
    const struct screen_kind *k = screen_kind_of(s, v->state);
    struct text_box body = screen_body();

    erase();
    screen_header(s);
    if (screen_form_open(s, v)) {
        k = &screen_form_kind;
        person_draw_form(&s->form, &body);
    } else {
        k->draw(s, v, now_ms, &body);
    }
    attrset(A_NORMAL);
    screen_footer(s, k);
}

static int screen_animated(const struct flow_view *v)
{
    return v->state == FLOW_CHECKING || v->state == FLOW_FILING ||
           v->state == FLOW_PERSON_CHECKING ||
           (v->state == FLOW_WAITING && screen_checking_now(v));
}

static int screen_counting(const struct flow_view *v)
{
    return (v->state == FLOW_WAITING || v->state == FLOW_CHECKING) &&
           v->next_check_ms >= 0;
}

long long screen_clock(const struct flow_view *v, int64_t now_ms)
{
    long long c = 0;

    if (screen_animated(v)) {
        c = now_ms / SCREEN_FRAME_MS;
        if (v->started_ms >= 0)
            c = c * 1009 + (now_ms - v->started_ms) / 1000;
    }
    if (screen_counting(v))
        c = c * 1013 + screen_countdown_s(v, now_ms);
    return c;
}

int screen_wake_ms(const struct flow_view *v, int64_t now_ms)
{
    int64_t left;

    if (screen_animated(v))
        return SCREEN_FRAME_MS - (int)(now_ms % SCREEN_FRAME_MS);

    if (!screen_counting(v))
        return SCREEN_IDLE_MS;

    left = v->next_check_ms - now_ms;
    if (left <= 0)
        return SCREEN_FRAME_MS;
    return left % 1000 == 0 ? 1000 : (int)(left % 1000);
}
