/*
 * cli: `npdlink check`, the front end for scripts and back-office runs.
 *
 * No screen and no curses: one INN read from standard input (never from
 * the command line, where other users of the host could read it), or a
 * file of INNs with --batch. Each INN gets only the first check, through
 * the same engine and flow as the screen, so the bank's 30-second rule
 * holds; no link request is ever filed. Output names the INN masked.
 *
 * Exit status of a single check: 0 linked, 1 self-employed and not
 * linked, 2 a usage or settings mistake (the bank refusing our settings
 * included), 3 not self-employed, 4 not a valid INN, 5 no answer from the
 * network, the bank or the tax service, 6 npdlink itself could not run
 * (sandbox, output file, memory), 128+N ended by signal N. A batch ends
 * 0 when every INN got a verdict, else with the worst of 4, 5, 2, 6.
 */
#ifndef NPD_TUI_CLI_H
#define NPD_TUI_CLI_H

/* Runs `npdlink check`; argv[0] is "check". Returns the exit status. */
int cli_main(int argc, char **argv);

#endif
