/*
 * qrdraw: half blocks, full blocks or coloured spaces for the QR matrix.
 */
#include "qrdraw.h"

#include <curses.h>
#include <stdlib.h>
#include <wchar.h>

#include "charset.h"

#define QRDRAW_UPPER 0x2580 /* top module dark */
#define QRDRAW_LOWER 0x2584 /* bottom module dark */
#define QRDRAW_FULL 0x2588  /* both dark */

int qrdraw_mode(int wanted)
{
    if (!charset_utf8())
        return CONFIG_QR_COLOUR;
    if (wanted < 0 || wanted >= CONFIG_QR_MODES)
        return CONFIG_QR_HALF;
    return wanted;
}

void qrdraw_cells(const struct qr *q, int mode, int *w, int *h)
{
    if (mode != CONFIG_QR_HALF) {
        *w = 2 * q->size;
        *h = q->size;
        return;
    }
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

static void qrdraw_blocks(const struct qr *q, int y, int x, int w, int h)
{
    wchar_t *line = calloc((size_t)w + 1, sizeof(*line));

    if (line == NULL)
        return;

    for (int row = 0; row < h; row++) {
        int n = w < COLS - x ? w : COLS - x;

        if (y + row < 0 || y + row >= LINES)
            continue;
        for (int col = 0; col < n; col++)
            line[col] = qrdraw_cell(q, col, row);
        mvaddnwstr(y + row, x, line, n);
    }
    free(line);
}

/* large: one module per two cells, a full block pair when dark. */
static void qrdraw_large(const struct qr *q, int y, int x)
{
    for (int row = 0; row < q->size; row++) {
        if (y + row < 0 || y + row >= LINES)
            continue;
        for (int col = 0; col < 2 * q->size && x + col < COLS; col++) {
            wchar_t ch[2] = {qr_dark(q, col / 2, row) ? QRDRAW_FULL : L' ',
                             L'\0'};

            mvaddnwstr(y + row, x + col, ch, 1);
        }
    }
}

/* One module per two cells; only the background tells dark from light. */
static void qrdraw_spaces(const struct qr *q, int y, int x, int light, int dark)
{
    for (int row = 0; row < q->size; row++) {
        if (y + row < 0 || y + row >= LINES)
            continue;
        for (int col = 0; col < 2 * q->size && x + col < COLS; col++) {
            attrset(qr_dark(q, col / 2, row) ? dark : light);
            mvaddch(y + row, x + col, ' ');
        }
    }
}

void qrdraw_draw(const struct qr *q, int mode, int y, int x, int light,
                 int dark)
{
    int w, h;

    mode = qrdraw_mode(mode);
    qrdraw_cells(q, mode, &w, &h);
    if (w <= 0 || x < 0 || x >= COLS)
        return;

    attrset(light);
    if (mode == CONFIG_QR_HALF)
        qrdraw_blocks(q, y, x, w, h);
    else if (mode == CONFIG_QR_LARGE)
        qrdraw_large(q, y, x);
    else
        qrdraw_spaces(q, y, x, light, dark);
    attrset(A_NORMAL);
}
