/*
 * main: npdlink's command line, its settings, the sandbox it may start,
 * and the one loop that waits, steps the engine, reads keys and draws.
 */
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "cli.h"
#include "client.h"
#include "clock.h"
#include "config.h"
#include "engine.h"
#include "harden.h"
#include "intl.h"
#include "kiosk.h"
#include "lang.h"
#include "launch.h"
#include "main.h"
#include "passphrase.h"
#include "screen.h"
#include "summary.h"
#include "term.h"

#define MAIN_ERR 600
#define MAIN_IDLE_MS 60000     /* longest sleep when nothing is due */
#define MAIN_EMPTY_READS 20    /* readable turns without a key: EOF */
#define MAIN_CONFIRM_DELAY_S 5 /* the sandbox customer's thinking time */

enum main_end {
    MAIN_GO_ON,
    MAIN_QUIT,   /* the agent quit */
    MAIN_SIGNAL, /* SIGINT, SIGTERM, SIGQUIT or SIGHUP */
    MAIN_LOST,   /* the terminal went away */
};

struct main_loop {
    struct engine *e;
    struct flow *f;
    struct screen *s;
    unsigned long drawn_version;
    enum flow_state drawn_state;
    long long drawn_clock;
    int dirty; /* the screen's own state changed */
    int full;  /* repaint every cell: the window was resized */
    unsigned long error_version;
    int empty_reads;
    int signo;
    struct kiosk k; /* the idle timer and the quit question */
};

static const struct option main_options[] = {
    MAIN_SETTINGS_OPTIONS,
    {"qr-mode", required_argument, NULL, 'Q'},
    {"kiosk", no_argument, NULL, 'K'},
    {"print-config", no_argument, NULL, 'P'},
    {"audit-summary", required_argument, NULL, 'U'},
    {"date", required_argument, NULL, 'D'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0},
};

static struct launch main_sandbox;
static int main_sandbox_up;

static void main_usage(FILE *out)
{
    fprintf(out, "%s",
            _("Usage: npdlink [OPTION]...\n"
              "       npdlink check [--json | --batch FILE] [OPTION]...\n"
              "Checks whether a customer is self-employed and linked to "
              "Bank 131, and links\n"
              "them. The customer's INN is typed on the screen, never given "
              "on the command\n"
              "line; npdlink check --help tells how to check without the "
              "screen.\n\n"
              "  --sandbox          run against the built-in sandbox\n"
              "  --config FILE      read settings from FILE as well\n"
              "  --base-url URL     Bank 131 server\n"
              "  --project-id ID    partner project id\n"
              "  --key-file FILE    partner private key (PEM)\n"
              "  --ca-file FILE     CA certificates to trust\n"
              "  --mytax-url URL    address shown as the QR code\n"
              "  --audit-file FILE  append the audit trail to FILE\n"
              "  --qr-mode MODE     draw the QR code as half, large or "
              "colour\n"
              "  --kiosk            no way out to a shell; quitting asks "
              "first\n"
              "  --print-config     print the settings in effect and exit\n"
              "  --audit-summary FILE [--date YYYY-MM-DD]\n"
              "                     print a day's totals from an audit file\n"
              "  --help             show this help\n"
              "  --version          show the version\n\n"
              "Settings are read from /etc/npdlink/npdlink.conf, then\n"
              "$XDG_CONFIG_HOME/npdlink/npdlink.conf (or "
              "~/.config/npdlink/npdlink.conf),\n"
              "then --config, then NPDLINK_* variables such as "
              "NPDLINK_BASE_URL, then the\n"
              "flags above. See npdlink(1) and npdlink.conf(5).\n"));
}

const char *main_key_of(int opt)
{
    switch (opt) {
    case 'b':
        return "base_url";
    case 'p':
        return "project_id";
    case 'k':
        return "key_file";
    case 'a':
        return "ca_file";
    case 'm':
        return "mytax_url";
    case 'A':
        return "audit_file";
    case 'Q':
        return "qr_mode";
    case 'K':
        return "kiosk";
    }
    return NULL;
}

const char *main_option_shown(const char *arg)
{
    return arg != NULL && strpbrk(arg, "0123456789") == NULL ? arg : NULL;
}

