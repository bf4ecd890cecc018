/* core/notify_format.h - what one notification looks like on the wire (P7): the text-message
 * JSON of each webhook service, their request signing, and an RFC 5322 e-mail with an RFC 2047
 * subject. Pure functions: no network, no database, no clock (the caller passes the time). */
#ifndef OL_NOTIFY_FORMAT_H
#define OL_NOTIFY_FORMAT_H
#include <time.h>

#include "core/mem.h"

/* One notice as a channel sends it: the texts already picked in the channel's language. */
typedef struct {
    long long id;                 /* the outbox row: receivers drop duplicates by it */
    const char *key;              /* the notice's dedupe key */
    const char *channel, *event, *record, *lang, *subject, *body; /* record may be NULL */
} ol_notice_msg_t;

/* 1 when format is a webhook body format: dingtalk, wecom, feishu, slack, generic. */
int ol_notify_format_valid(const char *format);

/* The request of a webhook: body (JSON) and, for DingTalk with a secret, the URL with its
 * timestamp and sign appended. now_ms is the signing time in milliseconds. Returns 0, or -1 for
 * an unknown format. *body and *url are malloc'd (caller frees). */
int ol_notify_webhook(const char *format, const char *url, const char *secret,
                      const ol_notice_msg_t *m, long long now_ms, char **body, char **url_out);

/* DingTalk robot signing: base64(HMAC-SHA256(key = secret, timestamp_ms + "\n" + secret)),
 * not URL-encoded, into out (>= 64 bytes). */
void ol_notify_dingtalk_sign(const char *secret, long long timestamp_ms, char *out, size_t len);
/* Feishu/Lark bot signing: base64(HMAC-SHA256(key = timestamp_s + "\n" + secret, "")) into out
 * (>= 64 bytes). */
void ol_notify_feishu_sign(const char *secret, long long timestamp_s, char *out, size_t len);

/* Appends text as an RFC 2047 header value: as is when it is printable ASCII, else as
 * "=?UTF-8?B?...?=" encoded-words of at most 39 bytes each (never splitting a UTF-8 character),
 * folded with CRLF SP. */
void ol_notify_rfc2047(const char *text, ol_buf_t *out);

/* The e-mail of a notice: RFC 5322 headers (Date, From, To, Subject, Message-ID,
 * X-Opsledger-Notice, X-Opsledger-Key, MIME) and a base64 UTF-8 text body, CRLF line ends.
 * to: the addresses, comma-separated. Appended to out. */
void ol_notify_email(const ol_notice_msg_t *m, const char *from, const char *to, time_t now,
                     ol_buf_t *out);

/* The delay in seconds before retry number `failures` (1 = after the first failure):
 * base * 2^(failures-1), at most max, with "equal jitter": half of it fixed and the other half
 * scaled by rnd in [0, 1), so that nodes retrying together spread out. */
long ol_notify_backoff(int failures, long base, long max, double rnd);

#endif
