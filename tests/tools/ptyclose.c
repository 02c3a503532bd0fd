/*
 * ptyclose: runs a program on a pseudo-terminal, drives it a little, then
 * closes the terminal's master side and times how long the program takes
 * to exit.
 *
 * The program runs in a session of its own in which the terminal is not
 * the controlling one, so closing the master sends it no SIGHUP: all it
 * sees is its terminal failing (hang-up on poll, errors on read and
 * write). This is the terminal going away without the signal that
 * usually says so.
 *
 *   ptyclose [--within S] [--after TEXT | --type KEYS]... -- PROGRAM ARGS
 *
 * Steps run in order: --after waits (at most 20 s) until TEXT has
 * appeared in the program's output, --type writes KEYS to it. Then the
 * master is closed. Exit status: 0 when the program exited within S
 * seconds (default 3), reporting "exited STATUS after MS ms"; 1 when a
 * step failed or the program was still running (it is then killed);
 * 2 usage.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define STEP_MAX 16
#define AFTER_MS 20000
#define SEEN_MAX (1 << 20)

struct step {
    int type; /* 1: write the text, 0: wait for it */
    const char *text;
};

static char seen[SEEN_MAX];
static size_t seen_len;

static long long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void usage(void)
{
    fputs("usage: ptyclose [--within S] [--after TEXT | --type KEYS]... "
          "-- PROGRAM [ARG]...\n",
          stderr);
    exit(2);
}

/* Reads what the program wrote, for up to ms; 0 on EOF or error. */
static int drain(int fd, int ms)
{
    struct pollfd p = {fd, POLLIN, 0};
    char buf[4096];
    ssize_t n;

    if (poll(&p, 1, ms) <= 0)
        return 1;
    n = read(fd, buf, sizeof(buf));
    if (n <= 0)
        return 0;
    if (seen_len + (size_t)n < SEEN_MAX - 1) {
        memcpy(seen + seen_len, buf, (size_t)n);
        seen_len += (size_t)n;
        seen[seen_len] = '\0';
    }
    return 1;
}

static int wait_text(int fd, const char *text)
{
    long long end = now_ms() + AFTER_MS;

    while (now_ms() < end) {
        if (memmem(seen, seen_len, text, strlen(text)) != NULL)
            return 0;
        if (!drain(fd, 100))
            break;
    }
    fprintf(stderr, "ptyclose: \"%s\" did not appear\n", text);
    return -1;
}

static int run_steps(int fd, const struct step *s, int n)
{
    for (int i = 0; i < n; i++) {
        if (!s[i].type && wait_text(fd, s[i].text) < 0)
            return -1;
        if (s[i].type && write(fd, s[i].text, strlen(s[i].text)) !=
                             (ssize_t)strlen(s[i].text))
            return -1;
    }
    return 0;
}

/* Waits up to within_ms for pid; prints how it ended. */
static int reap(pid_t pid, long long within_ms)
{
    long long start = now_ms();
    int st;

    while (now_ms() - start < within_ms) {
        pid_t r = waitpid(pid, &st, WNOHANG);

        if (r == pid) {
            printf("exited %d after %lld ms\n",
                   WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st),
                   now_ms() - start);
            return 0;
        }
        usleep(20000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &st, 0);
    printf("still running after %lld ms\n", within_ms);
    return 1;
}

static void child(int master, int slave, char **argv)
{
    close(master); /* else the program would hold its own terminal open */
    setsid();      /* a new session: the terminal never becomes controlling */
    dup2(slave, 0);
    dup2(slave, 1);
    dup2(slave, 2);
    if (slave > 2)
        close(slave);
    execvp(argv[0], argv);
    _exit(127);
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"within", required_argument, NULL, 'w'},
        {"after", required_argument, NULL, 'a'},
        {"type", required_argument, NULL, 't'},
        {NULL, 0, NULL, 0},
    };
    struct step steps[STEP_MAX];
    struct winsize ws = {45, 100, 0, 0};
    int n = 0, c, master, slave;
    long long within = 3000;
    pid_t pid;

    while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
        if (c == 'w')
            within = atol(optarg) * 1000;
        else if ((c == 'a' || c == 't') && n < STEP_MAX)
            steps[n++] = (struct step){c == 't', optarg};
        else
            usage();
    }
    if (optind >= argc || within <= 0)
        usage();

    if (openpty(&master, &slave, NULL, NULL, &ws) < 0) {
        perror("ptyclose: openpty");
        return 1;
    }
    pid = fork();
    if (pid < 0) {
        perror("ptyclose: fork");
        return 1;
    }
    if (pid == 0)
        child(master, slave, argv + optind);
    close(slave);

    if (run_steps(master, steps, n) < 0) {
        kill(pid, SIGKILL);
        return 1;
    }
    close(master);
    return reap(pid, within);
}
