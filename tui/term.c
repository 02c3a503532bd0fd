/*
 * term: curses, colours, keys and signals, in one place.
 */
#include "term.h"

#include <curses.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <term.h>
#include <unistd.h>

#include "charset.h"

static int term_pipe[2] = {-1, -1};
static SCREEN *term_screen;
static volatile sig_atomic_t term_up;
static int term_have_colours;
static int term_no_colour; /* NO_COLOR was set */
static int term_exit_hooked;

/* What a crash handler needs to undo curses without calling curses:
 * the modes from before curses started, and the escape strings that
 * reset attributes, show the cursor, leave keypad mode and the
 * alternate screen. The handler may run at any moment, so each flag and
 * length is published only after what it covers is in place. */
static struct termios term_saved;
static volatile sig_atomic_t term_saved_ok;
static char term_undo[256];
static volatile sig_atomic_t term_undo_len;

/* The signals a person, a script or a timer sends that would otherwise
 * end the process with the terminal still in curses' modes end the loop
 * instead. SIGPROF is left to profilers. */
static const int term_ending[] = {SIGINT,    SIGTERM, SIGHUP,  SIGQUIT,
                                  SIGWINCH,  SIGUSR1, SIGUSR2, SIGALRM,
                                  SIGVTALRM, SIGXCPU};
static const int term_fatal[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};

void term_locale(void)
{
    charset_init();
}

static int term_has_cap(const char *cap)
{
    const char *v = tigetstr(cap);

    return v != NULL && v != (char *)-1;
}

int term_probe(char *err, size_t errlen)
{
    const char *name = getenv("TERM");
    int found = 0, can_move;

    if (name == NULL || name[0] == '\0') {
        snprintf(err, errlen, "%s", "TERM is not set");
        return -1;
    }

    if (setupterm(NULL, STDOUT_FILENO, &found) != OK) {
        snprintf(err, errlen,
                 "the terminal type '%s' is not known on this computer (no "
                 "terminfo entry); set TERM to this terminal's type, such as "
                 "xterm-256color",
                 name);
        return -1;
    }

    can_move = term_has_cap("cup");
    del_curterm(cur_term);
    if (!can_move) {
        snprintf(err, errlen, "the terminal cannot move its cursor (TERM=%s)",
                 name);
        return -1;
    }
    return 0;
}

static void term_on_signal(int sig)
{
    int saved = errno;
    unsigned char b = (unsigned char)sig;
    ssize_t n = write(term_pipe[1], &b, 1); /* a full pipe loses nothing */

    (void)n;
    errno = saved;
}

/* Only async-signal-safe calls: write() and tcsetattr(). The default
 * action then runs when the handler returns and the signal is raised. */
static void term_on_crash(int sig)
{
    if (term_up && term_undo_len > 0) {
        ssize_t n = write(STDOUT_FILENO, term_undo, (size_t)term_undo_len);

        (void)n;
    }
    if (term_saved_ok)
        tcsetattr(STDIN_FILENO, TCSANOW, &term_saved);
    raise(sig);
}

static int term_catch(int sig, void (*fn)(int), int flags)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = fn;
    sa.sa_flags = flags;
    sigemptyset(&sa.sa_mask);
    return sigaction(sig, &sa, NULL);
}

/* Installed before curses starts, so curses keeps its hands off SIGINT,
 * SIGTERM and SIGWINCH (it only takes over signals left at default). */
static int term_signals(char *err, size_t errlen)
{
    size_t i;

    if (pipe2(term_pipe, O_NONBLOCK | O_CLOEXEC) < 0) {
        snprintf(err, errlen, "signal pipe: %s", strerror(errno));
        return -1;
    }

    for (i = 0; i < sizeof(term_ending) / sizeof(term_ending[0]); i++)
        if (term_catch(term_ending[i], term_on_signal, SA_RESTART) < 0) {
            snprintf(err, errlen, "signal %d: %s", term_ending[i],
                     strerror(errno));
            return -1;
        }
    for (i = 0; i < sizeof(term_fatal) / sizeof(term_fatal[0]); i++)
        term_catch(term_fatal[i], term_on_crash, SA_RESETHAND | SA_NODEFER);
    term_catch(SIGPIPE, SIG_IGN, 0);
    /* Past a file size limit, write() then fails with EFBIG, which the
     * audit trail reports on screen like a full disk. */
    term_catch(SIGXFSZ, SIG_IGN, 0);
    return 0;
}

