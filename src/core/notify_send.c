/* core/notify_send.c - one webhook POST or one SMTP mail with libcurl (see notify_send.h). */
#include "core/notify_send.h"

#include <curl/curl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "core/mem.h"

#define MAX_ANSWER 8192 /* bytes of a webhook's answer kept to look for a service error */

static pthread_once_t once = PTHREAD_ONCE_INIT;

static void global_init(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

void ol_notify_send_init(void)
{
    pthread_once(&once, global_init);
}

static size_t keep_answer(char *p, size_t size, size_t n, void *arg)
{
    ol_buf_t *b = arg;
    size_t len = size * n;
    if (b->len < MAX_ANSWER)
        ol_buf_append(b, p, len < MAX_ANSWER - b->len ? len : MAX_ANSWER - b->len);
    return len;
}

static int progress(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
    (void)dt, (void)dn, (void)ut, (void)un;
    const volatile int *stop = arg;
    return stop && *stop; /* non-zero aborts the transfer */
}

static void limits(CURL *h, const ol_send_limits_t *lim)
{
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, progress);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, (void *)lim->stop);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, lim->connect_timeout_s);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, lim->timeout_s);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L); /* timeouts without SIGALRM: we run in a thread */
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https,smtp,smtps");
}

/* A 200 answer that says the message was refused (chat services report errors this way). */
static int service_error(const ol_buf_t *answer, char *err, size_t errlen)
{
    json_t *j = json_loadb(answer->p ? answer->p : "", answer->len, 0, NULL);
    if (!j)
        return 0;
    json_t *code = json_object_get(j, "errcode");
    if (!code)
        code = json_object_get(j, "code");
    json_t *msg = json_object_get(j, "errmsg");
    if (!msg)
        msg = json_object_get(j, "msg");
    int bad = json_is_integer(code) && json_integer_value(code) != 0;
    if (bad)
        snprintf(err, errlen, "service error %lld: %.200s", (long long)json_integer_value(code),
                 json_is_string(msg) ? json_string_value(msg) : "");
    json_decref(j);
    return bad;
}

int ol_notify_post(const char *url, const char *body, long long notice_id,
                   const ol_send_limits_t *lim, char *err, size_t errlen)
{
    CURL *h = curl_easy_init();
    if (!h) {
        snprintf(err, errlen, "cannot start an HTTP client");
        return -1;
    }
    char idh[64];
    snprintf(idh, sizeof idh, "X-Opsledger-Notice: %lld", notice_id);
    struct curl_slist *hd = curl_slist_append(NULL, "Content-Type: application/json; "
                                                    "charset=utf-8");
    hd = curl_slist_append(hd, idh);
    hd = curl_slist_append(hd, "Expect:");
    ol_buf_t answer;
    ol_buf_init(&answer);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hd);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, keep_answer);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &answer);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "opsledger-notify");
    limits(h, lim);
    CURLcode cc = curl_easy_perform(h);
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    int rc = 0;
    if (cc != CURLE_OK) {
        snprintf(err, errlen, "%s", curl_easy_strerror(cc));
        rc = -1;
    } else if (status < 200 || status > 299) {
        snprintf(err, errlen, "HTTP %ld", status);
        rc = -1;
    } else if (service_error(&answer, err, errlen)) {
        rc = -1;
    }
    ol_buf_clear(&answer);
    curl_slist_free_all(hd);
    curl_easy_cleanup(h);
    return rc;
}

typedef struct {
    const char *p;
    size_t left;
} reader_t;

static size_t read_message(char *out, size_t size, size_t n, void *arg)
{
    reader_t *r = arg;
    size_t k = size * n < r->left ? size * n : r->left;
    memcpy(out, r->p, k);
    r->p += k;
    r->left -= k;
    return k;
}

int ol_notify_smtp(const ol_smtp_t *s, const char *message, const ol_send_limits_t *lim,
                   char *err, size_t errlen)
{
    CURL *h = curl_easy_init();
    if (!h) {
        snprintf(err, errlen, "cannot start an SMTP client");
        return -1;
    }
    struct curl_slist *rcpt = NULL;
    char addr[320];
    for (const char *p = s->to; *p;) {
        size_t n = strcspn(p, ",");
        snprintf(addr, sizeof addr, "<%.*s>", (int)(n < 300 ? n : 300), p);
        rcpt = curl_slist_append(rcpt, addr);
        p += n + (p[n] == ',');
    }
    char from[320];
    snprintf(from, sizeof from, "<%s>", s->from);
    reader_t rd = {message, strlen(message)};
    curl_easy_setopt(h, CURLOPT_URL, s->url);
    curl_easy_setopt(h, CURLOPT_MAIL_FROM, from);
    curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpt);
    curl_easy_setopt(h, CURLOPT_READFUNCTION, read_message);
    curl_easy_setopt(h, CURLOPT_READDATA, &rd);
    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
    if (s->starttls)
        curl_easy_setopt(h, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
    if (s->user && *s->user) {
        curl_easy_setopt(h, CURLOPT_USERNAME, s->user);
        curl_easy_setopt(h, CURLOPT_PASSWORD, s->password ? s->password : "");
    }
    limits(h, lim);
    CURLcode cc = curl_easy_perform(h);
    int rc = 0;
    if (cc != CURLE_OK) {
        long code = 0;
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
        if (code)
            snprintf(err, errlen, "%s (SMTP %ld)", curl_easy_strerror(cc), code);
        else
            snprintf(err, errlen, "%s", curl_easy_strerror(cc));
        rc = -1;
    }
    curl_slist_free_all(rcpt);
    curl_easy_cleanup(h);
    return rc;
}
