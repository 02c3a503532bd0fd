/*
 * launch: the sandbox as a child process, tied to our lifetime twice:
 * by the parent-death signal and by the end of its stdin, which only we
 * hold open.
 */
#include "launch.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "err.h"
#include "sign.h"

#define LAUNCH_PORT_WAIT_MS 5000
#define LAUNCH_GRACE_MS 1500
#define LAUNCH_LINE_MAX 64
#define LAUNCH_FD_SCAN_MAX 65536

/* What the child reports through the status pipe when it cannot exec. */
enum launch_stage {
    LAUNCH_STAGE_PARENT, /* the parent was already gone */
    LAUNCH_STAGE_LOG,    /* opening the log file */
    LAUNCH_STAGE_DUP,    /* setting up stdin, stdout and stderr */
    LAUNCH_STAGE_EXEC,   /* execv itself */
};

struct launch_fail {
    int stage;
    int error;
};

/* Everything the child needs, prepared before fork: after fork only
 * async-signal-safe calls are made. */
struct launch_child {
    pid_t parent;
    const char *logfile;
    int stdin_rd, stdout_wr, status_wr;
    char *argv[10];
};

/* mkdir -p: missing directories are made 0700, existing ones are kept. */
static int launch_mkdirs(const char *path, char *err, size_t errlen)
{
    char buf[4096];
    struct stat st;
    size_t len = strlen(path);

    if (len >= sizeof buf) {
        err_set(err, errlen, "state directory path is too long");
        return -1;
    }
    memcpy(buf, path, len + 1);

    for (size_t i = 1; i <= len; i++) {
        if (buf[i] != '/' && buf[i] != '\0')
            continue;
        buf[i] = '\0';
        if (mkdir(buf, 0700) != 0 && errno != EEXIST) {
            err_set(err, errlen, "cannot create %s: %s", buf, strerror(errno));
            return -1;
        }
        buf[i] = path[i];
    }

    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
        err_set(err, errlen, "%s is not a directory", path);
        return -1;
    }
    return 0;
}

int launch_state_dir(char *out, size_t n, char *err, size_t errlen)
{
    const char *xdg = getenv("XDG_STATE_HOME");
    const char *home = getenv("HOME");
    int len;

    /* The XDG rules say a relative XDG_STATE_HOME is to be ignored. */
    if (xdg != NULL && xdg[0] == '/')
        len = snprintf(out, n, "%s/npdlink", xdg);
    else if (home != NULL && home[0] == '/')
        len = snprintf(out, n, "%s/.local/state/npdlink", home);
    else {
        err_set(err, errlen,
                "cannot find a state directory: set HOME or "
                "XDG_STATE_HOME to an absolute path");
        return -1;
    }

    if (len < 0 || (size_t)len >= n) {
        err_set(err, errlen, "state directory path is too long");
        return -1;
    }
    return launch_mkdirs(out, err, errlen);
}

int launch_keys(const char *dir, char *priv, char *pub, size_t n, char *err,
                size_t errlen)
{
    int a = snprintf(priv, n, "%s/sandbox-key.pem", dir);
    int b = snprintf(pub, n, "%s/sandbox-key.pub.pem", dir);

    if (a < 0 || b < 0 || (size_t)a >= n || (size_t)b >= n) {
        err_set(err, errlen, "key file path is too long");
        return -1;
    }
    if (access(priv, F_OK) == 0 && access(pub, F_OK) == 0)
        return 0;

    /* Half a pair is no use: make both again. */
    unlink(priv);
    unlink(pub);
    return sign_generate_pair(priv, pub, err, errlen);
}

/* Closes every descriptor from 3 up except keep (>= 3). */
static void launch_close_others(int keep)
{
    int ok = 1;

    if (keep > 3)
        ok = close_range(3, (unsigned)keep - 1, 0) == 0;
    if (ok && close_range((unsigned)keep + 1, ~0U, 0) == 0)
        return;

    for (int fd = 3; fd < LAUNCH_FD_SCAN_MAX; fd++)
        if (fd != keep)
            close(fd);
}

__attribute__((noreturn)) static void launch_child_fail(int fd, int stage,
                                                        int error)
{
    struct launch_fail f = {stage, error};
    ssize_t n = write(fd, &f, sizeof f);

    (void)n;
    _exit(127);
}

/* The defaults the sandbox expects, with sigaction(): signal() is not on
 * the async-signal-safe list a child of fork may use. */