static void main_bad_option(const char *arg, int missing)
{
    const char *shown = main_option_shown(arg);

    if (shown != NULL)
        fprintf(stderr,
                missing ? _("npdlink: %s needs a value\n")
                        : _("npdlink: unknown option %s\n"),
                shown);
    else
        fprintf(stderr, "%s", _("npdlink: unknown option\n"));
    fprintf(stderr, "%s", _("Try 'npdlink --help'.\n"));
}

int main_flag_add(struct main_args *a, const struct option *opts, int opt,
                  const char *arg)
{
    for (size_t i = 0; opts[i].name != NULL; i++) {
        if (opts[i].val != opt)
            continue;
        if (a->nflags >= MAIN_FLAGS)
            return -1;
        a->flags[a->nflags++] =
            (struct main_flag){opts[i].name, main_key_of(opt), arg};
        return 0;
    }
    return -1;
}

/* -1 to go on, else the exit status. */
static int main_parse(int argc, char **argv, struct main_args *a)
{
    int opt;

    memset(a, 0, sizeof(*a));
    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":hV", main_options, NULL)) != -1) {
        if (main_key_of(opt) != NULL) {
            if (main_flag_add(a, main_options, opt, optarg ? optarg : "yes") <
                0) {
                fprintf(stderr, "%s", _("npdlink: too many options\n"));
                return MAIN_EXIT_USAGE;
            }
            continue;
        }

        switch (opt) {
        case 'S':
            a->sandbox = 1;
            break;
        case 'c':
            a->config_file = optarg;
            break;
        case 'P':
            a->print_config = 1;
            break;
        case 'U':
            a->audit_summary = optarg;
            break;
        case 'D':
            a->date = optarg;
            break;
        case 'h':
            main_usage(stdout);
            return 0;
        case 'V':
            printf("npdlink %s\n", NPD_VERSION);
            return 0;
        default:
            main_bad_option(argv[optind - 1], opt == ':');
            return MAIN_EXIT_USAGE;
        }
    }

    if (optind < argc) {
        fprintf(stderr, "%s",
                _("npdlink: takes no arguments; type the INN on the "
                  "screen\n"));
        return MAIN_EXIT_USAGE;
    }
    return -1;
}

/* The per-user file: $XDG_CONFIG_HOME, else ~/.config; "" when neither
 * is known. */
static void main_user_config(char *out, size_t n)
{
    const char *xdg = getenv("XDG_CONFIG_HOME");
    const char *home = getenv("HOME");

    out[0] = '\0';
    if (xdg != NULL && xdg[0] == '/')
        snprintf(out, n, "%s/npdlink/npdlink.conf", xdg);
    else if (home != NULL && home[0] != '\0')
        snprintf(out, n, "%s/.config/npdlink/npdlink.conf", home);
}

static int main_config(struct config *cfg, const struct main_args *a, char *err,
                       size_t errlen)
{
    char path[PATH_MAX];
    char why[MAIN_ERR / 2];

    if (config_load_file(cfg, "/etc/npdlink/npdlink.conf", 0, err, errlen) < 0)
        return -1;

    main_user_config(path, sizeof(path));
    if (path[0] != '\0' && config_load_file(cfg, path, 0, err, errlen) < 0)
        return -1;

    if (a->config_file != NULL &&
        config_load_file(cfg, a->config_file, 1, err, errlen) < 0)
        return -1;

    if (config_load_env(cfg, environ, err, errlen) < 0)
        return -1;

    for (size_t i = 0; i < a->nflags; i++) {
        const struct main_flag *fl = &a->flags[i];

        if (config_set(cfg, fl->key, fl->value, why, sizeof(why)) < 0) {
            snprintf(err, errlen, "--%s: %s", fl->option, why);
            return -1;
        }
    }

    if (a->sandbox)
        cfg->sandbox = 1;
    return 0;
}

/* What an empty or overridden value stands for once npdlink runs, said
 * in comments so that the printed settings still read as a file. */
