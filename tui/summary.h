/*
 * summary: npdlink --audit-summary, one day's totals from an audit file.
 */
#ifndef NPD_TUI_SUMMARY_H
#define NPD_TUI_SUMMARY_H

/* Prints the totals for date ("YYYY-MM-DD", NULL for today in local
 * time) to stdout; returns the exit status. */
int summary_main(const char *path, const char *date);

#endif
