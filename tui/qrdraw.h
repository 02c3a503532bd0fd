/*
 * qrdraw: a QR matrix on a text screen, in one of three modes
 * (enum config_qr_mode).
 *
 * half: each cell one module across and two down, with the block
 * characters U+2580, U+2584 and U+2588, black on white. large: each
 * module two cells across and one down, a full block U+2588 for a dark
 * module and spaces for a light one, black on white: for fonts whose half
 * blocks leave gaps. colour: each module two spaces side by side, their
 * background black or white; plain ASCII, so the only mode a terminal
 * without UTF-8 gets. Every mode keeps the code's light quiet zone
 * whatever the terminal's own colours are.
 */
#ifndef NPD_TUI_QRDRAW_H
#define NPD_TUI_QRDRAW_H

#include "config.h"
#include "qr.h"

/* The mode actually drawn for the wanted one: colour when the terminal
 * takes no UTF-8, else the mode asked for. */
int qrdraw_mode(int wanted);

/* Cells the code needs in mode (as given to qrdraw_mode()): size wide and
 * ceil(size / 2) high for half, 2 * size wide and size high otherwise. */
void qrdraw_cells(const struct qr *q, int mode, int *w, int *h);

/* Draws the code in mode with its top-left cell at (y, x): light modules
 * (and block characters) in attribute light, dark spaces in attribute
 * dark. Cells outside the window are skipped, so callers check the size
 * first and draw nothing rather than a clipped code. */
void qrdraw_draw(const struct qr *q, int mode, int y, int x, int light,
                 int dark);

#endif
