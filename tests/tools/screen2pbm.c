/*
 * screen2pbm: turns the QR code npdlink draws on a terminal back into an
 * image a barcode reader can decode.
 *
 * Input (stdin) is a tmux capture taken with `capture-pane -p -e -N`: text
 * with SGR sequences. The QR block is the largest connected region of
 * half-block cells (U+2580, U+2584, U+2588) and spaces drawn black on
 * white. Each cell is one module wide and two modules tall. Every block
 * character must be black on white and every space white underneath (its
 * foreground is never seen), so a code drawn in the terminal's own colours
 * (unreadable on a dark theme) is rejected, and the code must keep a light
 * quiet zone on every side.
 *
 * A block whose only glyphs are full blocks (U+2588), no half blocks, is
 * read in the large form: each module two cells wide and one tall, so
 * both cells of a module must agree. A half-block code always holds half
 * blocks (its finder patterns are seven modules tall, an odd count), so
 * the two forms cannot be mistaken for each other.
 *
 * A capture without half-block cells is read in the colour-only form
 * that a terminal without UTF-8 gets: each module is two spaces side by
 * side, light on a white background and dark on a black one, and both
 * spaces of a module must agree.
 *
 * tmux leaves out cells that were erased in a colour rather than written,
 * so a capture of a screen painted with ECH or EL loses parts of the
 * quiet zone: such a block reads as torn and is rejected, never guessed.
 *
 * Output (stdout) is a plain PBM (P1) image, each module scaled to a square
 * of --scale pixels. Exit status: 0 done, 1 no usable QR block, 2 usage.
 */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define UPPER_HALF 0x2580u
#define LOWER_HALF 0x2584u
#define FULL_BLOCK 0x2588u

/* The smallest QR code (version 1) is 21 modules wide. */
#define QR_MIN_MODULES 21

enum colour_kind { COLOUR_DEFAULT, COLOUR_INDEX, COLOUR_RGB };

struct colour {
    enum colour_kind kind;
    uint32_t value; /* palette index, or 0xRRGGBB */
};

struct cell {
    uint32_t ch;
    struct colour fg; /* as seen: reverse video already applied */
    struct colour bg;
};

struct row {
    struct cell *cells;
    size_t n, cap;
};

struct grid {
    struct row *rows;
    size_t n, cap;
};

struct pen {
    struct colour fg, bg;
    int reverse;
};

struct box {
    size_t top, left, height, width; /* in cells */
};

static void die(const char *what)
{
    fprintf(stderr, "screen2pbm: %s\n", what);
    exit(1);
}

static void *grow(void *p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return p;

    size_t n = *cap ? *cap * 2 : 64;
    while (n < need)
        n *= 2;
    p = realloc(p, n * size);
    if (!p)
        die("out of memory");
    *cap = n;
    return p;
}

static struct row *grid_new_row(struct grid *g)
{
    g->rows = grow(g->rows, &g->cap, g->n + 1, sizeof *g->rows);
    memset(&g->rows[g->n], 0, sizeof g->rows[g->n]);
    return &g->rows[g->n++];
}

static void row_put(struct row *r, uint32_t ch, const struct pen *p)
{
    r->cells = grow(r->cells, &r->cap, r->n + 1, sizeof *r->cells);

    struct cell *c = &r->cells[r->n++];
    c->ch = ch;
    c->fg = p->reverse ? p->bg : p->fg;
    c->bg = p->reverse ? p->fg : p->bg;
}

static const struct cell *grid_at(const struct grid *g, size_t y, size_t x)
{
    if (y >= g->n || x >= g->rows[y].n)
        return NULL;
    return &g->rows[y].cells[x];
}

static char *read_all(FILE *in, size_t *len)
{
    size_t cap = 0, n = 0;
    char *buf = NULL;

    for (;;) {
        buf = grow(buf, &cap, n + 4096, 1);
        size_t got = fread(buf + n, 1, cap - n, in);
        n += got;
        if (got == 0)
            break;
    }
    if (ferror(in))
        die("cannot read stdin");
    *len = n;
    return buf;
}

