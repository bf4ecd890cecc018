/* core/http.c - the HTTP server over libmicrohttpd: bounded requests, per-request arenas,
 * problem+json errors, and suspension of a request while its write commits. */
#include "core/http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "core/json.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/proxy.h"

/* THREAD SAFETY: stopping, busy and conns are atomics shared by the MHD threads and
 * ol_http_stop(). A request counts in busy from the moment its handler starts until its reply is
 * queued, suspension included; it increments busy before it reads stopping, so that either it
 * sees stopping or ol_http_stop() sees it busy (sequentially consistent atomics). conns counts
 * open connections across all the pool's threads. */
struct ol_http {
    struct MHD_Daemon *d;
    ol_http_opts_t o;
    int port;
    atomic_int stopping, busy, conns;
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

const char *ol_req_header(ol_req_t *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

const char *ol_req_cookie(ol_req_t *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, name);
}

const char *ol_req_query(ol_req_t *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

typedef struct {
    ol_query_fn fn;
    void *arg;
} iter_t;

static enum MHD_Result on_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                              const char *value)
{
    (void)kind;
    iter_t *it = cls;
    return it->fn(it->arg, key, value ? value : "") ? MHD_NO : MHD_YES;
}

void ol_req_query_each(ol_req_t *r, ol_query_fn fn, void *arg)
{
    iter_t it = {fn, arg};
    MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, on_arg, &it);
}

void ol_reply(ol_req_t *r, int status, const char *content_type, const char *body, size_t len)
{
    if (r->resp)
        MHD_destroy_response(r->resp);
    r->resp = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
    MHD_add_response_header(r->resp, "Content-Type", content_type);
    MHD_add_response_header(r->resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r->resp, "Cache-Control", "no-store");
    if (r->hsts)
        MHD_add_response_header(r->resp, "Strict-Transport-Security", r->hsts);
    r->status = status;
    r->replied = 1;
}

void ol_reply_header(ol_req_t *r, const char *name, const char *value)
{
    if (r->resp)
        MHD_add_response_header(r->resp, name, value);
}

void ol_reply_json(ol_req_t *r, int status, const json_t *v)
{
    char *s = ol_json_dump(v);
    ol_reply(r, status, "application/json; charset=utf-8", s, strlen(s));
    free(s);
}

void ol_reply_problem(ol_req_t *r, int status, const char *title, const char *detail,
                      const json_t *errors)
{
    ol_reply_problem_type(r, NULL, status, title, detail, errors);
}

void ol_reply_problem_type(ol_req_t *r, const char *type, int status, const char *title,
                           const char *detail, const json_t *errors)
{
    json_t *p = json_object();
    json_object_set_new(p, "type", json_string(type ? type : "about:blank"));
    json_object_set_new(p, "title", json_string(title));
    json_object_set_new(p, "status", json_integer(status));
    if (detail)
        json_object_set_new(p, "detail", json_string(detail));
    if (ol_utf8_valid(r->path))
        json_object_set_new(p, "instance", json_string(r->path));
    if (errors)
        json_object_set(p, "errors", (json_t *)errors);
    char *s = ol_json_dump(p);
    ol_reply(r, status, "application/problem+json; charset=utf-8", s, strlen(s));
    free(s);
    json_decref(p);
}

void ol_req_suspend(ol_req_t *r, void (*on_resume)(ol_req_t *r))
{
    r->on_resume = on_resume;
    r->suspended = 1;
    MHD_suspend_connection(r->conn);
}

void ol_req_resume(ol_req_t *r)
{
    MHD_resume_connection(r->conn);
}

static enum MHD_Result queue(ol_req_t *r)
{
    if (!r->replied)
        ol_reply_problem(r, 500, "Internal Server Error", "the handler sent no reply", NULL);
    enum MHD_Result ret = MHD_queue_response(r->conn, (unsigned)r->status, r->resp);
    MHD_destroy_response(r->resp);
    r->resp = NULL;
    return ret;
}

/* ---- request framing ------------------------------------------------------------------------
 * MHD frames a body by Transfer-Encoding when both it and Content-Length are sent, takes the
 * first of several Content-Length headers, and waits for a body it cannot decode under other
 * transfer codings. A proxy in front may frame the same bytes differently (request smuggling),
 * so such requests are refused before any body is read (RFC 9112 section 6.3). */

typedef struct {
    int ncl, nte, cl_differ;
    const char *cl, *te;
} framing_t;

static enum MHD_Result on_framing_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                         const char *value)
{
    framing_t *f = cls;
    (void)kind;
    value = value ? value : "";
    if (!strcasecmp(key, "Content-Length")) {
        f->cl_differ |= f->cl && strcmp(f->cl, value);
        f->cl = value;
        f->ncl++;
    } else if (!strcasecmp(key, "Transfer-Encoding")) {
        f->te = value;
        f->nte++;
    }
    return MHD_YES;
}

