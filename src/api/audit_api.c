/* api/audit_api.c - reading the audit trail (REQUIREMENTS S8):
 *   GET /api/v1/audit          filtered list, newest first, keyset cursor
 *   GET /api/v1/audit/verify   verifies the hash chain
 * Only administrators and auditors may read it, and every read, allowed or refused, is itself
 * written to the audit trail before the answer goes out: when that write fails, nothing is
 * shown. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "auth/authz.h"
#include "core/err.h"
#include "records/audit.h"
#include "records/schema.h"

/* What one request read, for its own audit entry (lives in the request arena). */
typedef struct {
    ol_call_t *call;
    int rc;             /* the read's outcome, replied after the audit entry is durable */
    const char *action; /* audit.read or audit.verify */
    char *detail;       /* JSON text */
} read_audit_t;

static int audit_read_job(ol_conn_t *conn, void *arg)
{
    read_audit_t *a = arg;
    ol_ctx_t *c = &a->call->ctx;
    const char *result = a->rc == -OL_EFORBIDDEN ? "denied" : a->rc ? "failed" : "ok";
    int rc = ol_audit_write(conn, c, a->action, "audit_log", result, a->detail);
    return rc ? ol_ctx_db_fail(c, conn, rc) : 0;
}

static void reply_read(ol_req_t *r)
{
    ol_call_t *call = r->user;
    read_audit_t *a = call->write.arg;
    if (call->write_rc)
        ol_api_reply_error(r, call->write_rc, &call->ctx);
    else if (a->rc)
        ol_api_reply_error(r, a->rc, &call->ctx);
    else
        ol_reply_json(r, 200, call->ctx.result);
}

/* Audits the read described by a, then replies (see reply_read). */
static void finish(ol_req_t *r, read_audit_t *a, json_t *detail)
{
    char *text = json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(detail);
    a->detail = ol_arena_strdup(&r->arena, text);
    free(text);
    a->call->write = (ol_write_t){.fn = audit_read_job, .arg = a, .free_arg = NULL};
    ol_api_run_write(r, a->call, reply_read);
}

typedef struct {
    ol_ctx_t *c;
    ol_audit_query_t *q;
    json_t *seen; /* the arguments, for the audit entry */
    int rc;
} qparse_t;

static int on_query_arg(void *arg, const char *key, const char *value)
{
    qparse_t *p = arg;
    if (ol_audit_query_add(p->c, p->q, key, value))
        p->rc = -OL_EINVAL;
    else
        json_object_set_new(p->seen, key, json_string(value));
    return 0; /* report every bad argument at once */
}

static void list(ol_req_t *r, read_audit_t *a)
{
    ol_ctx_t *c = &a->call->ctx;
    ol_audit_query_t q;
    ol_audit_query_init(&q);
    qparse_t p = {c, &q, json_object(), 0};
    ol_req_query_each(r, on_query_arg, &p);
    if (p.rc) {
        json_decref(p.seen);
        ol_ctx_fail(c, p.rc, "the query has invalid parameters");
        ol_api_reply_error(r, p.rc, c);
        return;
    }
    a->rc = ol_audit_list(c, &q);
    json_t *items = json_object_get(c->result, "items");
    finish(r, a, json_pack("{sosI}", "query", p.seen, "returned",
                           (json_int_t)json_array_size(items)));
}

static void verify(ol_req_t *r, read_audit_t *a)
{
    ol_ctx_t *c = &a->call->ctx;
    ol_audit_report_t rep;
    a->rc = ol_audit_verify(c, &rep);
    json_t *detail = json_pack("{sb}", "ok", a->rc == 0 && rep.ok);
    if (a->rc == 0) {
        c->result = ol_audit_report_json(&rep);
        json_object_set_new(detail, "entries", json_integer(rep.entries));
        if (!rep.ok)
            json_object_set_new(detail, "first_bad", json_string(rep.message));
    }
    finish(r, a, detail);
}

void ol_api_audit(ol_req_t *r, ol_call_t *call, char **seg, int nseg)
{
    ol_ctx_t *c = &call->ctx;
    int is_verify = nseg == 4 && !strcmp(seg[3], "verify");
    if (nseg != 3 && !is_verify) {
        ol_reply_problem(r, 404, "Not Found", "no such resource", NULL);
        return;
    }
    r->route = is_verify ? "/api/v1/audit/verify" : "/api/v1/audit";
    if (strcmp(r->method, "GET")) {
        ol_reply_problem(r, 405, "Method Not Allowed", "use GET", NULL);
        ol_reply_header(r, "Allow", "GET");
        return;
    }
    read_audit_t *a = ol_arena_alloc(&r->arena, sizeof(*a));
    *a = (read_audit_t){.call = call, .action = is_verify ? "audit.verify" : "audit.read"};
    if (!ol_authz(c->roles, "audit", "read")) {
        char msg[128];
        a->rc = ol_ctx_fail(c, -OL_EFORBIDDEN, "%s",
                            ol_msg("audit_forbidden", c->lang, NULL, msg, sizeof msg));
        finish(r, a, json_pack("{ss}", "refused", r->route));
        return;
    }
    if (is_verify)
        verify(r, a);
    else
        list(r, a);
}
