/* api/records_api.c - the generic record routes, the same for every declared type:
 *   /api/v1/{type}                      GET list/search, POST create
 *   /api/v1/{type}/export               GET every matching record, CSV or JSON (export_api.c)
 *   /api/v1/{type}/stats                GET counts grouped by a field (records/query.c)
 *   /api/v1/{type}/{number}             GET read (?reveal=f1,f2: S7), PATCH update (If-Match)
 *   /api/v1/{type}/{number}/transitions/{name}   POST
 *   /api/v1/{type}/{number}/comments    GET, POST
 *   /api/v1/{type}/{number}/links       GET, POST; /links/{id} DELETE
 *   /api/v1/{type}/{number}/history     GET */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "auth/mfa.h"
#include "core/err.h"
#include "records/query.h"
#include "records/store.h"

static void method_not_allowed(ol_req_t *r, const char *allow)
{
    ol_reply_problem(r, 405, "Method Not Allowed", "this resource does not take that method", NULL);
    ol_reply_header(r, "Allow", allow);
}

/* Replies with ctx->result, or the error. */
static void reply_result(ol_req_t *r, int rc, ol_call_t *call)
{
    if (rc) {
        ol_api_reply_error(r, rc, &call->ctx);
        return;
    }
    if (call->ctx.status == 204) {
        ol_reply(r, 204, "application/json", "", 0);
        return;
    }
    ol_reply_json(r, call->ctx.status, call->ctx.result);
    json_t *version = json_object_get(call->ctx.result, "version");
    json_t *number = json_object_get(call->ctx.result, "number");
    if (json_is_integer(version)) {
        char etag[32];
        snprintf(etag, sizeof etag, "\"%lld\"", (long long)json_integer_value(version));
        ol_reply_header(r, "ETag", etag);
    }
    if (call->ctx.status == 201 && json_is_string(number) && json_is_integer(version)) {
        char loc[256];
        snprintf(loc, sizeof loc, "/api/v1/%s/%s",
                 json_string_value(json_object_get(call->ctx.result, "type")),
                 json_string_value(number));
        ol_reply_header(r, "Location", loc);
    }
}

static void reply_write(ol_req_t *r)
{
    ol_call_t *call = r->user;
    reply_result(r, call->write_rc, call);
}

/* Parses If-Match: "3", W/"3" or 3. Returns 0 when absent, -1 when malformed. */
static long long if_match(ol_req_t *r)
{
    const char *h = ol_req_header(r, "If-Match");
    if (!h)
        return 0;
    if (!strncmp(h, "W/", 2))
        h += 2;
    if (*h == '"')
        h++;
    char *end;
    long long v = strtoll(h, &end, 10);
    if (end == h || (*end && strcmp(end, "\"")) || v <= 0)
        return -1;
    return v;
}

typedef struct {
    ol_call_t *call;
    const ol_record_type_t *t;
    ol_query_t q;
    int rc;
    int pass; /* 0: the cursor only; 1: everything else */
} qparse_t;

static int on_query_arg(void *arg, const char *key, const char *value)
{
    qparse_t *p = arg;
    /* The cursor goes first, so that an explicit sort= is always checked against its sort. */
    if ((strcmp(key, "cursor") == 0) != (p->pass == 0))
        return 0;
    if (ol_query_add(&p->call->ctx, p->t, &p->q, key, value))
        p->rc = -OL_EINVAL;
    return 0; /* keep going: report every bad argument at once */
}

static void list(ol_req_t *r, ol_call_t *call, const ol_record_type_t *t)
{
    qparse_t *p = ol_xcalloc(1, sizeof(*p));
    p->call = call;
    p->t = t;
    ol_query_init(&p->q);
    ol_req_query_each(r, on_query_arg, p);
    p->pass = 1;
    ol_req_query_each(r, on_query_arg, p);
    int rc = p->rc;
    if (rc)
        ol_ctx_fail(&call->ctx, rc, "the query has invalid parameters");
    else
        rc = ol_rec_list(&call->ctx, t, &p->q);
    reply_result(r, rc, call);
    ol_query_clear(&p->q);
    free(p);
}

/* GET /api/v1/{type}/stats?by=state&<list filters>: counts for dashboards and charts. */
static int on_stats_arg(void *arg, const char *key, const char *value)
{
    return strcmp(key, "by") ? on_query_arg(arg, key, value) : 0;
}

static void stats(ol_req_t *r, ol_call_t *call, const ol_record_type_t *t)
{
    qparse_t *p = ol_xcalloc(1, sizeof(*p));
    p->call = call;
    p->t = t;
    p->pass = 1; /* no cursor: every argument in one pass */
    ol_query_init(&p->q);
    ol_req_query_each(r, on_stats_arg, p);
    int rc = p->rc;
    if (rc)
        ol_ctx_fail(&call->ctx, rc, "the query has invalid parameters");
    else
        rc = ol_rec_stats(&call->ctx, t, &p->q, ol_req_query(r, "by"));
    reply_result(r, rc, call);
    ol_query_clear(&p->q);
    free(p);
}

void ol_api_search(ol_req_t *r, ol_call_t *call)
{
    if (strcmp(r->method, "GET")) {
        method_not_allowed(r, "GET");
        return;
    }
    if (!ol_req_query(r, "q")) {
        ol_schema_add_error(call->ctx.errors, "q", "required", call->ctx.lang, NULL);
        ol_ctx_fail(&call->ctx, -OL_EINVAL, "search needs q");
        ol_api_reply_error(r, -OL_EINVAL, &call->ctx);
        return;
    }
    list(r, call, NULL);
}

