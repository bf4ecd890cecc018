/* core/http.h - the HTTP server over libmicrohttpd: bounded requests, per-request arenas,
 * problem+json errors, and suspension of a request while its write commits. */
#ifndef OL_HTTP_H
#define OL_HTTP_H
#include <jansson.h>
#include <stddef.h>

#include "core/mem.h"

typedef struct ol_req ol_req_t;
typedef void (*ol_handler_fn)(ol_req_t *r);

typedef struct {
    const char *address;   /* "127.0.0.1" */
    int port;              /* 0 picks a free port; see ol_http_port() */
    int threads;           /* thread pool size */
    size_t max_body;       /* bytes; larger bodies get 413 */
    size_t max_header;     /* bytes of connection memory for headers; larger gets 431 */
    unsigned timeout_s;    /* idle connection / request time limit */
    unsigned max_conns;    /* concurrent connections over all threads; more are refused */
    const char *tls_cert;  /* S9: PEM certificate and key: serve HTTPS when both are set */
    const char *tls_key;
    const char *tls_priorities; /* GnuTLS priorities (protocol versions), see core/tls.h */
    const char *hsts;      /* Strict-Transport-Security value for every reply, or NULL */
    const char *trusted_proxies; /* X-Forwarded-For is believed from these (core/proxy.h) */
    ol_handler_fn handler; /* called once per request with the whole body */
    void *app;             /* handed to the handler as r->app */
} ol_http_opts_t;

typedef struct ol_http ol_http_t;

int ol_http_start(const ol_http_opts_t *o, ol_http_t **out, char *err, size_t errlen);
int ol_http_port(const ol_http_t *h);
void ol_http_stop(ol_http_t *h); /* NULL is a no-op */

struct ol_req {
    void *app;
    const char *method;
    const char *path;      /* without the query string */
    const char *body;      /* NUL-terminated; "" when there is none */
    size_t body_len;
    ol_arena_t arena;      /* freed when the request completes */
    const char *route;     /* static route pattern, for metrics; set by the router */
    void *user;            /* the application's per-request state */
    char client_ip[64];    /* the peer, or the client a trusted proxy names */
    int tls;               /* 1 when the connection is native HTTPS */
    const char *hsts;      /* borrowed from the options */
    /* private */
    struct MHD_Connection *conn;
    ol_buf_t in;
    int too_big, replied, suspended;
    int status;
    struct MHD_Response *resp;
    void (*on_resume)(ol_req_t *r);
    double t_start;
};

const char *ol_req_header(ol_req_t *r, const char *name);
const char *ol_req_cookie(ol_req_t *r, const char *name);
const char *ol_req_query(ol_req_t *r, const char *name);
/* Calls fn for every query-string argument; stops when fn returns non-zero. */
typedef int (*ol_query_fn)(void *arg, const char *key, const char *value);
void ol_req_query_each(ol_req_t *r, ol_query_fn fn, void *arg);

/* Replies. Exactly one per request; the body is copied. */
void ol_reply(ol_req_t *r, int status, const char *content_type, const char *body, size_t len);
void ol_reply_json(ol_req_t *r, int status, const json_t *v);
/* application/problem+json (RFC 9457); errors (may be NULL) is borrowed. */
void ol_reply_problem(ol_req_t *r, int status, const char *title, const char *detail,
                      const json_t *errors);
/* The same with a problem type URI (NULL = about:blank). */
void ol_reply_problem_type(ol_req_t *r, const char *type, int status, const char *title,
                           const char *detail, const json_t *errors);
/* Adds a header to the reply (call after ol_reply*). */
void ol_reply_header(ol_req_t *r, const char *name, const char *value);

/* Suspends the request: no reply is sent when the handler returns. Once ol_req_resume() is
 * called (from any thread), on_resume runs on an HTTP thread and must reply. */
void ol_req_suspend(ol_req_t *r, void (*on_resume)(ol_req_t *r));
void ol_req_resume(ol_req_t *r);

#endif