/* Replies with a problem when the request's body framing is ambiguous or unsupported. */
static int framing_refused_or_reply(ol_req_t *r)
{
    framing_t f = {0};
    MHD_get_connection_values(r->conn, MHD_HEADER_KIND, on_framing_header, &f);
    int status = 0;
    const char *detail = NULL;
    if (f.ncl && f.nte) {
        status = 400;
        detail = "send either Content-Length or Transfer-Encoding, not both";
    } else if (f.cl_differ) {
        status = 400;
        detail = "the request has conflicting Content-Length headers";
    } else if (f.nte > 1 || (f.nte && strcasecmp(f.te, "chunked"))) {
        status = 501;
        detail = "the only transfer coding accepted is chunked";
    }
    if (!status)
        return 0;
    ol_reply_problem(r, status, status == 400 ? "Bad Request" : "Not Implemented", detail, NULL);
    ol_reply_header(r, "Connection", "close");
    return 1;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    (void)version;
    ol_http_t *h = cls;
    ol_req_t *r = *con_cls;
    if (!r) {
        r = ol_xcalloc(1, sizeof(*r));
        ol_arena_init(&r->arena);
        ol_buf_init(&r->in);
        r->conn = conn;
        r->app = h->o.app;
        r->method = method;
        r->path = url;
        r->route = "unmatched";
        r->t_start = now_s();
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        if (ci && ci->client_addr) {
            const struct sockaddr *sa = ci->client_addr;
            if (sa->sa_family == AF_INET)
                inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, r->client_ip,
                          sizeof r->client_ip);
            else if (sa->sa_family == AF_INET6)
                inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, r->client_ip,
                          sizeof r->client_ip);
        }
        r->tls = h->o.tls_cert != NULL;
        r->hsts = h->o.hsts;
        if (h->o.trusted_proxies && *h->o.trusted_proxies) {
            char peer[sizeof r->client_ip];
            memcpy(peer, r->client_ip, sizeof peer);
            ol_proxy_client_ip(h->o.trusted_proxies, peer,
                               MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                           "X-Forwarded-For"),
                               r->client_ip, sizeof r->client_ip);
        }
        *con_cls = r;
        if (framing_refused_or_reply(r))
            return queue(r);
        const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
        if (cl && strtoull(cl, NULL, 10) > h->o.max_body)
            r->too_big = 1;
        return MHD_YES;
    }
    if (r->suspended) {
        /* Resumed: the write committed (or failed); the continuation replies. */
        r->suspended = 0;
        r->on_resume(r);
        atomic_fetch_sub(&h->busy, 1);
        return queue(r);
    }
    if (*upload_data_size) {
        if (!r->too_big && r->in.len + *upload_data_size <= h->o.max_body)
            ol_buf_append(&r->in, upload_data, *upload_data_size);
        else
            r->too_big = 1;
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (r->too_big) {
        char detail[128];
        snprintf(detail, sizeof detail, "the request body exceeds the limit of %zu bytes",
                 h->o.max_body);
        ol_reply_problem(r, 413, "Content Too Large", detail, NULL);
        return queue(r);
    }
    if (!ol_utf8_valid(r->path)) {
        /* Handlers echo the path in JSON and bind its parts as database text. */
        ol_reply_problem(r, 400, "Bad Request", "the URL path is not valid UTF-8", NULL);
        return queue(r);
    }
    r->body = r->in.p ? r->in.p : "";
    r->body_len = r->in.len;
    atomic_fetch_add(&h->busy, 1);
    if (atomic_load(&h->stopping)) {
        ol_reply_problem(r, 503, "Service Unavailable", "the server is stopping", NULL);
        ol_reply_header(r, "Retry-After", "1");
        ol_reply_header(r, "Connection", "close");
    } else {
        h->o.handler(r);
        if (r->suspended && !r->replied)
            return MHD_YES;
    }
    atomic_fetch_sub(&h->busy, 1);
    return queue(r);
}

/* The metrics table keeps the method after the request is gone, but MHD's copy lives in the
 * connection's memory: hand it a static string (and a bounded set of them). */
static const char *static_method(const char *m)
{
    static const char *const known[] = {"GET",   "HEAD",   "POST",    "PUT",
                                        "PATCH", "DELETE", "OPTIONS", NULL};
    for (int i = 0; known[i]; i++)
        if (!strcmp(known[i], m))
            return known[i];
    return "OTHER";
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    ol_http_t *h = cls;
    (void)conn;
    (void)toe;
    ol_req_t *r = *con_cls;
    if (!r)
        return;
    if (r->suspended) {
        /* Resumed, but the client left before the continuation ran (MHD never ends a request
         * while it is suspended, and ol_http_stop() waits for them): the continuation still
         * owns state to release. Its reply goes nowhere. */
        r->suspended = 0;
        r->on_resume(r);
        atomic_fetch_sub(&h->busy, 1);
    }
    ol_metrics_request(static_method(r->method), r->route, r->status ? r->status : 499,
                       now_s() - r->t_start);
    if (r->resp)
        MHD_destroy_response(r->resp);
    ol_buf_clear(&r->in);
    ol_arena_clear(&r->arena);
    free(r);
    *con_cls = NULL;
}

