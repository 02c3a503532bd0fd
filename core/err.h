/*
 * err: the reason strings that go with a -1 return.
 */
#ifndef NPD_ERR_H
#define NPD_ERR_H

#include <stddef.h>

/*
 * Formats a reason into err, truncated to errlen. Does nothing when err is
 * NULL or errlen is 0, so callers may pass whatever they were given.
 */
void err_set(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
