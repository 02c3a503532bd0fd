/*
 * launch: starting the built-in sandbox for `npdlink --sandbox`.
 *
 * The sandbox is its own program. It is started on a free loopback port
 * with the public half of a key pair made on first use; it dies with its
 * parent. Its output goes to a log file, never to the terminal.
 */
#ifndef NPD_LAUNCH_H
#define NPD_LAUNCH_H

#include <stddef.h>
#include <sys/types.h>

struct launch {
    pid_t pid;
    int port;
    int in_fd; /* our end of the sandbox's stdin; closing it stops it */
};

/* The directory for sandbox keys and logs:
 * $XDG_STATE_HOME/npdlink or ~/.local/state/npdlink, created 0700. */
int launch_state_dir(char *out, size_t n, char *err, size_t errlen);

/* Makes the key pair in dir when missing; fills both paths. */
int launch_keys(const char *dir, char *priv, char *pub, size_t n, char *err,
                size_t errlen);

/* Starts the sandbox program at exe; waits for it to report its port. */
int launch_start(const char *exe, const char *pubkey, const char *logfile,
                 int confirm_delay_s, struct launch *out, char *err,
                 size_t errlen);

void launch_stop(struct launch *l);

#endif
