/*
 * text: lines of UTF-8 text on the curses screen, laid out by display
 * width (a Cyrillic letter is one column, some symbols two), never past
 * the window's edge. Every function accepts any coordinates: what falls
 * outside the window is simply not drawn.
 */
#ifndef NPD_TUI_TEXT_H
#define NPD_TUI_TEXT_H

/* A region being filled top-down: rows y .. bottom-1, columns x .. x+w-1.
 * Functions that draw into it move y down past what they drew. A dry box
 * draws nothing and only counts rows, so a layout can be measured with
 * the very code that draws it. */
struct text_box {
    int y;
    int x;
    int w;
    int bottom;
    int dry;
};

/* Columns that s takes on screen; invalid UTF-8 counts one per byte. */
int text_width(const char *s);

/* Draws s at (y, x), cut to maxw columns and to the window. Returns the
 * columns drawn. */
int text_put(int y, int x, int maxw, const char *s);

/* Rows that s takes when wrapped at width w, continuation lines indented
 * by indent columns. */
int text_rows(int w, int indent, const char *s);

/* Draws s wrapped at width w, at most maxrows rows. Returns rows drawn. */
int text_wrap(int y, int x, int w, int maxrows, int indent, const char *s);

/* One line, cut to the box. */
void text_line(struct text_box *b, const char *s);

/* printf-style text, wrapped to the box. */
void text_para(struct text_box *b, int indent, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A blank row, unless the box is already full. */
void text_gap(struct text_box *b);

/* Rows left in the box. */
int text_left(const struct text_box *b);

#endif
