/*
 * npdlink-sandbox: a fake Bank 131 and tax service on 127.0.0.1.
 *
 * The main thread reads the options, starts the HTTP(S) daemon (which runs
 * its own thread), reports the port on stdout and then only waits for
 * SIGTERM, SIGINT or, with --exit-on-eof, the end of stdin.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "client.h" /* NPD_VERSION */
#include "fault.h"
#include "route.h"
#include "server.h"
#include "sign.h"
#include "world.h"

#define MAIN_MAX_SECONDS 86400L
#define MAIN_MAX_FAULTS 16
#define MAIN_MAX_PEM (64 * 1024) /* a certificate chain or a key */

struct main_opts {
    long port;
    const char *public_key;
    const char *project;
    long confirm_delay_s;
    long slow_s;
    long check_gap_s;
    int exit_on_eof;
    const char *tls_cert; /* both or neither: HTTPS instead of HTTP */
    const char *tls_key;
    const char *faults[MAIN_MAX_FAULTS]; /* --fault, as given */
    int nfaults;
};

enum {
    OPT_PORT = 256,
    OPT_PUBLIC_KEY,
    OPT_PROJECT,
    OPT_CONFIRM_DELAY,
    OPT_SLOW,
    OPT_CHECK_GAP,
    OPT_EXIT_ON_EOF,
    OPT_FAULT,
    OPT_TLS_CERT,
    OPT_TLS_KEY,
    OPT_HELP,
    OPT_VERSION,
};

static const struct option main_long_opts[] = {
    {"port", required_argument, NULL, OPT_PORT},
    {"public-key", required_argument, NULL, OPT_PUBLIC_KEY},
    {"project", required_argument, NULL, OPT_PROJECT},
    {"confirm-delay", required_argument, NULL, OPT_CONFIRM_DELAY},
    {"slow", required_argument, NULL, OPT_SLOW},
    {"check-gap", required_argument, NULL, OPT_CHECK_GAP},
    {"exit-on-eof", no_argument, NULL, OPT_EXIT_ON_EOF},
    {"fault", required_argument, NULL, OPT_FAULT},
    {"tls-cert", required_argument, NULL, OPT_TLS_CERT},
    {"tls-key", required_argument, NULL, OPT_TLS_KEY},
    {"help", no_argument, NULL, OPT_HELP},
    {"version", no_argument, NULL, OPT_VERSION},
    {NULL, 0, NULL, 0},
};

static void main_usage(FILE *to)
{
    fputs("usage: npdlink-sandbox --public-key FILE [options]\n"
          "\n"
          "A fake Bank 131 and tax service on 127.0.0.1 for trying and\n"
          "testing npdlink. Prints \"port=N\" once it listens.\n"
          "\n"
          "  --port N            port to listen on; 0 picks a free one "
          "(default 0)\n"
          "  --public-key FILE   PEM public key that verifies "
          "X-PARTNER-SIGN (required)\n"
          "  --project ID        expected X-PARTNER-PROJECT (default "
          "\"sandbox\")\n"
          "  --confirm-delay S   seconds until a customer answers a link\n"
          "                      request on their own (default 5)\n"
          "  --slow S            seconds the slow tax service stays pending\n"
          "                      (default 5)\n"
          "  --check-gap S       least seconds between two checks of one INN\n"
          "                      (default 30)\n"
          "  --exit-on-eof       exit when standard input reaches its end\n"
          "  --fault EP=NAME[:ARG]\n"
          "                      play a fault on one call (check, status,\n"
          "                      token, link, link_status); repeatable\n"
          "  --tls-cert FILE     serve HTTPS with this PEM certificate "
          "chain\n"
          "  --tls-key FILE      the PEM private key of --tls-cert\n"
          "  --help              show this text and exit\n"
          "  --version           show the version and exit\n",
          to);
}

/* A whole decimal number in [min, max], or -1 with a message. */
static int main_number(const char *name, const char *text, long min, long max,
                       long *out)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || v < min || v > max) {
        fprintf(stderr,
                "npdlink-sandbox: --%s wants a whole number from %ld to "
                "%ld, not \"%s\"\n",
                name, min, max, text);
        return -1;
    }
    *out = v;
    return 0;
}

/* Checks a --fault now, so a bad one is a usage error; it is applied
 * once the fault table exists. */
