/* auth/qr_svg.c - a QR code (libqrencode) drawn as an SVG image, for MFA enrolment. */
#include "auth/qr_svg.h"

#include <qrencode.h>
#include <stdlib.h>

#include "core/mem.h"

#define QUIET 4 /* modules of white border scanners need (ISO/IEC 18004) */

char *ol_qr_svg(const char *text)
{
    QRcode *qr = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
    if (!qr)
        return NULL;
    int w = qr->width, size = w + 2 * QUIET;
    ol_buf_t b;
    ol_buf_init(&b);
    ol_buf_printf(&b, "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" "
                      "width=\"%d\" height=\"%d\" shape-rendering=\"crispEdges\">"
                      "<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/><path fill=\"#000\" d=\"",
                  size, size, size * 4, size * 4, size, size);
    /* One rectangle per horizontal run of dark modules keeps the path short. */
    for (int y = 0; y < w; y++) {
        for (int x = 0; x < w;) {
            if (!(qr->data[y * w + x] & 1)) {
                x++;
                continue;
            }
            int run = 1;
            while (x + run < w && (qr->data[y * w + x + run] & 1))
                run++;
            ol_buf_printf(&b, "M%d %dh%dv1h-%dz", x + QUIET, y + QUIET, run, run);
            x += run;
        }
    }
    ol_buf_puts(&b, "\"/></svg>");
    QRcode_free(qr);
    return ol_buf_steal(&b);
}
