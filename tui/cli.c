/*
 * cli: `npdlink check`: one INN from standard input, or a file of them
 * with --batch, each checked once through the engine, answers printed as
 * text, JSON or CSV. Output is English whatever the locale: it is read by
 * scripts.
 */
#include "cli.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "config.h"
#include "engine.h"
#include "flow.h"
#include "inn.h"
#include "main.h"

#define CLI_ERR 600
#define CLI_LINE 64      /* longer input is not an INN; kept cut */
#define CLI_TICK_MS 1000 /* the progress bar's clock */
#define CLI_BAR 24

enum cli_exit {
    CLI_LINKED = 0,
    CLI_NOT_LINKED = 1,
    CLI_USAGE = MAIN_EXIT_USAGE,
    CLI_NOT_SELF_EMPLOYED = 3,
    CLI_INVALID = 4,
    CLI_SERVICE = 5,
    CLI_FAIL = 6,
};

enum cli_format { CLI_TEXT, CLI_JSONL, CLI_CSV };

struct cli_args {
    struct main_args main;
    enum cli_format format;
    int json;
    const char *batch;  /* a file of INNs; "-" is standard input */
    const char *output; /* NULL: standard output */
    const char *format_name;
};

enum cli_kind { CLI_VERDICT, CLI_BAD_INN, CLI_FAULT };

/* One INN's outcome; never holds the INN in clear. */
struct cli_result {
    char masked[INN_LEN + 1];
    enum cli_kind kind;
    enum api_verdict verdict;
    enum inn_verdict inn;
    enum api_fault fault;
    enum api_call call;
    long http_status;
    char code[API_CODE_MAX];
    char detail[API_TEXT_MAX];
    char checked_at[32]; /* "" when nothing was asked */
};

/* The batch's INNs, read whole first so the progress has a total. */
struct cli_list {
    char **inn;
    size_t n, cap;
};

struct cli_run {
    struct engine *e;
    struct flow *f;
    const struct cli_args *a;
    FILE *out;
    int64_t started_ms;
    size_t done, total;
    int bar; /* stderr is a terminal: a redrawn progress line */
    int bar_len;
    int64_t bar_drawn_ms;
    char last_error[256];
};

