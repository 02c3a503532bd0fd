/*
 * summary: prints what core/auditsum.c counted, one "name: number" line
 * each, so a script can read it as easily as a person.
 */
#include "summary.h"

#include <stdio.h>

#include "auditsum.h"

#define SUMMARY_EXIT_FAIL 1

static void summary_print(const char *path, const char *date,
                          const struct auditsum *s)
{
    printf("audit file: %s\n", path);
    printf("date: %s\n", date);
    printf("sessions: %lu\n", s->sessions);
    printf("checks: %lu\n", s->checks);
    printf("linked: %lu\n", s->linked);
    printf("already linked: %lu\n", s->already_linked);
    printf("not self-employed: %lu\n", s->not_self_employed);
    printf("declined: %lu\n", s->declined);
    printf("link requests filed: %lu\n", s->link_requests);
    printf("errors: %lu\n", s->errors_network + s->errors_bank +
                                s->errors_tax_service + s->errors_config +
                                s->errors_other);
    printf("  network: %lu\n", s->errors_network);
    printf("  bank: %lu\n", s->errors_bank);
    printf("  tax service: %lu\n", s->errors_tax_service);
    printf("  config: %lu\n", s->errors_config);
    printf("  other: %lu\n", s->errors_other);
    printf("malformed lines: %lu of %lu\n", s->malformed, s->lines);
}

int summary_main(const char *path, const char *date)
{
    struct auditsum s;
    char today[16];
    char err[600];

    if (date == NULL) {
        auditsum_today(today, sizeof(today));
        date = today;
    }
    if (auditsum_file(path, date, &s, err, sizeof(err)) < 0) {
        fprintf(stderr, "npdlink: %s\n", err);
        return SUMMARY_EXIT_FAIL;
    }

    summary_print(path, date, &s);
    if (s.malformed > 0)
        fprintf(stderr, "npdlink: %lu malformed lines in %s were skipped\n",
                s.malformed, path);
    return fflush(stdout) == 0 ? 0 : SUMMARY_EXIT_FAIL;
}
