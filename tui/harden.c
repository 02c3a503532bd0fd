/*
 * harden: no core dumps, not dumpable, no TLS key log.
 */
#include "harden.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
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

    /* libcurl would write every TLS session key to this file, and with
     * them a capture of the traffic shows the INNs it carried. */
    unsetenv("SSLKEYLOGFILE");
    return 0;
}