static const struct option cli_options[] = {
    MAIN_SETTINGS_OPTIONS,
    {"json", no_argument, NULL, 'j'},
    {"batch", required_argument, NULL, 'B'},
    {"format", required_argument, NULL, 'f'},
    {"output", required_argument, NULL, 'o'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static int cli_pipe[2] = {-1, -1};
static volatile sig_atomic_t cli_signo;

static void cli_usage(FILE *out)
{
    fputs("Usage: npdlink check [--json] [OPTION]... < INN\n"
          "       npdlink check --batch FILE [--format csv|jsonl] "
          "[--output FILE]\n"
          "                     [OPTION]...\n"
          "Checks whether customers are self-employed and linked to Bank "
          "131, without the\nscreen and without filing link requests.\n"
          "The INN is read from standard input, never from the command "
          "line.\n\n"
          "  --json             print the answer as one JSON object\n"
          "  --batch FILE       check every INN in FILE, one per line\n"
          "  --format FMT       batch output: csv (default) or jsonl\n"
          "  --output FILE      write the batch output to FILE (mode 600)\n"
          "  --sandbox          run against the built-in sandbox\n"
          "  --config FILE, --base-url URL, --project-id ID, --key-file "
          "FILE,\n"
          "  --ca-file FILE, --mytax-url URL, --audit-file FILE\n"
          "                     settings, as for npdlink itself\n\n"
          "Exit status: 0 linked, 1 self-employed and not linked, 2 usage "
          "or settings,\n3 not self-employed, 4 not a valid INN, 5 no "
          "answer from the bank or the tax\nservice, 6 npdlink could not "
          "run. See npdlink(1).\n",
          out);
}

/* Worded like npdlink's own (main_option_shown() decides what is named). */
static int cli_bad_option(const char *arg, int missing)
{
    const char *shown = main_option_shown(arg);

    if (shown != NULL)
        fprintf(stderr,
                missing ? "npdlink check: %s needs a value\n"
                        : "npdlink check: unknown option %s\n",
                shown);
    else
        fputs("npdlink check: unknown option\n", stderr);
    fputs("Try 'npdlink check --help'.\n", stderr);
    return CLI_USAGE;
}

static int cli_option(struct cli_args *a, int opt, const char *arg)
{
    switch (opt) {
    case 'j':
        a->json = 1;
        return 0;
    case 'B':
        a->batch = arg;
        return 0;
    case 'f':
        a->format_name = arg;
        return 0;
    case 'o':
        a->output = arg;
        return 0;
    case 'S':
        a->main.sandbox = 1;
        return 0;
    case 'c':
        a->main.config_file = arg;
        return 0;
    }
    return -1;
}

/* The output format from --json and --format, checked against the mode. */
static int cli_format(struct cli_args *a)
{
    const char *f = a->format_name;

    if (a->batch == NULL) {
        if (f != NULL || a->output != NULL) {
            fputs("npdlink check: --format and --output go with --batch\n",
                  stderr);
            return -1;
        }
        a->format = a->json ? CLI_JSONL : CLI_TEXT;
        return 0;
    }

    if (f == NULL)
        f = a->json ? "jsonl" : "csv";
    if (strcmp(f, "csv") == 0 && !a->json)
        a->format = CLI_CSV;
    else if (strcmp(f, "jsonl") == 0)
        a->format = CLI_JSONL;
    else {
        fputs("npdlink check: --format is csv or jsonl (--json means "
              "jsonl)\n",
              stderr);
        return -1;
    }
    return 0;
}

/* -1 to go on, else the exit status. */
static int cli_parse(int argc, char **argv, struct cli_args *a)
{
    int opt;

    memset(a, 0, sizeof(*a));
    opterr = 0;
    optind = 1;
    while ((opt = getopt_long(argc, argv, ":h", cli_options, NULL)) != -1) {
        if (opt == 'h') {
            cli_usage(stdout);
            return 0;
        }
        if (cli_option(a, opt, optarg) == 0)
            continue;
        if (main_key_of(opt) == NULL)
            return cli_bad_option(argv[optind - 1], opt == ':');
        if (main_flag_add(&a->main, cli_options, opt, optarg) < 0) {
            fputs("npdlink check: too many options\n", stderr);
            return CLI_USAGE;
        }
    }

    if (optind < argc) {
        fputs("npdlink check: the INN is not taken from the command line, "
              "where other users\nof this computer could read it; give it "
              "on standard input: npdlink check < file\n",
              stderr);
        return CLI_USAGE;
    }
    return cli_format(a) < 0 ? CLI_USAGE : -1;
}

/* Trims spaces at both ends into out, cut to fit; the input is wiped. */
static void cli_trim(char *line, size_t len, char *out, size_t n)
{
    size_t start = 0, end = len;

    while (start < end && isspace((unsigned char)line[start]))
        start++;
    while (end > start && isspace((unsigned char)line[end - 1]))
        end--;

    if (end - start >= n)
        end = start + n - 1;
    memcpy(out, line + start, end - start);
    out[end - start] = '\0';
    inn_wipe(line, len);
}

static int cli_blank(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (!isspace((unsigned char)s[i]))
            return 0;
    return 1;
}

/* After the INN, a pipe or file must hold nothing else: a list given here
 * by mistake would otherwise be checked only in its first line. */
static int cli_rest_is_blank(char **line, size_t *cap)
{
    ssize_t len;
    int blank = 1;

    while ((len = getline(line, cap, stdin)) >= 0) {
        blank &= cli_blank(*line, (size_t)len);
        inn_wipe(*line, *cap);
    }
    return blank;
}

/* One INN from standard input, prompted for on a terminal. */
static int cli_read_inn(char out[CLI_LINE])
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int tty = isatty(STDIN_FILENO);
    int ok = 1;

    /* Unbuffered, so the INN is only ever in the buffer wiped below and
     * not also in stdio's own, which is freed without being wiped. */
    setvbuf(stdin, NULL, _IONBF, 0);
    if (tty)
        fputs("INN: ", stderr);
    len = getline(&line, &cap, stdin);
    out[0] = '\0';
    if (len > 0)
        cli_trim(line, (size_t)len, out, CLI_LINE);
    if (!tty && line != NULL)
        ok = cli_rest_is_blank(&line, &cap);

    if (line != NULL)
        inn_wipe(line, cap);
    free(line);
    if (!ok)
        fputs("npdlink check: standard input holds more than one line; "
              "use --batch FILE for a list\n",
              stderr);
    return ok ? 0 : -1;
}

static int cli_list_add(struct cli_list *l, const char *inn)
{
    char **grown;

    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 64;
        grown = realloc(l->inn, l->cap * sizeof(*grown));
        if (grown == NULL)
            return -1;
        l->inn = grown;
    }
    l->inn[l->n] = strdup(inn);
    return l->inn[l->n] != NULL ? (int)l->n++ : -1;
}

