/* auth/totp.c - RFC 6238 one-time passwords over liboath, base32, otpauth URIs, recovery codes. */
#include "auth/totp.h"

#include <ctype.h>
#include <liboath/oath.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pthread_once_t oath_once = PTHREAD_ONCE_INIT;

static void oath_start(void)
{
    /* oath_init only sets up the crypto backend; it cannot fail short of a broken install. */
    if (oath_init() != OATH_OK)
        abort();
}

/* Not liboath's oath_base32_encode: that one allocates and pads with '=', which otpauth URIs
 * leave out. */
int ol_base32_encode(const unsigned char *in, size_t n, char *out, size_t outlen)
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    size_t need = (n * 8 + 4) / 5 + 1, o = 0;
    if (outlen < need)
        return -1;
    unsigned buf = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        buf = (buf << 8) | in[i];
        bits += 8;
        while (bits >= 5) {
            out[o++] = alphabet[(buf >> (bits - 5)) & 31];
            bits -= 5;
        }
    }
    if (bits > 0)
        out[o++] = alphabet[(buf << (5 - bits)) & 31];
    out[o] = 0;
    return 0;
}

static int six_digits(const char *code)
{
    if (!code || strlen(code) != OL_TOTP_DIGITS)
        return 0;
    for (const char *s = code; *s; s++)
        if (!isdigit((unsigned char)*s))
            return 0;
    return 1;
}

int ol_totp_verify(const unsigned char *secret, size_t n, time_t now, int window,
                   const char *code, long long *step)
{
    if (!six_digits(code) || window < 0)
        return -1;
    pthread_once(&oath_once, oath_start);
    uint64_t counter = 0;
    int pos = 0;
    int rc = oath_totp_validate3((const char *)secret, n, now, OL_TOTP_STEP, 0, (size_t)window,
                                 &pos, &counter, code);
    if (rc < 0)
        return -1;
    *step = (long long)counter;
    return 0;
}

int ol_totp_code(const unsigned char *secret, size_t n, time_t at, char *out)
{
    pthread_once(&oath_once, oath_start);
    return oath_totp_generate((const char *)secret, n, at, OL_TOTP_STEP, 0, OL_TOTP_DIGITS, out)
                   == OATH_OK ? 0 : -1;
}

/* Percent-encodes all but RFC 3986 unreserved characters; returns the new end or NULL. */
static char *escape(char *o, char *end, const char *s)
{
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (isalnum(ch) || ch == '-' || ch == '.' || ch == '_' || ch == '~') {
            if (o + 1 >= end)
                return NULL;
            *o++ = (char)ch;
        } else {
            if (o + 3 >= end)
                return NULL;
            o += sprintf(o, "%%%02X", ch);
        }
    }
    *o = 0;
    return o;
}

int ol_totp_uri(const char *issuer, const char *user, const char *secret_b32, char *out,
                size_t outlen)
{
    char *end = out + outlen, *o = out;
    int n = snprintf(o, outlen, "otpauth://totp/");
    if (n < 0 || (size_t)n >= outlen)
        return -1;
    o += n;
    if (!(o = escape(o, end, issuer)) || o + 1 >= end)
        return -1;
    *o++ = ':';
    if (!(o = escape(o, end, user)))
        return -1;
    n = snprintf(o, (size_t)(end - o), "?secret=%s&issuer=", secret_b32);
    if (n < 0 || n >= end - o)
        return -1;
    o += n;
    if (!(o = escape(o, end, issuer)))
        return -1;
    n = snprintf(o, (size_t)(end - o), "&algorithm=SHA1&digits=%d&period=%d", OL_TOTP_DIGITS,
                 OL_TOTP_STEP);
    return n < 0 || n >= end - o ? -1 : 0;
}

void ol_recovery_code_new(char *out)
{
    unsigned char raw[10];
    char b32[17];
    randombytes_buf(raw, sizeof raw);
    ol_base32_encode(raw, sizeof raw, b32, sizeof b32);
    for (int i = 0, o = 0; i < 16; i++) {
        if (i && i % 4 == 0)
            out[o++] = '-';
        out[o++] = (char)tolower((unsigned char)b32[i]);
        out[o] = 0;
    }
    sodium_memzero(raw, sizeof raw);
}

int ol_recovery_code_norm(const char *in, char *out)
{
    int n = 0;
    for (; *in; in++) {
        unsigned char ch = (unsigned char)*in;
        if (ch == '-' || ch == ' ')
            continue;
        ch = (unsigned char)tolower(ch);
        if (!((ch >= 'a' && ch <= 'z') || (ch >= '2' && ch <= '7')) || n == 16)
            return -1;
        out[n++] = (char)ch;
    }
    out[n] = 0;
    return n == 16 ? 0 : -1;
}