static void launch_child_signals(void)
{
    static const int sigs[] = {SIGTERM, SIGINT, SIGPIPE};
    struct sigaction sa;
    sigset_t none;
    size_t i;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_DFL;
    sigemptyset(&sa.sa_mask);
    for (i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        sigaction(sigs[i], &sa, NULL);

    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
}

__attribute__((noreturn)) static void launch_child(const struct launch_child *c)
{
    int logfd;

    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != c->parent)
        launch_child_fail(c->status_wr, LAUNCH_STAGE_PARENT, 0);

    launch_child_signals();

    logfd = open(c->logfile, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (logfd < 0)
        launch_child_fail(c->status_wr, LAUNCH_STAGE_LOG, errno);
    if (dup2(c->stdin_rd, STDIN_FILENO) < 0 ||
        dup2(c->stdout_wr, STDOUT_FILENO) < 0 || dup2(logfd, STDERR_FILENO) < 0)
        launch_child_fail(c->status_wr, LAUNCH_STAGE_DUP, errno);

    launch_close_others(c->status_wr);
    execv(c->argv[0], c->argv);
    launch_child_fail(c->status_wr, LAUNCH_STAGE_EXEC, errno);
}

/* Waits up to ms for pid to exit; 1 when it has (status in *st). */
static int launch_reap(pid_t pid, int64_t ms, int *st)
{
    int64_t until = clock_mono_ms() + ms;
    struct timespec tick = {0, 10 * 1000 * 1000};

    for (;;) {
        pid_t r = waitpid(pid, st, WNOHANG);

        if (r == pid || (r < 0 && errno == ECHILD))
            return 1;
        if (r < 0 && errno != EINTR)
            return 1;
        if (clock_mono_ms() >= until)
            return 0;
        nanosleep(&tick, NULL);
    }
}

/* Stops pid for good: SIGTERM, a grace period, then SIGKILL. */
static void launch_kill(pid_t pid)
{
    int st;

    kill(pid, SIGTERM);
    if (launch_reap(pid, LAUNCH_GRACE_MS, &st))
        return;
    kill(pid, SIGKILL);
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
}

static const char *launch_stage_text(int stage)
{
    switch (stage) {
    case LAUNCH_STAGE_PARENT:
        return "its parent had already exited";
    case LAUNCH_STAGE_LOG:
        return "cannot open the log file";
    case LAUNCH_STAGE_DUP:
        return "cannot set up its standard streams";
    }
    return "cannot run the program";
}

/* 0 once the child has exec'd; -1 with a reason when it could not. */
static int launch_exec_result(int fd, pid_t pid, const char *exe,
                              const char *logfile, char *err, size_t errlen)
{
    struct launch_fail f;
    ssize_t n;
    int st;

    do
        n = read(fd, &f, sizeof f);
    while (n < 0 && errno == EINTR);
    if (n != (ssize_t)sizeof f)
        return 0;

    launch_reap(pid, LAUNCH_GRACE_MS, &st);
    if (f.stage == LAUNCH_STAGE_LOG)
        err_set(err, errlen, "sandbox: cannot open the log file %s: %s",
                logfile, strerror(f.error));
    else
        err_set(err, errlen, "sandbox %s: %s%s%s", exe,
                launch_stage_text(f.stage), f.error ? ": " : "",
                f.error ? strerror(f.error) : "");
    return -1;
}

/* Parses the one line "port=N". */
static int launch_parse_port(const char *line, int *port)
{
    char *end;
    long v;

    if (strncmp(line, "port=", 5) != 0)
        return -1;
    errno = 0;
    v = strtol(line + 5, &end, 10);
    if (errno != 0 || end == line + 5 || *end != '\n' || v < 1 || v > 65535)
        return -1;
    *port = (int)v;
    return 0;
}

/* Why the sandbox's stdout ended before a port line came. */
static void launch_explain_exit(pid_t pid, const char *logfile, char *err,
                                size_t errlen)
{
    int st = 0;

    if (!launch_reap(pid, LAUNCH_GRACE_MS, &st)) {
        launch_kill(pid);
        err_set(err, errlen,
                "the sandbox closed its output without reporting a "
                "port; see %s",
                logfile);
    } else if (WIFSIGNALED(st)) {
        err_set(err, errlen,
                "the sandbox was killed by signal %d before reporting "
                "its port; see %s",
                WTERMSIG(st), logfile);
    } else {
        err_set(err, errlen,
                "the sandbox exited with status %d before reporting its "
                "port; see %s",
                WIFEXITED(st) ? WEXITSTATUS(st) : -1, logfile);
    }
}

enum launch_line {
    LAUNCH_LINE_OK,
    LAUNCH_LINE_EOF,     /* the sandbox closed its output first */
    LAUNCH_LINE_TIMEOUT, /* nothing whole before the time limit */
    LAUNCH_LINE_LONG,    /* no newline in the first LAUNCH_LINE_MAX bytes */
};

/* Reads one line ending in '\n' into line (NUL-terminated). */
static enum launch_line launch_read_line(int fd, char *line, size_t size,
                                         int64_t until)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    size_t len = 0;

    line[0] = '\0';
    while (len + 1 < size) {
        int64_t left = until - clock_mono_ms();
        ssize_t n;

        if (left <= 0 || poll(&p, 1, (int)left) == 0)
            return LAUNCH_LINE_TIMEOUT;
        n = read(fd, line + len, size - 1 - len);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n <= 0)
            return LAUNCH_LINE_EOF;

        len += (size_t)n;
        line[len] = '\0';
        if (strchr(line, '\n') != NULL)
            return LAUNCH_LINE_OK;
    }
    return LAUNCH_LINE_LONG;
}

