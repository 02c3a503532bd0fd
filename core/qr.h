/*
 * qr: the QR matrix the screen draws, built by libqrencode.
 *
 * The matrix already includes a quiet zone of QR_QUIET light modules on
 * every side, so a front end only maps modules to cells.
 */
#ifndef NPD_QR_H
#define NPD_QR_H

#define QR_QUIET 4

struct qr {
    int size;            /* modules per side, quiet zone included */
    unsigned char *dark; /* size*size bytes, 1 = dark module */
};

/* Encodes text (8-bit mode, error correction level M). 0 on success. */
int qr_make(const char *text, struct qr *out);

/* 1 when module (x, y) is dark; 0 outside the matrix. */
int qr_dark(const struct qr *q, int x, int y);

void qr_free(struct qr *q);

#endif