static void term_undo_add(const char *cap)
{
    char *s = tigetstr(cap);
    size_t len = (size_t)term_undo_len;
    size_t n;

    if (s == NULL || s == (char *)-1)
        return;

    n = strlen(s);
    if (n < sizeof(term_undo) - len) {
        memcpy(term_undo + len, s, n);
        atomic_signal_fence(memory_order_seq_cst);
        term_undo_len = (sig_atomic_t)(len + n);
    }
}

/* The QR pairs are always black and white, whatever the terminal's own
 * colours are; the others may sit on the default background. */
static void term_colours_init(void)
{
    short bg = COLOR_BLACK;

    if (!has_colors() || start_color() == ERR ||
        COLOR_PAIRS <= TERM_PAIR_QR_DARK)
        return;

    if (use_default_colors() == OK)
        bg = -1;
    init_pair(TERM_PAIR_QR, COLOR_BLACK, COLOR_WHITE);
    init_pair(TERM_PAIR_QR_DARK, COLOR_WHITE, COLOR_BLACK);
    init_pair(TERM_PAIR_ALERT, COLOR_RED, bg);
    init_pair(TERM_PAIR_GOOD, COLOR_GREEN, bg);
    init_pair(TERM_PAIR_MARK, COLOR_BLACK, COLOR_YELLOW);
    term_have_colours = 1;
}

/* curses itself drops every colour under NO_COLOR; npdlink keeps the
 * QR's, so it takes the variable out of curses' sight and keeps the
 * decision to itself. */
static void term_hide_no_colour(void)
{
    const char *v = getenv("NO_COLOR");

    term_no_colour = v != NULL && v[0] != '\0';
    unsetenv("NO_COLOR");
}

/* Screens are drawn by moving the cursor; a terminal that cannot (TERM
 * dumb) would show a jumble. */
static int term_can_move(void)
{
    return term_has_cap("cup");
}

static void term_modes(void)
{
    cbreak();
    noecho();
    keypad(stdscr, TRUE);
    nodelay(stdscr, TRUE);
    set_escdelay(25);
    curs_set(0);
}

int term_init(char *err, size_t errlen)
{
    const char *name = getenv("TERM");

    if (term_signals(err, errlen) < 0)
        return -1;

    if (!term_exit_hooked) {
        atexit(term_end);
        term_exit_hooked = 1;
    }

    term_saved_ok = 0;
    if (tcgetattr(STDIN_FILENO, &term_saved) == 0) {
        atomic_signal_fence(memory_order_seq_cst);
        term_saved_ok = 1;
    }
    term_hide_no_colour();
    term_screen = newterm(NULL, stdout, stdin);
    if (term_screen == NULL) {
        snprintf(err, errlen, "cannot start the terminal (TERM=%s)",
                 name ? name : "");
        return -1;
    }

    set_term(term_screen);
    term_up = 1;
    if (!term_can_move()) {
        term_end();
        snprintf(err, errlen, "the terminal cannot move its cursor (TERM=%s)",
                 name ? name : "");
        return -1;
    }

    term_modes();
    term_colours_init();

    term_undo_add("sgr0");
    term_undo_add("cnorm");
    term_undo_add("rmkx");
    term_undo_add("rmcup");
    return 0;
}

int term_kiosk(void)
{
    struct termios t;

    if (term_catch(SIGTSTP, SIG_IGN, 0) < 0 ||
        term_catch(SIGQUIT, SIG_IGN, 0) < 0)
        return -1;
    if (!term_up || tcgetattr(STDIN_FILENO, &t) < 0)
        return -1;

    t.c_cc[VSUSP] = _POSIX_VDISABLE;
    t.c_cc[VQUIT] = _POSIX_VDISABLE;
#ifdef VDSUSP
    t.c_cc[VDSUSP] = _POSIX_VDISABLE;
#endif
    if (tcsetattr(STDIN_FILENO, TCSANOW, &t) < 0)
        return -1;

    /* curses re-applies its saved program modes after a reset: they must
     * be these. */
    def_prog_mode();
    return 0;
}