static int main_fault(struct main_opts *o, const char *text)
{
    struct fault_rule rule;
    char err[128];
    int ep;

    if (fault_parse_option(text, &ep, &rule, err, sizeof err) != 0) {
        fprintf(stderr, "npdlink-sandbox: --fault %s: %s\n", text, err);
        return -1;
    }
    if (o->nfaults == MAIN_MAX_FAULTS) {
        fputs("npdlink-sandbox: too many --fault options\n", stderr);
        return -1;
    }
    o->faults[o->nfaults++] = text;
    return 0;
}

/* One option; 0 to go on, 1 to exit with success, -1 on a bad value. */
static int main_option(int c, struct main_opts *o)
{
    switch (c) {
    case OPT_PORT:
        return main_number("port", optarg, 0, 65535, &o->port);
    case OPT_PUBLIC_KEY:
        o->public_key = optarg;
        return 0;
    case OPT_PROJECT:
        o->project = optarg;
        return 0;
    case OPT_CONFIRM_DELAY:
        return main_number("confirm-delay", optarg, 0, MAIN_MAX_SECONDS,
                           &o->confirm_delay_s);
    case OPT_SLOW:
        return main_number("slow", optarg, 0, MAIN_MAX_SECONDS, &o->slow_s);
    case OPT_CHECK_GAP:
        return main_number("check-gap", optarg, 0, MAIN_MAX_SECONDS,
                           &o->check_gap_s);
    case OPT_EXIT_ON_EOF:
        o->exit_on_eof = 1;
        return 0;
    case OPT_FAULT:
        return main_fault(o, optarg);
    case OPT_TLS_CERT:
        o->tls_cert = optarg;
        return 0;
    case OPT_TLS_KEY:
        o->tls_key = optarg;
        return 0;
    case OPT_HELP:
        main_usage(stdout);
        return 1;
    case OPT_VERSION:
        puts("npdlink-sandbox " NPD_VERSION);
        return 1;
    }
    main_usage(stderr);
    return -1;
}

/* 0 to run, 1 to exit with success (help, version), -1 on bad usage. */
static int main_parse(int argc, char **argv, struct main_opts *o)
{
    int c, rc;

    *o = (struct main_opts){.project = "sandbox",
                            .confirm_delay_s = 5,
                            .slow_s = 5,
                            .check_gap_s = 30};

    while ((c = getopt_long(argc, argv, "", main_long_opts, NULL)) != -1) {
        rc = main_option(c, o);
        if (rc != 0)
            return rc;
    }
    if (optind < argc) {
        fprintf(stderr, "npdlink-sandbox: unexpected argument \"%s\"\n",
                argv[optind]);
        return -1;
    }
    if (o->public_key == NULL) {
        fputs("npdlink-sandbox: --public-key FILE is required\n", stderr);
        return -1;
    }
    if ((o->tls_cert == NULL) != (o->tls_key == NULL)) {
        fputs("npdlink-sandbox: --tls-cert and --tls-key go together\n",
              stderr);
        return -1;
    }
    return 0;
}

/* Blocks the stop signals before any thread starts, so that only the
 * descriptor returned here sees them. */
static int main_signals(void)
{
    sigset_t set;

    signal(SIGPIPE, SIG_IGN);
    /* Under a file size limit (npdlink's, inherited) a full log fails its
     * writes instead of killing the bank in the middle of a reply. */
    signal(SIGXFSZ, SIG_IGN);
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    if (sigprocmask(SIG_BLOCK, &set, NULL) != 0)
        return -1;
    return signalfd(-1, &set, SFD_CLOEXEC);
}

/* 1 when stdin has reached its end (or failed); data read is dropped. */
static int main_stdin_ended(void)
{
    char buf[256];
    ssize_t n = read(STDIN_FILENO, buf, sizeof buf);

    if (n < 0)
        return errno != EINTR && errno != EAGAIN;
    return n == 0;
}

