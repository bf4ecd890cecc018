/* auth/qr_svg.h - a QR code (libqrencode) drawn as an SVG image, for MFA enrolment. */
#ifndef OL_QR_SVG_H
#define OL_QR_SVG_H

/* The SVG of text as a QR code (error correction M, a 4-module quiet zone, one path of dark
 * modules). Returns a string the caller frees, or NULL when text does not fit a QR code. */
char *ol_qr_svg(const char *text);

#endif