void term_end(void)
{
    if (!term_up)
        return;

    /* Without an alternate screen the last screen would stay, with the
     * shell's prompt written over its footer. */
    if (!term_has_cap("rmcup")) {
        erase();
        refresh();
    }

    term_up = 0;
    endwin();
    delscreen(term_screen);
    term_screen = NULL;
    fflush(stdout);
}

int term_signal_fd(void)
{
    return term_pipe[0];
}

unsigned term_take_signals(int *signo)
{
    unsigned char buf[64];
    unsigned bits = 0;
    ssize_t n;

    *signo = 0;
    while ((n = read(term_pipe[0], buf, sizeof(buf))) > 0) {
        for (ssize_t i = 0; i < n; i++) {
            if (buf[i] == SIGWINCH) {
                bits |= TERM_SIG_RESIZE;
                continue;
            }
            bits |= buf[i] == SIGHUP ? TERM_SIG_HANGUP : TERM_SIG_QUIT;
            *signo = buf[i];
        }
    }
    return bits;
}

void term_resize(void)
{
    struct winsize ws;

    if (!term_up)
        return;

    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) < 0 &&
        ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) < 0)
        return;
    if (ws.ws_row > 0 && ws.ws_col > 0)
        resizeterm(ws.ws_row, ws.ws_col);
}

int term_has_input(void)
{
    int n = 0;

    return ioctl(STDIN_FILENO, FIONREAD, &n) == 0 && n > 0;
}

int term_key(void)
{
    wint_t wc;
    int rc;

    if (!term_up)
        return TERM_NO_KEY;

    /* A character that shares its number with a curses key code cannot
     * be told apart from that key downstream, so it is skipped. */
    rc = get_wch(&wc);
    if (rc == ERR)
        return TERM_NO_KEY;
    if (rc == KEY_CODE_YES || wc < KEY_MIN || wc > KEY_MAX)
        return (int)wc;
    return TERM_SKIPPED;
}

int term_layout_key(int key)
{
    /* The Russian ЙЦУКЕН layout's letters on the keys npdlink uses. */
    static const struct {
        int ru;
        int latin;
    } keys[] = {
        {L'н', 'y'}, {L'Н', 'Y'}, {L'т', 'n'}, {L'Т', 'N'}, {L'в', 'd'},
        {L'В', 'D'}, {L'к', 'r'}, {L'К', 'R'}, {L'ь', 'm'}, {L'Ь', 'M'},
        {L'й', 'q'}, {L'Й', 'Q'}, {L'д', 'l'}, {L'Д', 'L'},
    };

    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        if (keys[i].ru == key)
            return keys[i].latin;
    }
    return key;
}

int term_colours(void)
{
    return term_have_colours;
}

static int term_is_qr(enum term_pair p)
{
    return p == TERM_PAIR_QR || p == TERM_PAIR_QR_DARK;
}

int term_attr(enum term_pair p)
{
    int plain = !term_have_colours || (term_no_colour && !term_is_qr(p));

    if (plain && p == TERM_PAIR_MARK)
        return A_REVERSE | A_BOLD;
    if (plain)
        return term_is_qr(p) ? A_NORMAL : A_BOLD;

    /* A_PROTECT changes nothing on screen, but makes curses write each
     * light cell as a space instead of wiping runs of them with an
     * erase command: terminals that keep only the background of wiped
     * cells (tmux) would otherwise lose them from screen captures. */
    if (term_is_qr(p))
        return COLOR_PAIR(p) | A_PROTECT;
    return COLOR_PAIR(p) | A_BOLD;
}

void term_flush(int full)
{
    if (!term_up)
        return;

    if (full)
        clearok(curscr, TRUE);
    refresh();
}