/* Decodes one UTF-8 sequence; a malformed byte reads as U+FFFD. */
static uint32_t utf8_next(const unsigned char *s, size_t len, size_t *used)
{
    size_t n = s[0] >= 0xf0 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc0 ? 2 : 1;
    uint32_t cp = n == 1 ? s[0] : s[0] & (0x3fu >> (n - 1));

    if (s[0] >= 0x80 && n == 1) {
        *used = 1;
        return 0xfffdu;
    }
    for (size_t i = 1; i < n; i++) {
        if (i >= len || (s[i] & 0xc0) != 0x80) {
            *used = i;
            return 0xfffdu;
        }
        cp = cp << 6 | (s[i] & 0x3fu);
    }
    *used = n;
    return cp;
}

/* Reads an extended colour (38/48 sub-parameters) starting after the 38
 * or 48; returns how many parameters it used. */
static size_t sgr_extended(const long *v, size_t n, struct colour *c)
{
    if (n >= 2 && v[0] == 5) {
        c->kind = COLOUR_INDEX;
        c->value = (uint32_t)v[1] & 0xffu;
        return 2;
    }
    if (n >= 4 && v[0] == 2) {
        c->kind = COLOUR_RGB;
        c->value = ((uint32_t)v[1] & 0xffu) << 16 |
                   ((uint32_t)v[2] & 0xffu) << 8 | ((uint32_t)v[3] & 0xffu);
        return 4;
    }
    return n;
}

static void set_index(struct colour *c, long index)
{
    c->kind = COLOUR_INDEX;
    c->value = (uint32_t)index;
}

static void sgr_apply(struct pen *p, const long *v, size_t n)
{
    static const struct pen plain;

    for (size_t i = 0; i < n; i++) {
        long a = v[i];
        if (a == 0)
            *p = plain;
        else if (a == 7)
            p->reverse = 1;
        else if (a == 27)
            p->reverse = 0;
        else if (a >= 30 && a <= 37)
            set_index(&p->fg, a - 30);
        else if (a >= 90 && a <= 97)
            set_index(&p->fg, a - 90 + 8);
        else if (a >= 40 && a <= 47)
            set_index(&p->bg, a - 40);
        else if (a >= 100 && a <= 107)
            set_index(&p->bg, a - 100 + 8);
        else if (a == 39)
            p->fg.kind = COLOUR_DEFAULT;
        else if (a == 49)
            p->bg.kind = COLOUR_DEFAULT;
        else if (a == 38)
            i += sgr_extended(v + i + 1, n - i - 1, &p->fg);
        else if (a == 48)
            i += sgr_extended(v + i + 1, n - i - 1, &p->bg);
    }
}

/* Handles one escape sequence at s (s[0] is ESC); returns its length.
 * Only SGR changes the pen; other CSI and OSC sequences are skipped. */
static size_t escape(const char *s, size_t len, struct pen *p)
{
    long v[32];
    size_t n = 0, i = 2;

    if (len < 2 || s[1] != '[')
        return len < 2 ? 1 : 2;

    v[0] = 0;
    for (; i < len && s[i] >= 0x30 && s[i] <= 0x3f; i++) {
        if (s[i] == ';' || s[i] == ':') {
            if (n < 31)
                v[++n] = 0;
        } else if (s[i] >= '0' && s[i] <= '9' && v[n] < 100000) {
            v[n] = v[n] * 10 + (s[i] - '0');
        }
    }
    if (i < len && s[i] == 'm')
        sgr_apply(p, v, n + 1);
    return i < len ? i + 1 : len;
}

static void parse(const char *buf, size_t len, struct grid *g)
{
    struct pen pen = {0};
    struct row *r = grid_new_row(g);

    for (size_t i = 0; i < len;) {
        size_t used = 1;
        if (buf[i] == '\033') {
            used = escape(buf + i, len - i, &pen);
        } else if (buf[i] == '\n') {
            r = grid_new_row(g);
        } else if (buf[i] != '\r') {
            uint32_t cp =
                utf8_next((const unsigned char *)buf + i, len - i, &used);
            row_put(r, cp, &pen);
        }
        i += used;
    }
}

/* The 16 palette entries and the 256-colour cube count black only at 0
 * and 16 and white only at 7, 15, 231 and the top greys. */
static int colour_is_black(const struct colour *c)
{
    if (c->kind == COLOUR_INDEX)
        return c->value == 0 || c->value == 16;
    return c->kind == COLOUR_RGB && c->value == 0;
}

