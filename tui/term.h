/*
 * term: the only owner of the terminal.
 *
 * Locale, curses start and end, colours, keys, and signals. Signals are
 * written to a self-pipe that the main loop polls next to the keyboard,
 * so nothing but a byte write happens inside a handler. term_end() is
 * registered with atexit() and may be called any number of times; a
 * crash restores the terminal modes saved before curses started.
 */
#ifndef NPD_TUI_TERM_H
#define NPD_TUI_TERM_H

#include <stddef.h>

/* Colour pairs; term_attr() gives the attribute to draw each with. */
enum term_pair {
    TERM_PAIR_QR = 1,  /* black on white, fixed, for the QR code */
    TERM_PAIR_ALERT,   /* red: errors */
    TERM_PAIR_GOOD,    /* green: success */
    TERM_PAIR_MARK,    /* the SANDBOX marker */
    TERM_PAIR_QR_DARK, /* white on black: a dark module drawn as a space */
};

/* Bits returned by term_take_signals(). */
#define TERM_SIG_QUIT 1u   /* any other ending signal (SIGINT, SIGTERM...) */
#define TERM_SIG_HANGUP 2u /* SIGHUP: the terminal is gone */
#define TERM_SIG_RESIZE 4u /* SIGWINCH */

/* Sets the locale from the environment and picks UTF-8 or plain ASCII
 * output from its character set (see charset.h). Call first. */
void term_locale(void);

/* Checks, before anything else starts, that TERM names a terminal this
 * computer has a description of and that can move its cursor. */
int term_probe(char *err, size_t errlen);

/* Installs the signal handlers, then starts curses on stdin/stdout in
 * cbreak, no echo, keypad and non-blocking key mode. */
int term_init(char *err, size_t errlen);

/* Kiosk mode, after term_init(): SIGTSTP and SIGQUIT are ignored (the
 * former replacing curses' own suspend handler) and the terminal's
 * suspend and quit characters are switched off, so Ctrl-Z and Ctrl-\
 * reach npdlink as plain keys. term_end() restores the terminal's own
 * characters. -1 when the terminal modes could not be changed. */
int term_kiosk(void);

/* Ends curses and gives the terminal back as it was. */
void term_end(void);

/* The read end of the signal pipe, for poll(). */
int term_signal_fd(void);

/* Drains the signal pipe; TERM_SIG_* bits of what arrived. *signo gets
 * the last ending signal's number (0 when none). */
unsigned term_take_signals(int *signo);

/* Takes the new window size from the terminal and resizes curses. */
void term_resize(void);

#define TERM_NO_KEY (-1)
#define TERM_SKIPPED (-2)

/* The next key, or TERM_NO_KEY when none is waiting: a curses key code,
 * or a character as its wide character value (so a Cyrillic letter is
 * one key, not its UTF-8 bytes one at a time). TERM_SKIPPED when input
 * came but held no key npdlink can use (bytes the locale cannot decode,
 * characters that share a curses key code): the terminal is alive. */
int term_key(void);

/* 1 when the terminal holds bytes not yet read: input that is there,
 * whether or not it decodes to a key. A terminal that polls readable
 * with nothing to read has reached its end. */
int term_has_input(void);

/* The Latin key at the same place as a Russian layout letter, for the
 * letter commands (y, n, d, r, m, q, l in either case); any other key
 * unchanged. Not for text fields, which take the letter as typed. */
int term_layout_key(int key);

/* 1 when the QR colour pairs are in use. NO_COLOR turns off only the
 * decorative colours: the code's black and white are what makes it
 * readable, so they stay. */
int term_colours(void);

/* The attribute to draw a pair with; without colours (or under NO_COLOR,
 * for all but the QR pairs) an equivalent: bold, or reverse bold for the
 * marker, and nothing for the QR. */
int term_attr(enum term_pair p);

/* Sends what was drawn to the terminal; full repaints every cell, for
 * after a resize when the terminal's contents are unknown. */
void term_flush(int full);

#endif
