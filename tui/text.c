/*
 * text: display-width layout of UTF-8 text for the screens.
 */
#include "text.h"

#include <curses.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>
#include <wctype.h>

#include "charset.h"

#define TEXT_MAX 2048

/* Decodes s into a malloc'd wide string of *n characters. Bytes that are
 * not valid in the locale and characters that cannot be printed become
 * '?', so widths stay known; '\n' is kept for the wrapper. */
static wchar_t *text_decode(const char *s, size_t *n)
{
    size_t len = strlen(s);
    wchar_t *ws = calloc(len + 1, sizeof(*ws));
    mbstate_t st;
    size_t i = 0;

    *n = 0;
    if (ws == NULL)
        return NULL;

    memset(&st, 0, sizeof(st));
    while (i < len) {
        wchar_t c;
        size_t used = mbrtowc(&c, s + i, len - i, &st);

        if (used == (size_t)-1 || used == (size_t)-2 || used == 0) {
            memset(&st, 0, sizeof(st));
            c = L'?';
            used = 1;
        }
        if (c != L'\n' && (!iswprint((wint_t)c) || wcwidth(c) < 0))
            c = L'?';
        ws[(*n)++] = c;
        i += used;
    }
    return ws;
}

/* text_decode() of what the terminal can show: on an ASCII terminal the
 * UTF-8 text is transliterated first. */
static wchar_t *text_wide(const char *s, size_t *n)
{
    char *ascii;
    wchar_t *ws;

    if (charset_utf8())
        return text_decode(s, n);

    ascii = charset_ascii(s);
    if (ascii == NULL)
        return NULL;
    ws = text_decode(ascii, n);
    free(ascii);
    return ws;
}

static int text_cols(wchar_t c)
{
    int w = wcwidth(c);

    return w < 0 ? 1 : w;
}

/* How many of the n characters fit into maxw columns; their width goes
 * to *cols. */
static size_t text_fit(const wchar_t *ws, size_t n, int maxw, int *cols)
{
    size_t i = 0;

    *cols = 0;
    while (i < n && ws[i] != L'\n' && *cols + text_cols(ws[i]) <= maxw) {
        *cols += text_cols(ws[i]);
        i++;
    }
    return i;
}

/* Draws up to n characters at (y, x), clipped to maxw and the window. */
static int text_draw(int y, int x, int maxw, const wchar_t *ws, size_t n)
{
    int cols;
    size_t fit;

    if (y < 0 || y >= LINES || x < 0 || x >= COLS || maxw <= 0)
        return 0;

    if (maxw > COLS - x)
        maxw = COLS - x;
    fit = text_fit(ws, n, maxw, &cols);
    if (fit > 0)
        mvaddnwstr(y, x, ws, (int)fit);
    return cols;
}

int text_width(const char *s)
{
    size_t n;
    wchar_t *ws = text_wide(s, &n);
    int w;

    if (ws == NULL)
        return (int)strlen(s);

    w = wcswidth(ws, n);
    if (w < 0)
        w = (int)n;
    free(ws);
    return w;
}

int text_put(int y, int x, int maxw, const char *s)
{
    size_t n;
    wchar_t *ws = text_wide(s, &n);
    int cols;

    if (ws == NULL)
        return 0;

    cols = text_draw(y, x, maxw, ws, n);
    free(ws);
    return cols;
}

/* Where the row that starts at i ends: before the last space that keeps
 * it within avail columns, or at a newline, or where the width runs out.
 * Always moves on by at least one character. */
static size_t text_break(const wchar_t *ws, size_t n, size_t i, int avail)
{
    int cols;
    size_t end = i + text_fit(ws + i, n - i, avail, &cols);
    size_t brk = end;

    if (end < n && ws[end] != L'\n' && ws[end] != L' ') {
        while (brk > i && ws[brk] != L' ')
            brk--;
        if (brk > i)
            end = brk;
    }
    return end > i ? end : (ws[i] == L'\n' ? i : i + 1);
}

/* Wraps ws row by row; draws only when draw is set. Returns rows. */
static int text_layout(const wchar_t *ws, size_t n, int w, int indent, int draw,
                       int y, int x, int maxrows)
{
    size_t i = 0;
    int rows = 0;

    if (w < 1)
        w = 1;
    if (indent >= w)
        indent = 0;

    while (i < n && (maxrows < 0 || rows < maxrows)) {
        int lead = rows > 0 ? indent : 0;
        size_t end = text_break(ws, n, i, w - lead);

        if (draw)
            text_draw(y + rows, x + lead, w - lead, ws + i, end - i);
        rows++;

        i = end;
        if (i < n && ws[i] == L'\n')
            i++;
        else
            while (i < n && ws[i] == L' ')
                i++;
    }
    return rows;
}

int text_rows(int w, int indent, const char *s)
{
    size_t n;
    wchar_t *ws = text_wide(s, &n);
    int rows;

    if (ws == NULL)
        return 1;

    rows = text_layout(ws, n, w, indent, 0, 0, 0, -1);
    free(ws);
    return rows;
}

int text_wrap(int y, int x, int w, int maxrows, int indent, const char *s)
{
    size_t n;
    wchar_t *ws;
    int rows;

    if (maxrows <= 0)
        return 0;

    ws = text_wide(s, &n);
    if (ws == NULL)
        return 0;

    rows = text_layout(ws, n, w, indent, 1, y, x, maxrows);
    free(ws);
    return rows;
}

void text_line(struct text_box *b, const char *s)
{
    if (b->y >= b->bottom)
        return;

    if (!b->dry)
        text_put(b->y, b->x, b->w, s);
    b->y++;
}

void text_para(struct text_box *b, int indent, const char *fmt, ...)
{
    char buf[TEXT_MAX];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);

    if (b->dry) {
        int rows = text_rows(b->w, indent, buf);

        b->y += rows < text_left(b) ? rows : text_left(b);
        return;
    }
    b->y += text_wrap(b->y, b->x, b->w, b->bottom - b->y, indent, buf);
}

void text_gap(struct text_box *b)
{
    if (b->y < b->bottom)
        b->y++;
}

int text_left(const struct text_box *b)
{
    return b->bottom > b->y ? b->bottom - b->y : 0;
}
