/*
 * auditsum: one day's totals from an audit file, for --audit-summary.
 *
 * Counts only; the caller prints. A line that is not an audit event is
 * counted as malformed and skipped, never fatal.
 */
#ifndef NPD_AUDITSUM_H
#define NPD_AUDITSUM_H

#include <stddef.h>

struct auditsum {
    unsigned long lines;     /* every line read, any day */
    unsigned long malformed; /* not JSON, or no event or ts */
    unsigned long sessions;  /* session_end events */
    unsigned long checks;    /* npd/check calls sent */
    unsigned long linked;    /* linked after our request */
    unsigned long already_linked;
    unsigned long not_self_employed;
    unsigned long declined;
    unsigned long link_requests; /* link requests the bank took */
    unsigned long errors_network;
    unsigned long errors_bank;
    unsigned long errors_tax_service;
    unsigned long errors_config;
    unsigned long errors_other;
};

/* Adds one line (without its newline) if its local-time day is date,
 * "YYYY-MM-DD". */
void auditsum_line(struct auditsum *s, const char *line, const char *date);

/* Totals for date over the whole file; -1 with a reason when the file
 * cannot be read or date is not YYYY-MM-DD. */
int auditsum_file(const char *path, const char *date, struct auditsum *out,
                  char *err, size_t errlen);

/* Today's date in local time as "YYYY-MM-DD"; out holds at least 11. */
void auditsum_today(char *out, size_t len);

#endif