static void main_print_defaults(const struct config *cfg)
{
    if (cfg->audit_file[0] == '\0')
        puts("# audit_file is empty: the audit trail goes to audit.jsonl "
             "in\n#   $XDG_STATE_HOME/npdlink, or ~/.local/state/npdlink");
    if (cfg->ledger_file[0] == '\0' && !cfg->sandbox)
        puts("# ledger_file is empty: check times are shared through "
             "checks.db in\n#   $XDG_STATE_HOME/npdlink, or "
             "~/.local/state/npdlink");
    if (cfg->sandbox)
        puts("# sandbox is on: npdlink starts the sandbox on a loopback port "
             "and\n#   uses it, with a key pair of its own, in place of "
             "base_url,\n#   project_id and key_file");
}

/* --print-config: the settings every layer gave, without starting the
 * sandbox or the terminal. */
static int main_print_config(const struct main_args *a)
{
    static struct config cfg;
    char err[MAIN_ERR];
    char *text;

    config_defaults(&cfg);
    if (main_config(&cfg, a, err, sizeof(err)) < 0) {
        config_free(&cfg);
        fprintf(stderr, "npdlink: %s\n", err);
        return MAIN_EXIT_USAGE;
    }

    text = config_dump(&cfg);
    if (text == NULL) {
        config_free(&cfg);
        fprintf(stderr, "%s", _("npdlink: out of memory\n"));
        return MAIN_EXIT_FAIL;
    }
    fputs(text, stdout);
    free(text);
    main_print_defaults(&cfg);
    config_free(&cfg);
    return fflush(stdout) == 0 ? 0 : MAIN_EXIT_FAIL;
}

void main_sandbox_stop(void)
{
    if (!main_sandbox_up)
        return;

    main_sandbox_up = 0;
    launch_stop(&main_sandbox);
}

/* $NPDLINK_SANDBOX, else npdlink-sandbox next to this program. */
static int main_sandbox_exe(char *out, size_t n, char *err, size_t errlen)
{
    const char *env = getenv("NPDLINK_SANDBOX");
    char self[PATH_MAX];
    ssize_t len;
    char *slash;

    if (env != NULL && env[0] != '\0') {
        snprintf(out, n, "%s", env);
        return 0;
    }

    len = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (len <= 0) {
        snprintf(err, errlen, "%s",
                 _("cannot find npdlink-sandbox: set NPDLINK_SANDBOX"));
        return -1;
    }

    self[len] = '\0';
    slash = strrchr(self, '/');
    if (slash != NULL)
        *slash = '\0';
    if ((size_t)snprintf(out, n, "%s/npdlink-sandbox", self) >= n) {
        snprintf(err, errlen, "%s", _("the sandbox's path is too long"));
        return -1;
    }
    return 0;
}

/* Starts the sandbox and points the settings at it. */
static int main_sandbox_start(struct config *cfg, char *err, size_t errlen)
{
    char dir[CONFIG_STR], priv[CONFIG_STR], pub[CONFIG_STR];
    char exe[PATH_MAX], log[CONFIG_STR + 16], url[64];

    if (launch_state_dir(dir, sizeof(dir), err, errlen) < 0 ||
        launch_keys(dir, priv, pub, sizeof(priv), err, errlen) < 0 ||
        main_sandbox_exe(exe, sizeof(exe), err, errlen) < 0)
        return -1;

    snprintf(log, sizeof(log), "%s/sandbox.log", dir);
    if (launch_start(exe, pub, log, MAIN_CONFIRM_DELAY_S, &main_sandbox, err,
                     errlen) < 0)
        return -1;
    main_sandbox_up = 1;

    snprintf(url, sizeof(url), "http://127.0.0.1:%d", main_sandbox.port);
    cfg->sandbox = 1;
    if (config_set(cfg, "base_url", url, err, errlen) < 0 ||
        config_set(cfg, "project_id", "sandbox", err, errlen) < 0 ||
        config_set(cfg, "key_file", priv, err, errlen) < 0)
        return -1;
    return 0;
}

/* ENGINE: one step; an error it reports stays on screen until a later
 * step succeeds after the flow moved on. */
static void main_step(struct main_loop *l, int64_t now_ms)
{
    int rc = engine_step(l->e, now_ms);
    const struct flow_view *v = flow_view(l->f);

    if (rc < 0) {
        l->error_version = v->version;
        l->dirty |= screen_set_error(l->s, engine_error(l->e));
    } else if (v->version != l->error_version) {
        l->dirty |= screen_set_error(l->s, NULL);
    }
}

