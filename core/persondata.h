/*
 * persondata: the body of npd/taxpayer/check_personal_info and the reading
 * of its per-field results, under configurable member names.
 *
 * Bank 131 names the call but publishes neither its body nor its reply,
 * so the member names come from struct flow_config and both reply shapes
 * api_parse() accepts are read here the same way.
 */
#ifndef NPD_PERSONDATA_H
#define NPD_PERSONDATA_H

#include "api.h"
#include "flow.h"

/* The body for inn and p; *sent gets bit (1 << enum flow_field) for each
 * field sent (an empty middle name is left out). NULL when a required
 * field is empty, a value is not valid UTF-8, the name list is neither
 * one nor three names, or memory ran out. */
char *persondata_body(const struct flow_config *cfg, const char *inn,
                      const struct flow_person *p, unsigned *sent);

/* Each field's result: fields not sent are unknown; a field the reply
 * names takes its result; one it does not name matched when the reply
 * listed only differences, else is unknown. */
void persondata_resolve(const struct flow_config *cfg, unsigned sent,
                        const struct api_reply *r,
                        enum flow_match out[FLOW_FIELD_COUNT]);

#endif