/* Admits a connection while fewer than max_conns are open. MHD splits its own connection limit
 * evenly between the pool's threads and refuses at a thread's share however few the others hold
 * (accepts are uneven), so the limit is counted here, over all threads; threads accepting at
 * the same moment may overshoot it by one each. */
static enum MHD_Result on_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
    ol_http_t *h = cls;
    (void)addr;
    (void)addrlen;
    return atomic_load(&h->conns) < (int)h->o.max_conns ? MHD_YES : MHD_NO;
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    ol_http_t *h = cls;
    (void)conn;
    (void)socket_context;
    if (code == MHD_CONNECTION_NOTIFY_STARTED)
        atomic_fetch_add(&h->conns, 1);
    else if (code == MHD_CONNECTION_NOTIFY_CLOSED)
        atomic_fetch_sub(&h->conns, 1);
}

int ol_http_start(const ol_http_opts_t *o, ol_http_t **out, char *err, size_t errlen)
{
    ol_http_t *h = ol_xcalloc(1, sizeof(*h));
    h->o = *o;
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)o->port);
    if (inet_pton(AF_INET, o->address, &sa.sin_addr) != 1) {
        snprintf(err, errlen, "listen address '%s' is not an IPv4 address", o->address);
        free(h);
        return -1;
    }
    /* poll, not epoll: libmicrohttpd 0.9.75's epoll loop, after a batch of exactly 128 events,
     * waits again with the full timeout before handling them, so 128 connections of a burst
     * could stall for request_timeout (CI saw it with 2,000 clients connecting at once). */
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_ALLOW_SUSPEND_RESUME |
                     MHD_USE_ERROR_LOG;
    /* S9 native HTTPS: the priorities leave out every protocol version below the minimum, so
     * a TLS 1.0/1.1 client fails its handshake. */
    struct MHD_OptionItem tls[] = {
        {MHD_OPTION_HTTPS_MEM_CERT, 0, (void *)o->tls_cert},
        {MHD_OPTION_HTTPS_MEM_KEY, 0, (void *)o->tls_key},
        {MHD_OPTION_HTTPS_PRIORITIES, 0, (void *)o->tls_priorities},
        {MHD_OPTION_END, 0, NULL},
    };
    if (o->tls_cert)
        flags |= MHD_USE_TLS;
    /* Each thread may hold them all; on_accept keeps the total at max_conns. */
    h->d = MHD_start_daemon(flags, 0, on_accept, h, on_request, h,
                            MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
                            MHD_OPTION_THREAD_POOL_SIZE, (unsigned)o->threads,
                            MHD_OPTION_CONNECTION_MEMORY_LIMIT, o->max_header,
                            MHD_OPTION_CONNECTION_TIMEOUT, o->timeout_s,
                            MHD_OPTION_CONNECTION_LIMIT, o->max_conns * (unsigned)o->threads,
                            MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
                            MHD_OPTION_NOTIFY_CONNECTION, on_connection, h,
                            MHD_OPTION_LISTENING_ADDRESS_REUSE, 1u,
                            MHD_OPTION_ARRAY, o->tls_cert ? tls : tls + 3,
                            MHD_OPTION_END);
    if (!h->d) {
        snprintf(err, errlen, "cannot listen on %s:%d (address in use or not permitted%s)",
                 o->address, o->port, o->tls_cert ? ", or TLS could not be set up" : "");
        free(h);
        return -1;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
    h->port = di ? di->port : o->port;
    *out = h;
    return 0;
}

int ol_http_port(const ol_http_t *h)
{
    return h->port;
}

void ol_http_stop(ol_http_t *h)
{
    if (!h)
        return;
    /* MHD aborts the process when stopped with suspended connections, and a suspended request
     * is a write being committed: take no new connections or requests, let the requests under
     * way finish (bounded by the request timeout), then stop. */
    atomic_store(&h->stopping, 1);
    MHD_socket lsock = MHD_quiesce_daemon(h->d);
    if (lsock != MHD_INVALID_SOCKET)
        close(lsock);
    struct timespec ms = {0, 1000000};
    for (long waited = 0; atomic_load(&h->busy) > 0 && waited < (long)h->o.timeout_s * 1000;
         waited++)
        nanosleep(&ms, NULL);
    if (atomic_load(&h->busy) > 0)
        ol_log(OL_LOG_WARN, "stopping with %d requests still under way", atomic_load(&h->busy));
    MHD_stop_daemon(h->d);
    free(h);
}