static enum main_end main_signals(struct main_loop *l, short revents)
{
    unsigned bits;

    if (!(revents & POLLIN))
        return MAIN_GO_ON;

    bits = term_take_signals(&l->signo);
    if (bits & TERM_SIG_RESIZE) {
        term_resize();
        l->full = 1;
    }

    /* In kiosk mode Ctrl-C is one more way to ask to quit. */
    if (bits == TERM_SIG_QUIT && l->signo == SIGINT && kiosk_ask(&l->k)) {
        l->dirty = 1;
        return MAIN_GO_ON;
    }
    if (bits & (TERM_SIG_QUIT | TERM_SIG_HANGUP))
        return MAIN_SIGNAL;
    return MAIN_GO_ON;
}

/* A quit key: at once, or in kiosk mode after the question. */
static enum main_end main_quit_key(struct main_loop *l, int key, int quit)
{
    if (l->k.asking) {
        l->dirty = 1;
        return kiosk_answer(&l->k, term_layout_key(key)) ? MAIN_QUIT
                                                         : MAIN_GO_ON;
    }
    if (!quit)
        return MAIN_GO_ON;
    if (!kiosk_ask(&l->k))
        return MAIN_QUIT;
    l->dirty = 1;
    return MAIN_GO_ON;
}

/* KEYS: every key waiting; each becomes an action on the flow. A
 * terminal that keeps saying "readable" but holds no byte has closed;
 * bytes that make no key (a character set npdlink cannot decode) are
 * input all the same. */
static enum main_end main_keys(struct main_loop *l, short revents,
                               int64_t now_ms)
{
    int key, got = 0;

    if (revents & (POLLHUP | POLLERR | POLLNVAL))
        return MAIN_LOST;
    if (!(revents & POLLIN))
        return MAIN_GO_ON;

    got = term_has_input();
    while ((key = term_key()) != TERM_NO_KEY) {
        int asked = l->k.asking;
        enum screen_action a = SCREEN_NONE;

        got = 1;
        if (key == TERM_SKIPPED)
            continue;
        if (!asked)
            a = screen_key(l->s, flow_view(l->f), key);
        kiosk_touch(&l->k, key, now_ms);
        if ((asked || a == SCREEN_QUIT) &&
            main_quit_key(l, key, a == SCREEN_QUIT) == MAIN_QUIT)
            return MAIN_QUIT;
        if (a == SCREEN_NONE || a == SCREEN_QUIT)
            continue;
        screen_apply(l->s, l->f, a, now_ms);
        l->dirty = 1;
        l->full |= a == SCREEN_LANGUAGE; /* every cell's text changed */
    }

    l->empty_reads = got ? 0 : l->empty_reads + 1;
    return l->empty_reads >= MAIN_EMPTY_READS ? MAIN_LOST : MAIN_GO_ON;
}

/* DRAW: only when something shown changed. */
static void main_draw(struct main_loop *l, int64_t now_ms)
{
    const struct flow_view *v = flow_view(l->f);
    long long clock = screen_clock(v, now_ms);

    if (!l->dirty && !l->full && v->version == l->drawn_version &&
        v->state == l->drawn_state && clock == l->drawn_clock)
        return;

    screen_draw(l->s, v, now_ms);
    kiosk_draw(&l->k);
    term_flush(l->full);
    l->dirty = 0;
    l->full = 0;
    l->drawn_version = v->version;
    l->drawn_state = v->state;
    l->drawn_clock = clock;
}

/* 1 while a customer's data, or the quit question, is on screen: what
 * the idle timer wipes. */
static int main_has_customer(const struct main_loop *l)
{
    return flow_view(l->f)->state != FLOW_INN || l->s->inn_len > 0 ||
           l->s->show_rejected || l->k.asking;
}

/* IDLE: nobody pressed a key for the idle timeout: the customer's data
 * goes and a clean INN screen comes back; the session ends as "idle". */