static void cli_list_free(struct cli_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        inn_wipe(l->inn[i], strlen(l->inn[i]));
        free(l->inn[i]);
    }
    free(l->inn);
    memset(l, 0, sizeof(*l));
}

/* Every non-blank line of the file, trimmed. The stream reads through a
 * buffer of ours, wiped afterwards, since stdio frees its own unwiped. */
static int cli_read_list(const char *path, struct cli_list *l)
{
    static char buf[BUFSIZ];
    FILE *in = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    char *line = NULL, inn[CLI_LINE];
    size_t cap = 0;
    ssize_t len;
    int rc = 0;

    if (in == NULL) {
        fprintf(stderr, "npdlink check: %s: %s\n", path, strerror(errno));
        return -1;
    }
    setvbuf(in, buf, _IOFBF, sizeof(buf));

    while (rc == 0 && (len = getline(&line, &cap, in)) >= 0) {
        cli_trim(line, (size_t)len, inn, sizeof(inn));
        if (inn[0] != '\0' && cli_list_add(l, inn) < 0)
            rc = -1;
        inn_wipe(inn, sizeof(inn));
    }
    if (rc == 0 && ferror(in))
        rc = -1;
    if (rc < 0)
        fprintf(stderr, "npdlink check: %s: cannot read it\n", path);

    if (line != NULL)
        inn_wipe(line, cap);
    free(line);
    if (in != stdin)
        fclose(in);
    inn_wipe(buf, sizeof(buf)); /* stdin is not read again after the list */
    return rc;
}

/* The batch output is a file at rest: made for its owner alone, even
 * when it was there before with a wider mode. */