/* Reads stdout until the port line, EOF or the time limit. On failure
 * the child has been reaped or killed. */
static int launch_read_port(int fd, pid_t pid, const char *logfile, int *port,
                            char *err, size_t errlen)
{
    char line[LAUNCH_LINE_MAX];
    enum launch_line got = launch_read_line(
        fd, line, sizeof line, clock_mono_ms() + LAUNCH_PORT_WAIT_MS);

    if (got == LAUNCH_LINE_EOF) {
        launch_explain_exit(pid, logfile, err, errlen);
        return -1;
    }
    if (got == LAUNCH_LINE_TIMEOUT) {
        launch_kill(pid);
        err_set(err, errlen,
                "the sandbox did not report its port within %d s; "
                "see %s",
                LAUNCH_PORT_WAIT_MS / 1000, logfile);
        return -1;
    }
    if (got != LAUNCH_LINE_OK || launch_parse_port(line, port) != 0) {
        launch_kill(pid);
        err_set(err, errlen,
                "the sandbox printed something other than its port; "
                "see %s",
                logfile);
        return -1;
    }
    return 0;
}

static void launch_child_init(struct launch_child *c, const char *exe,
                              const char *pubkey, const char *logfile,
                              char *delay)
{
    char *const argv[] = {
        (char *)exe,    "--port",        "0",
        "--public-key", (char *)pubkey,  "--confirm-delay",
        delay,          "--exit-on-eof", NULL,
    };

    c->parent = getpid();
    c->logfile = logfile;
    memcpy(c->argv, argv, sizeof argv);
}

static void launch_close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

/* The parent's side after fork: did exec work, then which port. */
static int launch_await(const struct launch_child *c, pid_t pid, int status_rd,
                        int out_rd, const char *exe, int *port, char *err,
                        size_t errlen)
{
    if (launch_exec_result(status_rd, pid, exe, c->logfile, err, errlen) != 0)
        return -1;
    return launch_read_port(out_rd, pid, c->logfile, port, err, errlen);
}

/* Forks and execs; fills out->pid and out->in_fd, or -1 with a reason. */
static int launch_spawn(struct launch_child *c, struct launch *out,
                        const char *exe, char *err, size_t errlen)
{
    int in[2] = {-1, -1}, so[2] = {-1, -1}, status[2] = {-1, -1};
    int port, rc = -1;
    pid_t pid;

    if (pipe2(in, O_CLOEXEC) != 0 || pipe2(so, O_CLOEXEC) != 0 ||
        pipe2(status, O_CLOEXEC) != 0) {
        err_set(err, errlen, "cannot make pipes: %s", strerror(errno));
        goto out;
    }
    c->stdin_rd = in[0];
    c->stdout_wr = so[1];
    c->status_wr = status[1];

    pid = fork();
    if (pid < 0) {
        err_set(err, errlen, "cannot fork: %s", strerror(errno));
        goto out;
    }
    if (pid == 0)
        launch_child(c);

    launch_close_fd(&status[1]);
    launch_close_fd(&so[1]);
    if (launch_await(c, pid, status[0], so[0], exe, &port, err, errlen) == 0) {
        out->pid = pid;
        out->port = port;
        out->in_fd = in[1];
        in[1] = -1;
        rc = 0;
    }
out:
    for (int i = 0; i < 2; i++) {
        launch_close_fd(&in[i]);
        launch_close_fd(&so[i]);
        launch_close_fd(&status[i]);
    }
    return rc;
}

int launch_start(const char *exe, const char *pubkey, const char *logfile,
                 int confirm_delay_s, struct launch *out, char *err,
                 size_t errlen)
{
    struct launch_child c;
    char delay[16];

    out->pid = -1;
    out->port = 0;
    out->in_fd = -1;
    if (access(exe, X_OK) != 0) {
        err_set(err, errlen, "sandbox program %s: %s", exe, strerror(errno));
        return -1;
    }
    if (confirm_delay_s < 0) {
        err_set(err, errlen, "the confirm delay cannot be negative");
        return -1;
    }

    snprintf(delay, sizeof delay, "%d", confirm_delay_s);
    launch_child_init(&c, exe, pubkey, logfile, delay);
    return launch_spawn(&c, out, exe, err, errlen);
}

void launch_stop(struct launch *l)
{
    if (l == NULL || l->pid <= 0)
        return;

    launch_close_fd(&l->in_fd);
    launch_kill(l->pid);
    l->pid = -1;
    l->port = 0;
}