static void main_idle(struct main_loop *l, int64_t now_ms)
{
    if (kiosk_idle_left(&l->k, main_has_customer(l), now_ms) != 0)
        return;

    if (engine_end(l->e, ENGINE_END_IDLE) < 0)
        l->dirty |= screen_set_error(l->s, engine_error(l->e));
    screen_apply(l->s, l->f, SCREEN_RESET, now_ms);
    kiosk_idled(&l->k, now_ms);
    l->full = 1;
}

/* Sleeps until a key, a signal, the network, a timer, the idle timeout
 * or the next change of the screen's clock. */
static void main_wait(struct main_loop *l, struct pollfd fds[2])
{
    int64_t now = clock_mono_ms();
    int wake = screen_wake_ms(flow_view(l->f), now);
    int64_t idle = kiosk_idle_left(&l->k, main_has_customer(l), now);

    if (wake < 0)
        wake = MAIN_IDLE_MS;
    if (idle >= 0 && idle < wake)
        wake = (int)idle;

    fds[0] = (struct pollfd){STDIN_FILENO, POLLIN, 0};
    fds[1] = (struct pollfd){term_signal_fd(), POLLIN, 0};
    if (engine_wait(l->e, fds, 2, wake) < 0 &&
        poll(fds, 2, wake < 100 ? wake : 100) < 0) {
        fds[0].revents = 0;
        fds[1].revents = 0;
    }
}

static enum main_end main_run(struct main_loop *l)
{
    enum main_end end = MAIN_GO_ON;

    l->full = 1;
    main_draw(l, clock_mono_ms());
    while (end == MAIN_GO_ON) {
        struct pollfd fds[2];
        int64_t now;

        main_wait(l, fds);
        now = clock_mono_ms();

        end = main_signals(l, fds[1].revents);
        if (end == MAIN_GO_ON)
            end = main_keys(l, fds[0].revents, now);
        if (end != MAIN_GO_ON)
            break;

        main_idle(l, now);
        main_step(l, now);
        main_draw(l, clock_mono_ms());
    }
    return end;
}

/* Every session leaves an audit record: without a configured file it goes
 * to audit.jsonl in the state directory. */
static int main_default_audit(struct config *cfg, char *err, size_t errlen)
{
    char dir[CONFIG_STR], path[CONFIG_STR + 16];

    if (cfg->audit_file[0] != '\0')
        return 0;
    if (launch_state_dir(dir, sizeof(dir), err, errlen) < 0)
        return -1;
    snprintf(path, sizeof(path), "%s/audit.jsonl", dir);
    return config_set(cfg, "audit_file", path, err, errlen);
}

/* Outside the sandbox, check times are shared through a ledger in the
 * state directory unless ledger_file names another (a shared one for
 * desks run by different users). Each sandbox is a bank of its own, so a
 * sandbox run shares nothing unless asked to. */
static int main_default_ledger(struct config *cfg, char *err, size_t errlen)
{
    char dir[CONFIG_STR], path[CONFIG_STR + 16];

    if (cfg->ledger_file[0] != '\0' || main_sandbox_up)
        return 0;
    if (launch_state_dir(dir, sizeof(dir), err, errlen) < 0)
        return -1;
    snprintf(path, sizeof(path), "%s/checks.db", dir);
    return config_set(cfg, "ledger_file", path, err, errlen);
}

/* Asks for the key's passphrase, if it has one, while the terminal is
 * still a plain one; the passphrase is wiped as soon as the key is in. */
static int main_engine(struct config *cfg, struct engine **e, char *err,
                       size_t errlen)
{
    char pass[1024];
    int got = passphrase_ask(cfg->key_file, pass, sizeof(pass), err, errlen);

    *e = NULL;
    if (got >= 0)
        *e = engine_new_key(cfg, got ? pass : NULL, err, errlen);
    OPENSSL_cleanse(pass, sizeof(pass));
    return *e == NULL ? MAIN_EXIT_USAGE : 0;
}

int main_setup(const struct main_args *a, struct config *cfg, struct engine **e,
               char *err, size_t errlen)
{
    config_defaults(cfg);
    if (main_config(cfg, a, err, errlen) < 0)
        return MAIN_EXIT_USAGE;

    /* sandbox = yes from any layer means what --sandbox means: a run
     * against the built-in sandbox, never a relaxed run against a bank. */
    if (cfg->sandbox && main_sandbox_start(cfg, err, errlen) < 0)
        return MAIN_EXIT_FAIL;
    if (config_validate(cfg, err, errlen) < 0)
        return MAIN_EXIT_USAGE;

    if (main_default_audit(cfg, err, errlen) < 0 ||
        main_default_ledger(cfg, err, errlen) < 0)
        return MAIN_EXIT_FAIL;

    return main_engine(cfg, e, err, errlen);
}