static int colour_is_white(const struct colour *c)
{
    if (c->kind == COLOUR_INDEX)
        return c->value == 7 || c->value == 15 || c->value == 231 ||
               c->value >= 252;
    if (c->kind != COLOUR_RGB)
        return 0;
    return (c->value >> 16 & 0xffu) >= 0xc0 &&
           (c->value >> 8 & 0xffu) >= 0xc0 && (c->value & 0xffu) >= 0xc0;
}

/* Set when the capture holds no half-block code: modules are then pairs
 * of spaces told apart by their background. */
static int colour_only;

static int cell_is_dark_space(const struct cell *c)
{
    return c->ch == ' ' && colour_is_black(&c->bg);
}

static int cell_is_glyph(const struct cell *c)
{
    if (colour_only)
        return cell_is_dark_space(c);
    return c->ch == UPPER_HALF || c->ch == LOWER_HALF || c->ch == FULL_BLOCK;
}

/* Black on white as the eye sees it: a space shows only its background. */
static int cell_has_pair(const struct cell *c)
{
    if (c->ch == ' ')
        return colour_is_white(&c->bg) ||
               (colour_only && cell_is_dark_space(c));
    return colour_is_black(&c->fg) && colour_is_white(&c->bg);
}

/* A cell that may belong to a QR block: any block glyph (so a code in the
 * wrong colours is still found, then rejected), or a light space. */
static int cell_is_candidate(const struct cell *c)
{
    return cell_is_glyph(c) || (c->ch == ' ' && cell_has_pair(c));
}

struct labels {
    int *id; /* per cell of a rows x cols rectangle, 0 = none */
    size_t rows, cols;
    size_t *stack;
};

/* Flood-fills one region from (y, x); returns its count of glyph cells
 * and widens *b to cover it. */
static size_t fill(const struct grid *g, struct labels *l, size_t y, size_t x,
                   int id, struct box *b)
{
    size_t top = 0, glyphs = 0, bottom = y, right = x;

    l->stack[top++] = y * l->cols + x;
    l->id[y * l->cols + x] = id;
    b->top = y;
    b->left = x;
    while (top > 0) {
        size_t at = l->stack[--top], cy = at / l->cols, cx = at % l->cols;
        const size_t ny[4] = {cy - 1, cy + 1, cy, cy};
        const size_t nx[4] = {cx, cx, cx - 1, cx + 1};

        glyphs += cell_is_glyph(grid_at(g, cy, cx));
        b->top = cy < b->top ? cy : b->top;
        b->left = cx < b->left ? cx : b->left;
        bottom = cy > bottom ? cy : bottom;
        right = cx > right ? cx : right;
        for (int k = 0; k < 4; k++) {
            const struct cell *c = grid_at(g, ny[k], nx[k]);
            size_t to = ny[k] * l->cols + nx[k];
            if (c && cell_is_candidate(c) && l->id[to] == 0) {
                l->id[to] = id;
                l->stack[top++] = to;
            }
        }
    }
    b->height = bottom - b->top + 1;
    b->width = right - b->left + 1;
    return glyphs;
}

/* Finds the region with the most glyph cells; returns its label. */
static int find_block(const struct grid *g, struct labels *l, struct box *out)
{
    size_t best = 0;
    int id = 0, best_id = 0;

    for (size_t y = 0; y < g->n; y++) {
        for (size_t x = 0; x < g->rows[y].n; x++) {
            const struct cell *c = grid_at(g, y, x);
            struct box b;
            if (!cell_is_candidate(c) || l->id[y * l->cols + x] != 0)
                continue;
            size_t glyphs = fill(g, l, y, x, ++id, &b);
            if (glyphs > best) {
                best = glyphs;
                best_id = id;
                *out = b;
            }
        }
    }
    return best_id;
}

static void describe(const struct colour *c, char *out, size_t n)
{
    if (c->kind == COLOUR_DEFAULT)
        snprintf(out, n, "default");
    else if (c->kind == COLOUR_INDEX)
        snprintf(out, n, "colour %u", (unsigned)c->value);
    else
        snprintf(out, n, "#%06x", (unsigned)c->value);
}