/* Starts a prepared write, or replies with the preparation's error. */
static void start_write(ol_req_t *r, ol_call_t *call, int rc)
{
    if (rc) {
        ol_api_reply_error(r, rc, &call->ctx);
        return;
    }
    ol_api_run_write(r, call, reply_write);
}

void ol_api_records(ol_req_t *r, ol_call_t *call, char **seg, int nseg)
{
    ol_ctx_t *c = &call->ctx;
    const ol_record_type_t *t = ol_schema_by_path(seg[2]);
    const char *m = r->method;
    if (!t) {
        ol_reply_problem(r, 404, "Not Found", "no such record type", NULL);
        return;
    }
    if (nseg == 3) {
        r->route = "/api/v1/{type}";
        if (!strcmp(m, "GET")) {
            list(r, call, t);
        } else if (!strcmp(m, "POST")) {
            json_t *body = ol_api_body_or_reply(r, call);
            if (!body)
                return;
            int rc = ol_rec_create_prepare(c, t, body, &call->write);
            json_decref(body);
            start_write(r, call, rc);
        } else {
            method_not_allowed(r, "GET, POST");
        }
        return;
    }
    const char *number = seg[3];
    if (nseg == 4 && !strcmp(number, "stats")) { /* no record number is "stats" */
        r->route = "/api/v1/{type}/stats";
        if (strcmp(m, "GET"))
            method_not_allowed(r, "GET");
        else
            stats(r, call, t);
        return;
    }
    if (nseg == 4 && !strcmp(number, "export")) { /* no record number is "export" */
        r->route = "/api/v1/{type}/export";
        if (strcmp(m, "GET"))
            method_not_allowed(r, "GET");
        else
            ol_api_export(r, call, t);
        return;
    }
    if (nseg == 4) {
        r->route = "/api/v1/{type}/{number}";
        const char *reveal = ol_req_query(r, "reveal"); /* S7: fields to show in clear */
        if (!strcmp(m, "GET") && reveal) {
            start_write(r, call, ol_rec_reveal_prepare(c, t, number, reveal, &call->write));
        } else if (!strcmp(m, "GET")) {
            reply_result(r, ol_rec_get(c, t, number), call);
        } else if (!strcmp(m, "PATCH")) {
            long long v = if_match(r);
            if (v < 0) {
                ol_reply_problem(r, 400, "Bad Request", "If-Match must be the record's version, e.g. \"3\"", NULL);
                return;
            }
            json_t *body = ol_api_body_or_reply(r, call);
            if (!body)
                return;
            int rc = ol_rec_update_prepare(c, t, number, v, body, &call->write);
            json_decref(body);
            start_write(r, call, rc);
        } else {
            method_not_allowed(r, "GET, PATCH");
        }
        return;
    }
    const char *sub = seg[4];
    if (!strcmp(sub, "transitions") && nseg == 6) {
        r->route = "/api/v1/{type}/{number}/transitions/{name}";
        if (strcmp(m, "POST")) {
            method_not_allowed(r, "POST");
            return;
        }
        long long v = if_match(r);
        if (v < 0) {
            ol_reply_problem(r, 400, "Bad Request", "If-Match must be the record's version", NULL);
            return;
        }
        json_t *body = r->body_len ? ol_api_body_or_reply(r, call) : json_object();
        if (!body)
            return;
        const ol_transition_t *tr = ol_schema_transition(t, seg[5]);
        int rc = tr && tr->step_up ? ol_mfa_step_up_check(c, &call->who) : 0;
        if (rc == 0)
            rc = ol_rec_transition_prepare(c, t, number, seg[5], v, body, &call->write);
        json_decref(body);
        start_write(r, call, rc);
    } else if (!strcmp(sub, "comments") && nseg == 5) {
        r->route = "/api/v1/{type}/{number}/comments";
        if (!strcmp(m, "GET")) {
            reply_result(r, ol_rec_comments(c, t, number), call);
        } else if (!strcmp(m, "POST")) {
            json_t *body = ol_api_body_or_reply(r, call);
            if (!body)
                return;
            int rc = ol_rec_comment_prepare(c, t, number, body, &call->write);
            json_decref(body);
            start_write(r, call, rc);
        } else {
            method_not_allowed(r, "GET, POST");
        }
    } else if (!strcmp(sub, "links") && nseg == 5) {
        r->route = "/api/v1/{type}/{number}/links";
        if (!strcmp(m, "GET")) {
            reply_result(r, ol_rec_links(c, t, number), call);
        } else if (!strcmp(m, "POST")) {
            json_t *body = ol_api_body_or_reply(r, call);
            if (!body)
                return;
            int rc = ol_rec_link_prepare(c, t, number, body, &call->write);
            json_decref(body);
            start_write(r, call, rc);
        } else {
            method_not_allowed(r, "GET, POST");
        }
    } else if (!strcmp(sub, "links") && nseg == 6) {
        r->route = "/api/v1/{type}/{number}/links/{id}";
        char *end;
        long long id = strtoll(seg[5], &end, 10);
        if (strcmp(m, "DELETE")) {
            method_not_allowed(r, "DELETE");
        } else if (*end || id <= 0) {
            ol_reply_problem(r, 404, "Not Found", "no such link", NULL);
        } else {
            start_write(r, call, ol_rec_unlink_prepare(c, t, number, id, &call->write));
        }
    } else if (!strcmp(sub, "history") && nseg == 5) {
        r->route = "/api/v1/{type}/{number}/history";
        if (strcmp(m, "GET"))
            method_not_allowed(r, "GET");
        else
            reply_result(r, ol_rec_history(c, t, number), call);
    } else {
        ol_reply_problem(r, 404, "Not Found", "no such resource", NULL);
    }
}
