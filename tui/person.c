/*
 * person: the data form and the result of the personal data check.
 */
#include "person.h"

#include <curses.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <wchar.h>

#include "inn.h"
#include "intl.h"
#include "screen.h"
#include "term.h"

#define PERSON_ESC 27
#define PERSON_TAB '\t'

static const char *const person_labels[PERSON_PARTS] = {
    N_("Last name"),
    N_("First name"),
    N_("Middle name (if any)"),
    N_("Phone"),
};

void person_open(struct person_form *p)
{
    person_close(p);
    p->open = 1;
}

void person_close(struct person_form *p)
{
    inn_wipe(p, sizeof(*p));
    memset(p, 0, sizeof(*p));
}

/* Drops the last character, whole: UTF-8 continuation bytes with it. */
static void person_backspace(char *s)
{
    size_t n = strlen(s);

    while (n > 0 && ((unsigned char)s[n - 1] & 0xc0) == 0x80)
        s[--n] = '\0';
    if (n > 0)
        s[--n] = '\0';
}

/* A typed character, in the locale's encoding; curses key codes and
 * control characters are not text. */
static int person_add(char *s, int key)
{
    size_t n = strlen(s);
    char mb[MB_LEN_MAX];
    mbstate_t st;
    size_t len;

    if (key < 0x20 || key == 0x7f || (key >= KEY_MIN && key <= KEY_MAX))
        return 0;

    memset(&st, 0, sizeof(st));
    len = wcrtomb(mb, (wchar_t)key, &st);
    if (len == (size_t)-1 || n + len >= PERSON_FIELD_MAX)
        return 0;
    memcpy(s + n, mb, len);
    s[n + len] = '\0';
    return 1;
}

static int person_blank(const char *s)
{
    return s[strspn(s, " ")] == '\0';
}

static enum person_action person_enter(struct person_form *p)
{
    if (person_blank(p->text[PERSON_LAST]) ||
        person_blank(p->text[PERSON_FIRST]) ||
        person_blank(p->text[PERSON_PHONE])) {
        p->refused = 1;
        return PERSON_CHANGED;
    }
    return PERSON_SEND;
}

enum person_action person_key(struct person_form *p, int key)
{
    char *s = p->text[p->at];

    if (key == PERSON_ESC)
        return PERSON_BACK;
    if (key == '\n' || key == '\r' || key == KEY_ENTER)
        return person_enter(p);
    if (key == PERSON_TAB || key == KEY_DOWN) {
        p->at = (enum person_part)((p->at + 1) % PERSON_PARTS);
        return PERSON_CHANGED;
    }
    if (key == KEY_BTAB || key == KEY_UP) {
        p->at = (enum person_part)((p->at + PERSON_PARTS - 1) % PERSON_PARTS);
        return PERSON_CHANGED;
    }
    if (key == KEY_BACKSPACE || key == 127 || key == '\b') {
        person_backspace(s);
        return PERSON_CHANGED;
    }
    return person_add(s, key) ? PERSON_CHANGED : PERSON_NONE;
}

struct flow_person person_data(const struct person_form *p)
{
    struct flow_person d = {p->text[PERSON_LAST], p->text[PERSON_FIRST],
                            p->text[PERSON_MIDDLE], p->text[PERSON_PHONE]};

    return d;
}

void person_draw_form(const struct person_form *p, struct text_box *b)
{
    attrset(A_BOLD);
    text_line(b, _("Check the customer's data"));
    attrset(A_NORMAL);
    text_gap(b);
    text_para(b, 0, "%s",
              _("Type the name and phone as the customer gives them; the "
                "tax service's records are compared."));
    text_gap(b);

    for (int i = 0; i < PERSON_PARTS; i++) {
        char line[PERSON_FIELD_MAX + 96];

        snprintf(line, sizeof(line), "%s %s: %s%s", i == (int)p->at ? ">" : " ",
                 _(person_labels[i]), p->text[i], i == (int)p->at ? "_" : "");
        text_line(b, line);
        inn_wipe(line, sizeof(line));
    }

    if (p->refused) {
        text_gap(b);
        attrset(term_attr(TERM_PAIR_ALERT));
        text_para(b, 0, "%s", _("Last name, first name and phone are needed."));
        attrset(A_NORMAL);
    }
}

void person_draw_checking(const struct flow_view *v, int64_t now_ms,
                          struct text_box *b)
{
    char line[160];

    snprintf(line, sizeof(line), "%c %s", screen_spinner(now_ms),
             _("Checking the customer's data with the tax service..."));
    text_line(b, line);
    text_line(b, v->inn_masked);
}

static const char *person_word(enum flow_match m)
{
    switch (m) {
    case FLOW_MATCH_YES:
        return _("matches");
    case FLOW_MATCH_NO:
        return _("differs from the tax service's records");
    case FLOW_MATCH_UNKNOWN:
        break;
    }
    return _("not checked");
}

static void person_draw_fault(const struct flow_view *v, struct text_box *b)
{
    attrset(term_attr(TERM_PAIR_ALERT));
    text_line(b, screen_fault_title(v->fault));
    attrset(A_NORMAL);
    if (v->detail[0] != '\0')
        text_para(b, 0, _("Detail: %s"), v->detail);
    text_gap(b);
    text_para(b, 0, "%s", _("The data was not checked. R tries again."));
}

void person_draw_result(const struct flow_view *v, struct text_box *b)
{
    static const char *const labels[FLOW_FIELD_COUNT] = {
        N_("INN"), N_("Last name"), N_("First name"), N_("Middle name"),
        N_("Phone")};

    attrset(A_BOLD);
    text_line(b, _("The customer's data and the tax service's records"));
    attrset(A_NORMAL);
    text_para(b, 0, _("Checked for INN %s"), v->inn_masked);
    text_gap(b);
    if (v->fault != API_FAULT_NONE) {
        person_draw_fault(v, b);
        return;
    }

    for (int i = 0; i < FLOW_FIELD_COUNT; i++) {
        attrset(v->person[i] == FLOW_MATCH_NO ? term_attr(TERM_PAIR_ALERT)
                                              : (int)A_NORMAL);
        text_para(b, 2, "%s: %s", _(labels[i]), person_word(v->person[i]));
    }
    attrset(A_NORMAL);
}
