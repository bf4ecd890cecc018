/* core/notify_send.h - delivering one notice over the network with libcurl (P7): an HTTP POST
 * of a webhook body, or an e-mail over SMTP. Bounded by a connect and a total timeout; errors
 * never carry the URL or a credential (webhook URLs often hold an access token). */
#ifndef OL_NOTIFY_SEND_H
#define OL_NOTIFY_SEND_H
#include <stddef.h>

typedef struct {
    long connect_timeout_s, timeout_s;
    volatile int *stop; /* when set and non-zero, a send in progress is aborted (shutdown) */
} ol_send_limits_t;

/* Calls curl_global_init once per process (before any thread sends). */
void ol_notify_send_init(void);

/* POSTs body (application/json) to url with the header X-Opsledger-Notice: notice_id.
 * Success is a 2xx answer whose JSON, when it has one, carries no service error (DingTalk and
 * WeCom answer 200 with a non-zero "errcode", Feishu with a non-zero "code"). Returns 0, or -1
 * with a short reason in err ("HTTP 500", "connection refused", "errcode 310000: ..."). */
int ol_notify_post(const char *url, const char *body, long long notice_id,
                   const ol_send_limits_t *lim, char *err, size_t errlen);

typedef struct {
    const char *url;      /* smtp://host:port or smtps://host:port */
    int starttls;         /* 1: require STARTTLS on smtp:// */
    const char *user, *password; /* "" or NULL: no authentication */
    const char *from;     /* envelope sender */
    const char *to;       /* recipients, comma-separated */
} ol_smtp_t;

/* Sends message (RFC 5322 text, CRLF line ends) to every recipient. Returns 0 or -1 with the
 * reason in err. */
int ol_notify_smtp(const ol_smtp_t *s, const char *message, const ol_send_limits_t *lim,
                   char *err, size_t errlen);

#endif