/* Curses, then in kiosk mode the lock: a kiosk that cannot lock the
 * terminal does not start. */
static int main_term_start(struct main_loop *l, const struct config *cfg,
                           char *err, size_t errlen)
{
    if (term_init(err, errlen) < 0)
        return -1;

    kiosk_init(&l->k, cfg, clock_mono_ms());
    if (kiosk_lock(&l->k) < 0) {
        term_end();
        snprintf(err, errlen, "%s",
                 _("kiosk mode: cannot switch off the terminal's suspend "
                   "and quit keys"));
        return -1;
    }
    return 0;
}

static int main_exit_code(enum main_end end, int signo)
{
    if (end == MAIN_SIGNAL && signo > 0)
        return 128 + signo;
    return end == MAIN_QUIT ? 0 : MAIN_EXIT_FAIL;
}

static enum engine_end main_end_reason(enum main_end end)
{
    if (end == MAIN_SIGNAL)
        return ENGINE_END_SIGNAL;
    return end == MAIN_LOST ? ENGINE_END_TERMINAL_GONE : ENGINE_END_QUIT;
}

/* Ends the session: the engine first (its last audit events), then the
 * terminal, so a final message lands on a normal screen. A session_end
 * that could not be written is said there and fails the exit status. */
static int main_finish(struct main_loop *l, struct config *cfg,
                       enum main_end end)
{
    char lost[300] = "";

    engine_stop(l->e);
    if (engine_end(l->e, main_end_reason(end)) < 0)
        snprintf(lost, sizeof(lost), "%s", engine_error(l->e));
    engine_free(l->e);
    screen_free(l->s);
    term_end();
    config_free(cfg);
    main_sandbox_stop();

    if (end == MAIN_LOST)
        fprintf(stderr, "%s", _("npdlink: the terminal went away\n"));
    if (lost[0] != '\0') {
        fprintf(stderr, "npdlink: %s\n", lost);
        if (end == MAIN_QUIT)
            return MAIN_EXIT_FAIL;
    }
    return main_exit_code(end, l->signo);
}

int main(int argc, char **argv)
{
    static struct config cfg;
    struct main_args args;
    struct screen s;
    struct main_loop l;
    char err[MAIN_ERR] = "";
    int rc;

    /* Before anything holds a secret, for both front ends. */
    if (harden_process(err, sizeof(err)) < 0) {
        fprintf(stderr, "npdlink: %s\n", err);
        return MAIN_EXIT_FAIL;
    }

    /* The scripting front end: no screen, no curses. */
    if (argc > 1 && strcmp(argv[1], "check") == 0)
        return cli_main(argc - 1, argv + 1);

    term_locale();
    lang_init();

    rc = main_parse(argc, argv, &args);
    if (rc >= 0)
        return rc;
    if (args.audit_summary != NULL)
        return summary_main(args.audit_summary, args.date);
    if (args.print_config)
        return main_print_config(&args);

    if (term_probe(err, sizeof(err)) < 0) {
        fprintf(stderr, "npdlink: %s\n", err);
        return MAIN_EXIT_USAGE;
    }

    atexit(main_sandbox_stop);
    memset(&l, 0, sizeof(l));
    rc = main_setup(&args, &cfg, &l.e, err, sizeof(err));
    if (rc == 0 && main_term_start(&l, &cfg, err, sizeof(err)) < 0)
        rc = MAIN_EXIT_FAIL;
    if (rc != 0) {
        engine_free(l.e);
        config_free(&cfg);
        main_sandbox_stop();
        fprintf(stderr, "npdlink: %s\n", err);
        return rc;
    }

    screen_init(&s, &cfg, main_sandbox_up);
    l.f = engine_flow(l.e);
    l.s = &s;
    return main_finish(&l, &cfg, main_run(&l));
}
