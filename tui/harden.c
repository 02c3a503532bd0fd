/*
 * harden: no core dumps, not dumpable.
 */
#include "harden.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>

int harden_process(char *err, size_t errlen)
{
    struct rlimit none = {0, 0};

    if (setrlimit(RLIMIT_CORE, &none) != 0) {
        snprintf(err, errlen, "cannot turn core dumps off: %s",
                 strerror(errno));
        return -1;
    }

    /* Also keeps a core out of a pipe handler such as systemd-coredump,
     * which RLIMIT_CORE alone does not. */
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
        snprintf(err, errlen, "cannot mark the process undumpable: %s",
                 strerror(errno));
        return -1;
    }
    return 0;
}