/* Sleeps until it is time to stop; returns what stopped it. */
static const char *main_wait(int sigfd, int exit_on_eof)
{
    struct pollfd fds[2] = {
        {.fd = sigfd, .events = POLLIN},
        {.fd = exit_on_eof ? STDIN_FILENO : -1, .events = POLLIN},
    };
    struct signalfd_siginfo si;

    for (;;) {
        if (poll(fds, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            return "poll failed";
        }
        if ((fds[0].revents & POLLIN) &&
            read(sigfd, &si, sizeof si) == (ssize_t)sizeof si)
            return si.ssi_signo == SIGINT ? "SIGINT" : "SIGTERM";
        if (fds[1].revents != 0 && main_stdin_ended())
            return "end of standard input";
    }
}

/* A whole PEM file as a string, or NULL with a message. */
static char *main_read_pem(const char *path)
{
    FILE *fp = fopen(path, "r");
    char *buf;
    size_t n;

    if (fp == NULL) {
        fprintf(stderr, "npdlink-sandbox: %s: %s\n", path, strerror(errno));
        return NULL;
    }

    buf = malloc(MAIN_MAX_PEM + 1);
    n = buf != NULL ? fread(buf, 1, MAIN_MAX_PEM + 1, fp) : 0;
    if (n == 0 || n > MAIN_MAX_PEM || ferror(fp)) {
        fprintf(stderr,
                "npdlink-sandbox: %s: unreadable, empty or over 64 KiB\n",
                path);
        free(buf);
        buf = NULL;
    } else {
        buf[n] = '\0';
    }
    fclose(fp);
    return buf;
}

static int main_serve(const struct main_opts *o, struct route *r,
                      const struct server_tls *tls, int sigfd)
{
    char err[256];
    struct server *s = server_start(r, (int)o->port, tls, err, sizeof err);

    if (s == NULL) {
        fprintf(stderr, "npdlink-sandbox: %s\n", err);
        return -1;
    }

    fprintf(stderr, "npdlink-sandbox: listening on %s://127.0.0.1:%d\n",
            tls != NULL ? "https" : "http", server_port(s));
    printf("port=%d\n", server_port(s));
    fflush(stdout);

    fprintf(stderr, "npdlink-sandbox: stopping on %s\n",
            main_wait(sigfd, o->exit_on_eof));
    server_stop(s);
    return 0;
}

/* Serves HTTPS when --tls-cert is given; the PEM text lives until the
 * server has stopped. */
static int main_serve_tls(const struct main_opts *o, struct route *r, int sigfd)
{
    struct server_tls tls = {NULL, NULL};
    char *cert = NULL, *key = NULL;
    int rc = -1;

    if (o->tls_cert == NULL)
        return main_serve(o, r, NULL, sigfd);

    cert = main_read_pem(o->tls_cert);
    key = cert != NULL ? main_read_pem(o->tls_key) : NULL;
    if (key != NULL) {
        tls.cert_pem = cert;
        tls.key_pem = key;
        rc = main_serve(o, r, &tls, sigfd);
        OPENSSL_cleanse(key, strlen(key));
    }
    free(cert);
    free(key);
    return rc;
}

static void main_apply_faults(const struct main_opts *o, struct fault_table *t)
{
    struct fault_rule rule;
    int ep;

    for (int i = 0; t != NULL && i < o->nfaults; i++)
        if (fault_parse_option(o->faults[i], &ep, &rule, NULL, 0) == 0)
            fault_set(t, ep, &rule);
}

static int main_run(const struct main_opts *o, int sigfd)
{
    struct world_opts wo = {
        .confirm_delay_ms = o->confirm_delay_s * 1000,
        .slow_ms = o->slow_s * 1000,
        .check_gap_ms = o->check_gap_s * 1000,
    };
    struct route r = {.project = o->project};
    char err[256];
    int rc = -1;

    if (sign_load_public(o->public_key, &r.pub, err, sizeof err) != 0) {
        fprintf(stderr, "npdlink-sandbox: %s\n", err);
        return -1;
    }
    r.world = world_new(&wo);
    r.faults = fault_table_new();
    main_apply_faults(o, r.faults);
    if (r.world == NULL || r.faults == NULL)
        fputs("npdlink-sandbox: out of memory\n", stderr);
    else
        rc = main_serve_tls(o, &r, sigfd);

    world_free(r.world);
    fault_table_free(r.faults);
    sign_key_free(r.pub);
    return rc;
}

int main(int argc, char **argv)
{
    struct main_opts o;
    int sigfd, rc;

    rc = main_parse(argc, argv, &o);
    if (rc != 0)
        return rc > 0 ? EXIT_SUCCESS : 2;

    sigfd = main_signals();
    if (sigfd < 0) {
        perror("npdlink-sandbox: signals");
        return EXIT_FAILURE;
    }

    rc = main_run(&o, sigfd);
    close(sigfd);
    return rc == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
