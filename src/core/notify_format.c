/* core/notify_format.c - webhook bodies, signing and e-mail text of a notice (P7). The JSON
 * shapes are each service's documented "text" message: DingTalk and WeCom robots
 * {"msgtype":"text","text":{"content":..}}, Feishu bots {"msg_type":"text","content":{"text":..}}
 * (with "timestamp" and "sign" when signed), Slack incoming webhooks {"text":..}. */
#include "core/notify_format.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const formats[] = {"dingtalk", "wecom", "feishu", "slack", "generic", NULL};

int ol_notify_format_valid(const char *format)
{
    for (int i = 0; format && formats[i]; i++)
        if (!strcmp(format, formats[i]))
            return 1;
    return 0;
}

static void hmac_b64(const char *key, size_t keylen, const char *msg, size_t msglen, char *out,
                     size_t len)
{
    crypto_auth_hmacsha256_state st;
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_init(&st, (const unsigned char *)key, keylen);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)msg, msglen);
    crypto_auth_hmacsha256_final(&st, mac);
    sodium_bin2base64(out, len, mac, sizeof mac, sodium_base64_VARIANT_ORIGINAL);
    sodium_memzero(&st, sizeof st);
}

void ol_notify_dingtalk_sign(const char *secret, long long timestamp_ms, char *out, size_t len)
{
    ol_buf_t b;
    ol_buf_init(&b);
    ol_buf_printf(&b, "%lld\n%s", timestamp_ms, secret);
    hmac_b64(secret, strlen(secret), b.p, b.len, out, len);
    sodium_memzero(b.p, b.len);
    ol_buf_clear(&b);
}

void ol_notify_feishu_sign(const char *secret, long long timestamp_s, char *out, size_t len)
{
    ol_buf_t b;
    ol_buf_init(&b);
    ol_buf_printf(&b, "%lld\n%s", timestamp_s, secret);
    hmac_b64(b.p, b.len, "", 0, out, len);
    sodium_memzero(b.p, b.len);
    ol_buf_clear(&b);
}

/* The text of a chat message: subject, a blank line, the body. */
static char *chat_text(const ol_notice_msg_t *m)
{
    ol_buf_t b;
    ol_buf_init(&b);
    ol_buf_printf(&b, "%s\n\n%s", m->subject, m->body);
    return ol_buf_steal(&b);
}

/* Percent-encodes everything but unreserved characters (RFC 3986). */
static void url_escape(const char *s, ol_buf_t *out)
{
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
            strchr("-._~", ch))
            ol_buf_append(out, s, 1);
        else
            ol_buf_printf(out, "%%%02X", ch);
    }
}

int ol_notify_webhook(const char *format, const char *url, const char *secret,
                      const ol_notice_msg_t *m, long long now_ms, char **body, char **url_out)
{
    json_t *j = NULL;
    char *text = chat_text(m);
    char sign[64];
    int signing = secret && *secret;
    ol_buf_t u;
    ol_buf_init(&u);
    ol_buf_puts(&u, url);
    if (!strcmp(format, "dingtalk")) {
        j = json_pack("{s:s, s:{s:s}}", "msgtype", "text", "text", "content", text);
        if (signing) {
            ol_notify_dingtalk_sign(secret, now_ms, sign, sizeof sign);
            ol_buf_printf(&u, "%ctimestamp=%lld&sign=", strchr(url, '?') ? '&' : '?', now_ms);
            url_escape(sign, &u);
        }
    } else if (!strcmp(format, "wecom")) {
        j = json_pack("{s:s, s:{s:s}}", "msgtype", "text", "text", "content", text);
    } else if (!strcmp(format, "feishu")) {
        j = json_pack("{s:s, s:{s:s}}", "msg_type", "text", "content", "text", text);
        if (signing) {
            char ts[24];
            snprintf(ts, sizeof ts, "%lld", now_ms / 1000);
            ol_notify_feishu_sign(secret, now_ms / 1000, sign, sizeof sign);
            json_object_set_new(j, "timestamp", json_string(ts));
            json_object_set_new(j, "sign", json_string(sign));
        }
    } else if (!strcmp(format, "slack")) {
        j = json_pack("{s:s}", "text", text);
    } else if (!strcmp(format, "generic")) {
        j = json_pack("{s:I, s:s, s:s, s:s, s:s?, s:s, s:s, s:s}", "id", (json_int_t)m->id,
                      "key", m->key, "channel", m->channel, "event", m->event, "record",
                      m->record, "lang", m->lang, "subject", m->subject, "body", m->body);
    }
    free(text);
    if (!j) {
        ol_buf_clear(&u);
        return -1;
    }
    *body = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(j);
    *url_out = ol_buf_steal(&u);
    return 0;
}