static void fail_at(const char *what, size_t y, size_t x, const struct cell *c)
{
    char fg[32], bg[32];

    if (!c) {
        fprintf(stderr,
                "screen2pbm: %s at line %zu, column %zu "
                "(the capture has no cell there)\n",
                what, y + 1, x + 1);
        exit(1);
    }

    describe(&c->fg, fg, sizeof fg);
    describe(&c->bg, bg, sizeof bg);
    fprintf(stderr,
            "screen2pbm: %s at line %zu, column %zu "
            "(U+%04X, foreground %s, background %s)\n",
            what, y + 1, x + 1, (unsigned)c->ch, fg, bg);
    exit(1);
}

/* Every cell of the region must look black on white. */
static void check_colours(const struct grid *g, const struct labels *l, int id,
                          const struct box *b)
{
    for (size_t y = b->top; y < b->top + b->height; y++) {
        for (size_t x = b->left; x < b->left + b->width; x++) {
            const struct cell *c = grid_at(g, y, x);
            if (l->id[y * l->cols + x] == id && !cell_has_pair(c))
                fail_at("QR cell not drawn black on white", y, x, c);
        }
    }
}

/* The region must fill its bounding box: a clipped or torn code fails. */
static void check_rectangle(const struct labels *l, int id,
                            const struct grid *g, const struct box *b)
{
    for (size_t y = b->top; y < b->top + b->height; y++) {
        for (size_t x = b->left; x < b->left + b->width; x++) {
            if (l->id[y * l->cols + x] != id)
                fail_at("QR block is not a rectangle", y, x, grid_at(g, y, x));
        }
    }
}

struct bitmap {
    unsigned char *dark;
    size_t w, h;
};

static int cell_is_full_block(const struct cell *c)
{
    return c->ch == FULL_BLOCK;
}

/* 1 when some cell of the box is a half block. */
static int has_half_blocks(const struct grid *g, const struct box *b)
{
    for (size_t y = b->top; y < b->top + b->height; y++) {
        for (size_t x = b->left; x < b->left + b->width; x++) {
            uint32_t ch = grid_at(g, y, x)->ch;
            if (ch == UPPER_HALF || ch == LOWER_HALF)
                return 1;
        }
    }
    return 0;
}

/* Colour-only and large forms: one module per two cells, which must
 * match; dark() tells a dark cell. */
static void to_modules_pairs(const struct grid *g, const struct box *b,
                             struct bitmap *m, int (*dark)(const struct cell *))
{
    if (b->width % 2 != 0)
        fail_at("QR block of two-cell modules has an odd width", b->top,
                b->left + b->width - 1,
                grid_at(g, b->top, b->left + b->width - 1));

    m->w = b->width / 2;
    m->h = b->height;
    m->dark = calloc(m->w * m->h, 1);
    if (!m->dark)
        die("out of memory");

    for (size_t y = 0; y < b->height; y++) {
        for (size_t x = 0; x < m->w; x++) {
            const struct cell *l = grid_at(g, b->top + y, b->left + 2 * x);
            const struct cell *r = grid_at(g, b->top + y, b->left + 2 * x + 1);
            if (dark(l) != dark(r))
                fail_at("the two cells of a QR module differ", b->top + y,
                        b->left + 2 * x + 1, r);
            m->dark[y * m->w + x] = dark(l);
        }
    }
}

static void to_modules(const struct grid *g, const struct box *b,
                       struct bitmap *m)
{
    if (colour_only) {
        to_modules_pairs(g, b, m, cell_is_dark_space);
        return;
    }
    if (!has_half_blocks(g, b)) {
        to_modules_pairs(g, b, m, cell_is_full_block);
        return;
    }

    m->w = b->width;
    m->h = b->height * 2;
    m->dark = calloc(m->w * m->h, 1);
    if (!m->dark)
        die("out of memory");

    for (size_t y = 0; y < b->height; y++) {
        for (size_t x = 0; x < b->width; x++) {
            uint32_t ch = grid_at(g, b->top + y, b->left + x)->ch;
            m->dark[2 * y * m->w + x] = ch == UPPER_HALF || ch == FULL_BLOCK;
            m->dark[(2 * y + 1) * m->w + x] =
                ch == LOWER_HALF || ch == FULL_BLOCK;
        }
    }
}

/* The dark modules must form a square of a real QR size (21 + 4k), with
 * at least `quiet` light modules around it. */
