/*
 * person: the small form for the customer's name and phone, and the
 * screens of the personal data check.
 *
 * The form is the front end's own state: the flow only gets the data on
 * Enter. What was typed is personal data, wiped when the form closes.
 */
#ifndef NPD_TUI_PERSON_H
#define NPD_TUI_PERSON_H

#include <stddef.h>
#include <stdint.h>

#include "flow.h"
#include "text.h"

#define PERSON_FIELD_MAX 128

enum person_part {
    PERSON_LAST,
    PERSON_FIRST,
    PERSON_MIDDLE,
    PERSON_PHONE,
    PERSON_PARTS
};

struct person_form {
    int open;
    enum person_part at; /* the field being typed */
    char text[PERSON_PARTS][PERSON_FIELD_MAX];
    int refused; /* the last Enter was refused: a field is missing */
};

enum person_action {
    PERSON_NONE,
    PERSON_CHANGED,
    PERSON_SEND,
    PERSON_BACK,
};

void person_open(struct person_form *p);

/* Closes the form and wipes what was typed. */
void person_close(struct person_form *p);

/* Bytes of a UTF-8 key sequence arrive one key at a time and are kept
 * as they come; Tab and the arrows move between fields. */
enum person_action person_key(struct person_form *p, int key);

/* The data as the flow takes it; borrows the form's text. */
struct flow_person person_data(const struct person_form *p);

void person_draw_form(const struct person_form *p, struct text_box *b);
void person_draw_checking(const struct flow_view *v, int64_t now_ms,
                          struct text_box *b);
void person_draw_result(const struct flow_view *v, struct text_box *b);

#endif