/* ---- e-mail ----------------------------------------------------------------------------- */

static int plain_ascii(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
            return 0;
    return 1;
}

static void b64_append(const unsigned char *p, size_t n, ol_buf_t *out)
{
    char tmp[sodium_base64_ENCODED_LEN(57, sodium_base64_VARIANT_ORIGINAL)];
    while (n) {
        size_t k = n < 57 ? n : 57;
        sodium_bin2base64(tmp, sizeof tmp, p, k, sodium_base64_VARIANT_ORIGINAL);
        ol_buf_puts(out, tmp);
        p += k;
        n -= k;
        if (n)
            ol_buf_puts(out, "\r\n");
    }
}

#define WORD_BYTES 39 /* 52 base64 characters: each encoded-word line stays under 78 */

void ol_notify_rfc2047(const char *text, ol_buf_t *out)
{
    if (plain_ascii(text)) {
        ol_buf_puts(out, text);
        return;
    }
    const unsigned char *p = (const unsigned char *)text;
    size_t n = strlen(text);
    int first = 1;
    while (n) {
        size_t k = n < WORD_BYTES ? n : WORD_BYTES;
        while (k < n && k > 0 && (p[k] & 0xC0) == 0x80) /* not inside a character */
            k--;
        if (k == 0)
            k = n < WORD_BYTES ? n : WORD_BYTES;
        ol_buf_puts(out, first ? "=?UTF-8?B?" : "\r\n =?UTF-8?B?");
        b64_append(p, k, out);
        ol_buf_puts(out, "?=");
        p += k;
        n -= k;
        first = 0;
    }
}

/* The domain of the From address, for the Message-ID. */
static const char *domain_of(const char *from)
{
    const char *at = strrchr(from, '@');
    return at && at[1] ? at + 1 : "opsledger.invalid";
}

void ol_notify_email(const ol_notice_msg_t *m, const char *from, const char *to, time_t now,
                     ol_buf_t *out)
{
    char date[64];
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm);
    ol_buf_printf(out, "Date: %s\r\nFrom: %s\r\nTo:", date, from);
    /* Up to 20 addresses: fold the line before it passes 78 characters (RFC 5322 2.1.1). */
    size_t col = 3;
    for (const char *p = to; *p;) {
        size_t n = strcspn(p, ",");
        if (p != to)
            ol_buf_puts(out, ",");
        if (p != to && col + n + 2 > 78) {
            ol_buf_puts(out, "\r\n");
            col = 0;
        }
        ol_buf_printf(out, " %.*s", (int)n, p);
        col += n + 2;
        p += n + (p[n] == ',');
    }
    ol_buf_puts(out, "\r\nSubject: ");
    ol_notify_rfc2047(m->subject, out);
    ol_buf_printf(out, "\r\nMessage-ID: <notice-%lld@%.200s>\r\n"
                       "X-Opsledger-Notice: %lld\r\nX-Opsledger-Key: %s\r\n"
                       "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n"
                       "Content-Transfer-Encoding: base64\r\n\r\n",
                  m->id, domain_of(from), m->id, m->key);
    b64_append((const unsigned char *)m->body, strlen(m->body), out);
    ol_buf_puts(out, "\r\n");
}

long ol_notify_backoff(int failures, long base, long max, double rnd)
{
    long d = base;
    for (int i = 1; i < failures && d < max; i++)
        d *= 2;
    if (d > max)
        d = max;
    if (rnd < 0 || rnd >= 1)
        rnd = 0;
    long half = d / 2;
    return half + (long)(rnd * (double)(d - half + 1)); /* rnd < 1: at most d */
}
