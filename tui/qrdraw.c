/*
 * qrdraw: half-block rendering of the QR matrix.
 */
#include "qrdraw.h"

#include <curses.h>
#include <stdlib.h>
#include <wchar.h>

#define QRDRAW_UPPER 0x2580 /* top module dark */
#define QRDRAW_LOWER 0x2584 /* bottom module dark */
#define QRDRAW_FULL 0x2588  /* both dark */

void qrdraw_cells(const struct qr *q, int *w, int *h)
{
    *w = q->size;
    *h = (q->size + 1) / 2;
}

/* The character for modules (x, 2*row) and (x, 2*row+1); a row past an
 * odd-sized matrix reads as light because qr_dark() is 0 outside it. */
static wchar_t qrdraw_cell(const struct qr *q, int x, int row)
{
    int top = qr_dark(q, x, 2 * row);
    int bottom = qr_dark(q, x, 2 * row + 1);

    if (top && bottom)
        return QRDRAW_FULL;
    if (top)
        return QRDRAW_UPPER;
    if (bottom)
        return QRDRAW_LOWER;
    return L' ';
}

void qrdraw_draw(const struct qr *q, int y, int x, int attr)
{
    int w, h;
    wchar_t *line;

    qrdraw_cells(q, &w, &h);
    if (w <= 0 || x < 0 || x >= COLS)
        return;

    line = calloc((size_t)w + 1, sizeof(*line));
    if (line == NULL)
        return;

    attrset(attr);
    for (int row = 0; row < h; row++) {
        int n = w < COLS - x ? w : COLS - x;

        if (y + row < 0 || y + row >= LINES)
            continue;
        for (int col = 0; col < n; col++)
            line[col] = qrdraw_cell(q, col, row);
        mvaddnwstr(y + row, x, line, n);
    }
    attrset(A_NORMAL);
    free(line);
}
