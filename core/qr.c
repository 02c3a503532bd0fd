/*
 * qr: libqrencode's symbol copied into a matrix with its quiet zone.
 */
#include "qr.h"

#include <stdlib.h>
#include <string.h>

#include <qrencode.h>

/* Copies the symbol into the middle of a light square; libqrencode keeps
 * the module colour in the lowest bit of each byte. */
static int qr_place(const QRcode *code, struct qr *out)
{
    int size = code->width + 2 * QR_QUIET;

    out->dark = calloc((size_t)size * (size_t)size, 1);
    if (out->dark == NULL)
        return -1;
    out->size = size;

    for (int y = 0; y < code->width; y++)
        for (int x = 0; x < code->width; x++)
            out->dark[(y + QR_QUIET) * size + x + QR_QUIET] =
                code->data[y * code->width + x] & 1;
    return 0;
}

int qr_make(const char *text, struct qr *out)
{
    QRcode *code;
    int rc;

    out->size = 0;
    out->dark = NULL;
    if (text == NULL)
        return -1;

    /* Version 0 lets libqrencode pick the smallest symbol that fits. */
    code = QRcode_encodeString8bit(text, 0, QR_ECLEVEL_M);
    if (code == NULL)
        return -1;

    rc = qr_place(code, out);
    QRcode_free(code);
    return rc;
}

int qr_dark(const struct qr *q, int x, int y)
{
    if (q == NULL || q->dark == NULL || x < 0 || y < 0 || x >= q->size ||
        y >= q->size)
        return 0;
    return q->dark[y * q->size + x];
}

void qr_free(struct qr *q)
{
    if (q == NULL)
        return;
    free(q->dark);
    q->dark = NULL;
    q->size = 0;
}