static FILE *cli_open_output(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    FILE *out;

    if (fd < 0 || fchmod(fd, 0600) < 0) {
        fprintf(stderr, "npdlink check: %s: %s\n", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    out = fdopen(fd, "w");
    if (out == NULL)
        close(fd);
    return out;
}

static void cli_on_signal(int signo)
{
    int saved = errno; /* the interrupted code may be about to read it */
    unsigned char b = (unsigned char)signo;
    ssize_t n;

    cli_signo = signo;
    n = write(cli_pipe[1], &b, 1); /* a full pipe already wakes the loop */
    (void)n;
    errno = saved;
}

/* Signals end the wait through a pipe the loop polls with the network. */
static int cli_signals(void)
{
    static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
    struct sigaction sa;

    if (pipe2(cli_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
        return -1;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = cli_on_signal;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
        if (sigaction(sigs[i], &sa, NULL) < 0)
            return -1;

    signal(SIGPIPE, SIG_IGN);
    signal(SIGXFSZ, SIG_IGN); /* a write past the limit fails with EFBIG */
    return 0;
}

static const char *cli_inn_code(enum inn_verdict v)
{
    static const char *const names[] = {
        [INN_OK] = "ok",
        [INN_EMPTY] = "empty",
        [INN_NOT_DIGITS] = "not_digits",
        [INN_TOO_SHORT] = "too_short",
        [INN_TOO_LONG] = "too_long",
        [INN_COMPANY] = "company",
        [INN_BAD_CHECK11] = "bad_check11",
        [INN_BAD_CHECK12] = "bad_check12",
    };

    if ((unsigned)v >= sizeof(names) / sizeof(names[0]))
        return "invalid";
    return names[v];
}

static void cli_stamp(int64_t mono_ms, char out[32])
{
    time_t t = clock_wall_at(mono_ms);
    struct tm tm;

    if (gmtime_r(&t, &tm) == NULL ||
        strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        out[0] = '\0';
}

/* The outcome of a settled check, taken from what the screen would show. */
static void cli_take(const struct flow_view *v, struct cli_result *r)
{
    memset(r, 0, sizeof(*r));
    memcpy(r->masked, v->inn_masked, sizeof(r->masked));
    r->inn = INN_OK;

    if (v->state == FLOW_ERROR) {
        r->kind = CLI_FAULT;
        r->fault = v->fault;
        r->call = v->failed_call;
        r->http_status = v->http_status;
        snprintf(r->code, sizeof(r->code), "%s", v->code);
        snprintf(r->detail, sizeof(r->detail), "%s", v->detail);
        cli_stamp(clock_mono_ms(), r->checked_at);
        return;
    }

    r->kind = CLI_VERDICT;
    r->verdict = v->last_verdict;
    cli_stamp(v->last_answer_ms, r->checked_at);
}

static void cli_bad_inn(const char *text, enum inn_verdict iv,
                        struct cli_result *r)
{
    memset(r, 0, sizeof(*r));
    inn_mask(text, r->masked);
    r->kind = CLI_BAD_INN;
    r->inn = iv;
    snprintf(r->code, sizeof(r->code), "%s", cli_inn_code(iv));
    snprintf(r->detail, sizeof(r->detail), "%s", inn_verdict_text(iv));
}

static int cli_exit_of(const struct cli_result *r)
{
    if (r->kind == CLI_BAD_INN)
        return CLI_INVALID;
    if (r->kind == CLI_FAULT)
        return r->fault == API_FAULT_CONFIG ? CLI_USAGE : CLI_SERVICE;
    if (r->verdict == API_VERDICT_LINKED)
        return CLI_LINKED;
    if (r->verdict == API_VERDICT_NOT_LINKED)
        return CLI_NOT_LINKED;
    return CLI_NOT_SELF_EMPLOYED;
}

static json_t *cli_json_error(const struct cli_result *r)
{
    return json_pack(
        "{s:s, s:s, s:o, s:o, s:s}", "who", api_fault_name(r->fault), "call",
        api_call_name(r->call), "http_status",
        r->http_status > 0 ? json_integer(r->http_status) : json_null(), "code",
        r->code[0] ? json_string(r->code) : json_null(), "detail", r->detail);
}

static json_t *cli_json(const struct cli_result *r)
{
    switch (r->kind) {
    case CLI_VERDICT:
        return json_pack("{s:s, s:s, s:s}", "inn", r->masked, "verdict",
                         api_verdict_name(r->verdict), "checked_at",
                         r->checked_at);
    case CLI_BAD_INN:
        return json_pack("{s:s, s:{s:s, s:s}}", "inn", r->masked, "invalid",
                         "code", r->code, "detail", r->detail);
    case CLI_FAULT:
        return json_pack("{s:s, s:o, s:s}", "inn", r->masked, "error",
                         cli_json_error(r), "checked_at", r->checked_at);
    }
    return NULL;
}

static int cli_write_json(FILE *out, const struct cli_result *r)
{
    json_t *obj = cli_json(r);
    char *text = api_dump(obj, NULL);
    int rc = text != NULL && fprintf(out, "%s\n", text) > 0 ? 0 : -1;

    free(text);
    json_decref(obj);
    return rc;
}

/* A field quoted when it holds a separator, a quote or a line break; one
 * that a spreadsheet would run as a formula gets a leading apostrophe. */
static void cli_csv_field(FILE *out, const char *s, int last)
{
    int quote = strpbrk(s, ",\"\r\n") != NULL;

    if (quote)
        fputc('"', out);
    if (strchr("=+-@", s[0]) != NULL && s[0] != '\0')
        fputc('\'', out);
    for (; *s != '\0'; s++) {
        if (*s == '"')
            fputc('"', out);
        fputc(*s, out);
    }
    if (quote)
        fputc('"', out);
    fputc(last ? '\n' : ',', out);
}

static int cli_write_csv(FILE *out, const struct cli_result *r)
{
    const char *verdict = r->kind == CLI_VERDICT ? api_verdict_name(r->verdict)
                          : r->kind == CLI_BAD_INN ? "invalid_inn"
                                                   : "error";

    cli_csv_field(out, r->masked, 0);
    cli_csv_field(out, verdict, 0);
    cli_csv_field(out, r->kind == CLI_FAULT ? api_fault_name(r->fault) : "", 0);
    cli_csv_field(out, r->code, 0);
    cli_csv_field(out, r->detail, 0);
    cli_csv_field(out, r->checked_at, 1);
    return ferror(out) ? -1 : 0;
}

static const char *cli_who_text(enum api_fault f)
{
    switch (f) {
    case API_FAULT_NETWORK:
        return "the bank could not be reached";
    case API_FAULT_TAX_SERVICE:
        return "the tax service failed";
    case API_FAULT_CONFIG:
        return "the bank refused npdlink's settings";
    case API_FAULT_BANK:
    case API_FAULT_NONE:
        break;
    }
    return "the bank failed";
}

static int cli_write_text(FILE *out, const struct cli_result *r)
{
    if (r->kind == CLI_BAD_INN)
        fprintf(out, "%s: not a valid INN: %s\n", r->masked, r->detail);
    else if (r->kind == CLI_FAULT)
        fprintf(out, "%s: no answer, %s (%s, HTTP %ld%s%s): %s\n", r->masked,
                cli_who_text(r->fault), api_call_name(r->call), r->http_status,
                r->code[0] ? ", " : "", r->code,
                r->detail[0] ? r->detail : "no details");
    else if (r->verdict == API_VERDICT_LINKED)
        fprintf(out, "%s: self-employed, linked to Bank 131\n", r->masked);
    else if (r->verdict == API_VERDICT_NOT_LINKED)
        fprintf(out, "%s: self-employed, not linked to Bank 131\n", r->masked);
    else
        fprintf(out, "%s: not self-employed\n", r->masked);
    return ferror(out) ? -1 : 0;
}

static int cli_write(FILE *out, enum cli_format fmt, const struct cli_result *r)
{
    int rc = fmt == CLI_JSONL ? cli_write_json(out, r)
             : fmt == CLI_CSV ? cli_write_csv(out, r)
                              : cli_write_text(out, r);

    return rc == 0 && fflush(out) == 0 ? 0 : -1;
}

static void cli_bar_clear(struct cli_run *r)
{
    if (r->bar && r->bar_len > 0)
        fprintf(stderr, "\r%*s\r", r->bar_len, "");
    r->bar_len = 0;
}

/* A note on stderr that does not land in the middle of the bar. */
static void cli_note(struct cli_run *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void cli_note(struct cli_run *r, const char *fmt, ...)
{
    va_list ap;

    cli_bar_clear(r);
    fputs("npdlink check: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

/* Done/total, elapsed and the time left at the pace so far: redrawn in
 * place on a terminal, else one line per finished INN. */
static void cli_progress(struct cli_run *r, int64_t now_ms, int finished)
{
    long el = (long)((now_ms - r->started_ms) / 1000);
    long left = r->done > 0 ? (long)((double)el / (double)r->done *
                                     (double)(r->total - r->done))
                            : -1;
    int fill = r->total > 0 ? (int)(r->done * CLI_BAR / r->total) : 0;
    char eta[32] = "--:--";

    if (left >= 0)
        snprintf(eta, sizeof(eta), "%ld:%02ld", left / 60, left % 60);

    if (!r->bar) {
        if (finished)
            fprintf(stderr,
                    "npdlink check: %zu/%zu done, %ld s elapsed, "
                    "about %ld s left\n",
                    r->done, r->total, el, left < 0 ? 0 : left);
        return;
    }

    r->bar_len = fprintf(stderr,
                         "\r[%.*s%*s] %zu/%zu  %ld:%02ld elapsed  "
                         "ETA %s",
                         fill, "########################", CLI_BAR - fill, "",
                         r->done, r->total, el / 60, el % 60, eta);
    r->bar_drawn_ms = now_ms;
}

/* The engine's own problems (audit trail, ledger), each said once. */
static void cli_step(struct cli_run *r)
{
    const char *why;

    if (engine_step(r->e, clock_mono_ms()) == 0)
        return;

    why = engine_error(r->e);
    if (strcmp(why, r->last_error) == 0)
        return;
    snprintf(r->last_error, sizeof(r->last_error), "%s", why);
    cli_note(r, "%s", why);
}

static int cli_settled(const struct flow_view *v)
{
    return v->state != FLOW_CHECKING && v->state != FLOW_INN;
}

/* Sleeps until the network, a signal, the flow's timer or the bar's
 * clock needs attention. */
static void cli_wait(struct cli_run *r)
{
    struct pollfd fd = {cli_pipe[0], POLLIN, 0};
    unsigned char drain[16];

    if (engine_wait(r->e, &fd, 1, CLI_TICK_MS) < 0)
        poll(&fd, 1, 100);
    if (fd.revents & POLLIN)
        while (read(cli_pipe[0], drain, sizeof(drain)) > 0)
            continue;
}

/* A check that must wait for the 30-second rule, here or in another
 * npdlink process sharing the ledger, says so once. */
static void cli_note_wait(struct cli_run *r, int *said)
{
    const struct flow_view *v = flow_view(r->f);
    int64_t now = clock_mono_ms();

    if (*said || v->state != FLOW_CHECKING || v->busy ||
        v->next_check_ms <= now)
        return;

    *said = 1;
    cli_note(r,
             "%s was checked less than 30 s ago; waiting %lld s (the bank "
             "allows one check per INN every 30 s)",
             v->inn_masked, (long long)((v->next_check_ms - now + 999) / 1000));
}

/* The first check of one well-formed INN, until it settles; -1 when a
 * signal came first. */
static int cli_check(struct cli_run *r, const char *inn, struct cli_result *out)
{
    int said = 0;

    flow_reset(r->f);
    flow_submit_inn(r->f, inn, clock_mono_ms());
    for (;;) {
        cli_step(r);
        if (cli_settled(flow_view(r->f)) || cli_signo != 0)
            break;
        cli_note_wait(r, &said);
        if (r->bar && clock_mono_ms() - r->bar_drawn_ms >= CLI_TICK_MS)
            cli_progress(r, clock_mono_ms(), 0);
        cli_wait(r);
    }

    if (cli_signo != 0)
        return -1;
    cli_take(flow_view(r->f), out);
    flow_reset(r->f);
    cli_step(r);
    return 0;
}

/* Checks locally, then with the bank when well formed. */
static int cli_one(struct cli_run *r, const char *text, struct cli_result *out)
{
    enum inn_verdict iv = inn_check(text);

    if (iv != INN_OK) {
        cli_bad_inn(text, iv, out);
        return 0;
    }
    return cli_check(r, text, out);
}

/* A batch's status: verdicts of any kind count as success. */
static int cli_batch_code(const struct cli_result *res)
{
    int code = cli_exit_of(res);

    if (code == CLI_NOT_LINKED || code == CLI_NOT_SELF_EMPLOYED)
        return CLI_LINKED;
    return code;
}

static int cli_rank(int code)
{
    static const int order[] = {CLI_LINKED, CLI_INVALID, CLI_SERVICE, CLI_USAGE,
                                CLI_FAIL};

    for (int i = 0; i < (int)(sizeof(order) / sizeof(order[0])); i++)
        if (order[i] == code)
            return i;
    return 0;
}

static int cli_worse(int a, int b)
{
    return cli_rank(b) > cli_rank(a) ? b : a;
}

/* Each answer is written as soon as it is known, so an interrupted run
 * leaves every finished line behind. */
static int cli_batch_run(struct cli_run *r, const struct cli_list *l)
{
    int worst = CLI_LINKED;
    struct cli_result res;

    for (size_t i = 0; i < l->n && cli_signo == 0; i++) {
        int code;

        if (cli_one(r, l->inn[i], &res) < 0)
            break;
        if (cli_write(r->out, r->a->format, &res) < 0) {
            cli_note(r, "cannot write the output: %s", strerror(errno));
            return CLI_FAIL;
        }

        r->done++;
        cli_progress(r, clock_mono_ms(), 1);
        code = cli_batch_code(&res);
        worst = cli_worse(worst, code);
        if (code == CLI_USAGE) {
            cli_note(r, "the bank refused npdlink's settings; stopped");
            break;
        }
    }
    return worst;
}

static int cli_batch(struct cli_run *r, const struct cli_list *l)
{
    int rc;

    r->total = l->n;
    r->started_ms = clock_mono_ms();
    r->bar = isatty(STDERR_FILENO);
    if (r->a->format == CLI_CSV &&
        fputs("inn_masked,verdict,who,code,detail,checked_at\n", r->out) < 0)
        return CLI_FAIL;

    cli_progress(r, r->started_ms, 0);
    rc = cli_batch_run(r, l);
    if (r->bar) {
        cli_progress(r, clock_mono_ms(), 0);
        fputc('\n', stderr);
        r->bar_len = 0;
    }

    if (cli_signo != 0)
        cli_note(r, "interrupted: %zu of %zu INNs written", r->done, r->total);
    return rc;
}

static int cli_single(struct cli_run *r, const char *inn)
{
    struct cli_result res;

    if (cli_one(r, inn, &res) < 0)
        return -1;
    if (cli_write(r->out, r->a->format, &res) < 0)
        return CLI_FAIL;
    return cli_exit_of(&res);
}

/* The engine, started as the screen starts it, then the one run. */
static int cli_run(const struct cli_args *a, const char *inn,
                   const struct cli_list *l, FILE *out)
{
    static struct config cfg;
    struct cli_run r;
    char err[CLI_ERR] = "";
    int rc;

    memset(&r, 0, sizeof(r));
    r.a = a;
    r.out = out;
    atexit(main_sandbox_stop);
    rc = main_setup(&a->main, &cfg, &r.e, err, sizeof(err));
    if (rc != 0 || cli_signals() < 0) {
        fprintf(stderr, "npdlink check: %s\n", err[0] ? err : "cannot start");
        engine_free(r.e);
        config_free(&cfg);
        main_sandbox_stop();
        return rc == MAIN_EXIT_USAGE ? CLI_USAGE : CLI_FAIL;
    }

    r.f = engine_flow(r.e);
    rc = a->batch != NULL ? cli_batch(&r, l) : cli_single(&r, inn);

    engine_stop(r.e);
    engine_free(r.e);
    config_free(&cfg);
    main_sandbox_stop();
    return cli_signo != 0 ? 128 + cli_signo : rc;
}

static int cli_main_single(const struct cli_args *a)
{
    char inn[CLI_LINE];
    struct cli_result res;
    int rc;

    if (cli_read_inn(inn) < 0)
        return CLI_USAGE;

    /* A malformed INN is answered without starting anything. */
    if (inn_check(inn) != INN_OK) {
        cli_bad_inn(inn, inn_check(inn), &res);
        inn_wipe(inn, sizeof(inn));
        return cli_write(stdout, a->format, &res) < 0 ? CLI_FAIL : CLI_INVALID;
    }

    rc = cli_run(a, inn, NULL, stdout);
    inn_wipe(inn, sizeof(inn));
    return rc;
}

static int cli_main_batch(const struct cli_args *a)
{
    struct cli_list l = {0};
    FILE *out = stdout;
    int rc;

    if (cli_read_list(a->batch, &l) < 0) {
        cli_list_free(&l);
        return CLI_FAIL;
    }

    if (a->output != NULL && (out = cli_open_output(a->output)) == NULL) {
        cli_list_free(&l);
        return CLI_FAIL;
    }

    rc = cli_run(a, NULL, &l, out);
    cli_list_free(&l);
    if (out != stdout && fclose(out) != 0) {
        fprintf(stderr, "npdlink check: %s: %s\n", a->output, strerror(errno));
        rc = CLI_FAIL;
    }
    return rc;
}

int cli_main(int argc, char **argv)
{
    struct cli_args a;
    int rc = cli_parse(argc, argv, &a);

    if (rc >= 0)
        return rc;
    return a.batch != NULL ? cli_main_batch(&a) : cli_main_single(&a);
}
