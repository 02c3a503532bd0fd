/*
 * persondata: the personal data check's body and results. See persondata.h.
 */
#include "persondata.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inn.h"

#define PERSONDATA_NAME_MAX API_FIELD_NAME_MAX
#define PERSONDATA_JOINED_MAX 512

/* The i-th name of the comma-separated list, spaces trimmed; returns how
 * many names the list holds. */
static size_t persondata_list(const char *list, size_t want, char *out,
                              size_t outlen)
{
    size_t n = 0;
    const char *p = list;

    out[0] = '\0';
    for (;;) {
        size_t len = strcspn(p, ",");
        const char *a = p, *z = p + len;

        while (a < z && *a == ' ')
            a++;
        while (z > a && z[-1] == ' ')
            z--;
        if (n == want)
            snprintf(out, outlen, "%.*s", (int)(z - a), a);
        n++;
        if (p[len] == '\0')
            return n;
        p += len + 1;
    }
}

/* The member name of field f; "" when the configuration has none. */
static void persondata_name_of(const struct flow_config *cfg, enum flow_field f,
                               char out[PERSONDATA_NAME_MAX])
{
    size_t count;

    out[0] = '\0';
    if (f == FLOW_FIELD_INN) {
        snprintf(out, PERSONDATA_NAME_MAX, "%s", cfg->person_inn_field);
        return;
    }
    if (f == FLOW_FIELD_PHONE) {
        snprintf(out, PERSONDATA_NAME_MAX, "%s", cfg->person_phone_field);
        return;
    }

    count =
        persondata_list(cfg->person_name_fields, 0, out, PERSONDATA_NAME_MAX);
    if (count == 3)
        persondata_list(cfg->person_name_fields, (size_t)f - FLOW_FIELD_LAST,
                        out, PERSONDATA_NAME_MAX);
    else if (count != 1)
        out[0] = '\0';
}

static int persondata_filled(const char *s)
{
    return s != NULL && s[strspn(s, " ")] != '\0';
}

/* One name for the whole name: "last first middle". */
static void persondata_join(const struct flow_person *p, char *out, size_t len)
{
    snprintf(out, len, "%s %s%s%s", p->last, p->first,
             persondata_filled(p->middle) ? " " : "",
             persondata_filled(p->middle) ? p->middle : "");
}

char *persondata_body(const struct flow_config *cfg, const char *inn,
                      const struct flow_person *p, unsigned *sent)
{
    char names[FLOW_FIELD_COUNT][PERSONDATA_NAME_MAX],
        joined[PERSONDATA_JOINED_MAX];
    const char *keys[FLOW_FIELD_COUNT], *vals[FLOW_FIELD_COUNT];
    const char *given[FLOW_FIELD_COUNT] = {inn, p->last, p->first, p->middle,
                                           p->phone};
    size_t n = 0, count;
    char *body;

    *sent = 0;
    if (!persondata_filled(p->last) || !persondata_filled(p->first) ||
        !persondata_filled(p->phone))
        return NULL;

    count = persondata_list(cfg->person_name_fields, 0, joined, sizeof(joined));
    if (count != 1 && count != 3)
        return NULL;
    if (count == 1) {
        persondata_join(p, joined, sizeof(joined));
        given[FLOW_FIELD_LAST] = joined;
        given[FLOW_FIELD_FIRST] = given[FLOW_FIELD_MIDDLE] = NULL;
    }

    for (int f = 0; f < FLOW_FIELD_COUNT; f++) {
        persondata_name_of(cfg, (enum flow_field)f, names[f]);
        if (!names[f][0] || !persondata_filled(given[f]))
            continue;
        keys[n] = names[f];
        vals[n++] = given[f];
        *sent |= 1u << f;
    }
    if (count == 1 && persondata_filled(p->middle))
        *sent |= 1u << FLOW_FIELD_FIRST | 1u << FLOW_FIELD_MIDDLE;
    else if (count == 1)
        *sent |= 1u << FLOW_FIELD_FIRST;

    body = api_body_fields(keys, vals, n);
    inn_wipe(joined, sizeof(joined));
    return body;
}

static const struct api_field *persondata_find(const struct api_reply *r,
                                               const char *name)
{
    for (size_t i = 0; i < r->nfields; i++)
        if (strcmp(r->fields[i].name, name) == 0)
            return &r->fields[i];
    return NULL;
}

void persondata_resolve(const struct flow_config *cfg, unsigned sent,
                        const struct api_reply *r,
                        enum flow_match out[FLOW_FIELD_COUNT])
{
    char name[PERSONDATA_NAME_MAX];

    for (int f = 0; f < FLOW_FIELD_COUNT; f++) {
        const struct api_field *got;

        out[f] = FLOW_MATCH_UNKNOWN;
        if (!(sent & (1u << f)))
            continue;

        persondata_name_of(cfg, (enum flow_field)f, name);
        got = name[0] ? persondata_find(r, name) : NULL;
        if (got != NULL)
            out[f] = got->matches ? FLOW_MATCH_YES : FLOW_MATCH_NO;
        else if (r->fields_listed)
            out[f] = FLOW_MATCH_YES;
    }
}