static void check_modules(const struct bitmap *m, size_t quiet)
{
    size_t top = m->h, left = m->w, bottom = 0, right = 0;
    char msg[160];

    for (size_t y = 0; y < m->h; y++) {
        for (size_t x = 0; x < m->w; x++) {
            if (!m->dark[y * m->w + x])
                continue;
            top = y < top ? y : top;
            left = x < left ? x : left;
            bottom = y > bottom ? y : bottom;
            right = x > right ? x : right;
        }
    }
    if (top == m->h)
        die("QR block has no dark modules");

    size_t w = right - left + 1, h = bottom - top + 1;
    if (w != h || w < QR_MIN_MODULES || (w - QR_MIN_MODULES) % 4 != 0) {
        snprintf(msg, sizeof msg,
                 "dark modules span %zux%zu, not a QR symbol size", w, h);
        die(msg);
    }

    size_t margin[4] = {top, left, m->h - 1 - bottom, m->w - 1 - right};
    for (int i = 0; i < 4; i++) {
        if (margin[i] < quiet) {
            snprintf(msg, sizeof msg,
                     "quiet zone of %zu modules, %zu needed (top, left, "
                     "bottom, right: %zu %zu %zu %zu)",
                     margin[i], quiet, margin[0], margin[1], margin[2],
                     margin[3]);
            die(msg);
        }
    }
}

static void write_pbm(const struct bitmap *m, size_t scale, FILE *out)
{
    size_t col = 0;

    fprintf(out, "P1\n%zu %zu\n", m->w * scale, m->h * scale);
    for (size_t py = 0; py < m->h * scale; py++) {
        for (size_t px = 0; px < m->w * scale; px++) {
            unsigned char d = m->dark[(py / scale) * m->w + px / scale];
            fputc(d ? '1' : '0', out);
            if (++col == 64) {
                fputc('\n', out);
                col = 0;
            }
        }
    }
    if (col)
        fputc('\n', out);
    if (fflush(out) != 0)
        die("cannot write the image");
}

static void usage(FILE *to)
{
    fputs("usage: screen2pbm [--scale N] [--quiet N] < capture > image.pbm\n"
          "  --scale N  pixels per module (default 8)\n"
          "  --quiet N  light modules required around the code (default 4)\n",
          to);
}

static long number_arg(const char *s, long lo, long hi)
{
    char *end;
    long v = strtol(s, &end, 10);

    if (*s == '\0' || *end != '\0' || v < lo || v > hi) {
        usage(stderr);
        exit(2);
    }
    return v;
}

static void parse_args(int argc, char **argv, size_t *scale, size_t *quiet)
{
    static const struct option opts[] = {
        {"scale", required_argument, NULL, 's'},
        {"quiet", required_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;

    while ((c = getopt_long(argc, argv, "s:q:h", opts, NULL)) != -1) {
        if (c == 's') {
            *scale = (size_t)number_arg(optarg, 1, 64);
        } else if (c == 'q') {
            *quiet = (size_t)number_arg(optarg, 0, 64);
        } else {
            usage(c == 'h' ? stdout : stderr);
            exit(c == 'h' ? 0 : 2);
        }
    }
    if (optind != argc) {
        usage(stderr);
        exit(2);
    }
}

static size_t widest_row(const struct grid *g)
{
    size_t w = 0;

    for (size_t y = 0; y < g->n; y++)
        w = g->rows[y].n > w ? g->rows[y].n : w;
    return w;
}

int main(int argc, char **argv)
{
    size_t scale = 8, quiet = 4, len;
    struct grid g = {0};
    struct labels l;
    struct box b = {0};
    struct bitmap m;

    parse_args(argc, argv, &scale, &quiet);

    char *buf = read_all(stdin, &len);
    parse(buf, len, &g);

    l.rows = g.n;
    l.cols = widest_row(&g) + 1;
    l.id = calloc(l.rows * l.cols, sizeof *l.id);
    l.stack = malloc(l.rows * l.cols * sizeof *l.stack);
    if (!l.id || !l.stack)
        die("out of memory");

    int id = find_block(&g, &l, &b);
    if (id == 0) {
        colour_only = 1;
        memset(l.id, 0, l.rows * l.cols * sizeof *l.id);
        id = find_block(&g, &l, &b);
    }
    if (id == 0)
        die("no QR block found");

    check_colours(&g, &l, id, &b);
    check_rectangle(&l, id, &g, &b);
    to_modules(&g, &b, &m);
    check_modules(&m, quiet);
    write_pbm(&m, scale, stdout);
    return 0;
}
