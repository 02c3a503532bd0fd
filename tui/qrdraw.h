/*
 * qrdraw: a QR matrix on a text screen, two modules per character cell.
 *
 * Each cell shows one module across and two down with the block
 * characters U+2580, U+2584 and U+2588, in black on white, so the code
 * keeps its light quiet zone whatever the terminal's own colours are.
 */
#ifndef NPD_TUI_QRDRAW_H
#define NPD_TUI_QRDRAW_H

#include "qr.h"

/* Cells the code needs: size wide, ceil(size / 2) high. */
void qrdraw_cells(const struct qr *q, int *w, int *h);

/* Draws the code with its top-left cell at (y, x) in attribute attr;
 * cells outside the window are skipped, so callers check the size
 * first and draw nothing rather than a clipped code. */
void qrdraw_draw(const struct qr *q, int y, int x, int attr);

#endif
