/* auth/totp.h - RFC 6238 one-time passwords (liboath) and the strings around them: base32
 * secrets, otpauth:// URIs for authenticator apps, recovery codes. No database here. */
#ifndef OL_TOTP_H
#define OL_TOTP_H
#include <stddef.h>
#include <time.h>

#define OL_TOTP_SECRET_BYTES 20 /* RFC 4226 recommends 160 bits */
#define OL_TOTP_STEP 30         /* seconds per code */
#define OL_TOTP_DIGITS 6
#define OL_RECOVERY_CODES 10    /* issued at confirmation */
#define OL_RECOVERY_LEN 19      /* "abcd-efgh-ijkl-mnop": 16 base32 characters, 80 bits */

/* Base32 (RFC 4648, upper case, no padding) of n bytes into out. Returns 0, or -1 when out
 * (outlen bytes) is too small. */
int ol_base32_encode(const unsigned char *in, size_t n, char *out, size_t outlen);

/* Checks a 6-digit code against secret at time now, accepting window steps before and after.
 * Returns 0 and the matched step (time / 30 s) in *step, or -1 for a wrong or malformed code. */
int ol_totp_verify(const unsigned char *secret, size_t n, time_t now, int window,
                   const char *code, long long *step);
/* The code of the step holding time at, into out (>= 7 bytes). Returns 0 or -1. */
int ol_totp_code(const unsigned char *secret, size_t n, time_t at, char *out);

/* otpauth://totp/ISSUER:USER?secret=...&issuer=...&algorithm=SHA1&digits=6&period=30 with the
 * issuer and user percent-encoded. Returns 0, or -1 when out is too small. */
int ol_totp_uri(const char *issuer, const char *user, const char *secret_b32, char *out,
                size_t outlen);

/* A new random recovery code "abcd-efgh-ijkl-mnop" into out (>= OL_RECOVERY_LEN + 1 bytes). */
void ol_recovery_code_new(char *out);
/* The canonical form of what a user typed (dashes and spaces dropped, lower case) into out
 * (>= 17 bytes). Returns 0, or -1 when it is not 16 base32 characters. */
int ol_recovery_code_norm(const char *in, char *out);

#endif
