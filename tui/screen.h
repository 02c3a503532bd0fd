/*
 * screen: what the agent sees and what each key means, per flow state.
 *
 * Each flow state has one draw function and one key function. Key
 * functions change only the screen's own state (the INN being typed)
 * and return an action; screen_apply() turns the action into a flow
 * command; the main loop alone decides when screen_draw() runs.
 */
#ifndef NPD_TUI_SCREEN_H
#define NPD_TUI_SCREEN_H

#include <stdint.h>

#include "config.h"
#include "flow.h"
#include "person.h"
#include "qr.h"
#include "text.h"

enum screen_action {
    SCREEN_NONE,     /* the key meant nothing here */
    SCREEN_CHANGED,  /* the screen's own state changed: redraw */
    SCREEN_SUBMIT,   /* check the INN typed so far */
    SCREEN_AGREE,    /* the customer agreed to the permissions */
    SCREEN_REFRESH,  /* ask again now, if the gap allows */
    SCREEN_RETRY,    /* try again what failed, or file a new request */
    SCREEN_RESET,    /* next customer: a clean INN screen */
    SCREEN_LANGUAGE, /* switch between English and Russian */
    SCREEN_PERSON,   /* check the name and phone typed in the form */
    SCREEN_QUIT,
};

#define SCREEN_NOTE_MAX 256

struct screen {
    const struct config *cfg; /* borrowed: permissions, My Tax address */
    int sandbox;
    struct qr qr; /* of cfg->mytax_url, made once */
    int have_qr;
    int qr_mode;           /* the enum config_qr_mode wanted; M cycles it */
    char inn[INN_LEN + 1]; /* digits typed; wiped on submit and clear */
    size_t inn_len;
    enum inn_verdict rejected; /* why the last submit was refused */
    int show_rejected;
    char error[SCREEN_NOTE_MAX]; /* engine trouble, "" when none */
    struct person_form form;     /* the data form, over a linked screen */
};

/* Borrows cfg for the screen's lifetime and makes the QR code. */
void screen_init(struct screen *s, const struct config *cfg, int sandbox);

/* Wipes the typed INN and frees the QR code. */
void screen_free(struct screen *s);

enum screen_action screen_key(struct screen *s, const struct flow_view *v,
                              int key);

/* Carries out an action on the flow (SCREEN_QUIT is the caller's). */
void screen_apply(struct screen *s, struct flow *f, enum screen_action a,
                  int64_t now_ms);

/* Shows text as an error line on every screen; NULL or "" clears it.
 * Returns 1 when the line changed. */
int screen_set_error(struct screen *s, const char *text);

/* Paints the whole window (into curses; term_flush() shows it). */
void screen_draw(const struct screen *s, const struct flow_view *v,
                 int64_t now_ms);

/* A value that changes whenever a time-driven part of the screen does
 * (spinner frame, elapsed or countdown seconds). */
long long screen_clock(const struct flow_view *v, int64_t now_ms);

/* Milliseconds until screen_clock() next changes; -1 when it never will
 * without some other event. */
int screen_wake_ms(const struct flow_view *v, int64_t now_ms);

/* Helpers shared with the waiting screen and the data check's screens. */
char screen_spinner(int64_t now_ms);
int screen_countdown_s(const struct flow_view *v, int64_t now_ms);
/* 1 while a check (or the link state query after it) is under way:
 * a request is out, or status polls are still due. */
int screen_checking_now(const struct flow_view *v);
const char *screen_fault_title(enum api_fault fault);

#endif
