/* api/export_api.c - bulk export of any record type:
 *   GET /api/v1/{type}/export?format=csv|json&<the list's filters, sort, q>
 * Every matching record, not one page: the reader needs the "export" permission (S5) and a
 * fresh MFA confirmation (S3 step-up for bulk export). The export is refused, not cut short,
 * when more than export_max_rows records match, so an export is always complete evidence.
 * Every export, allowed or refused, is written to the audit trail before the answer goes out
 * (S8); when that write fails, nothing is sent. Masked fields stay masked (S7): the rows come
 * from the same list query as the API's. CSV is RFC 4180, UTF-8 with a byte-order mark (so
 * spreadsheet programs read Chinese text), and cells that a spreadsheet would run as formulas
 * (= + - @ at the start) are prefixed with ' (CSV injection). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "auth/mfa.h"
#include "core/err.h"
#include "core/json.h"
#include "records/audit.h"
#include "records/query.h"
#include "records/store.h"

/* Lives in the request arena; the heap parts are freed before the audit write starts. */
typedef struct {
    ol_call_t *call;
    const ol_record_type_t *t;
    ol_query_t q;
    json_t *args;     /* the query arguments, for the audit entry */
    int csv;
    int rc;           /* the export's outcome, replied after the audit entry is durable */
    json_t *items;    /* every exported record */
    ol_buf_t out;     /* the body */
    char *detail;     /* the audit entry's detail (arena) */
    char *body;       /* the answer (arena) */
    size_t body_len;
} export_t;

static int on_arg(void *arg, const char *key, const char *value)
{
    export_t *e = arg;
    ol_ctx_t *c = &e->call->ctx;
    json_object_set_new(e->args, key, json_string(value));
    if (!strcmp(key, "format")) {
        if (!strcmp(value, "csv") || !strcmp(value, "json"))
            e->csv = !strcmp(value, "csv");
        else
            ol_schema_add_error(c->errors, "format", "enum", c->lang, "csv, json");
        e->rc = e->rc ? e->rc : (strcmp(value, "csv") && strcmp(value, "json")) ? -OL_EINVAL : 0;
    } else if (!strcmp(key, "cursor") || !strcmp(key, "limit")) {
        ol_schema_add_error(c->errors, key, "export_paging", c->lang, NULL);
        e->rc = -OL_EINVAL; /* an export is every matching record: no paging */
    } else if (ol_query_add(c, e->t, &e->q, key, value)) {
        e->rc = -OL_EINVAL;
    }
    return 0; /* report every bad argument at once */
}

/* Reads every matching record, page by page, into e->items. */
static int collect(export_t *e)
{
    ol_ctx_t *c = &e->call->ctx;
    long max = ol_config_int(ol_config()->export_max_rows);
    e->items = json_array();
    e->q.limit = OL_QUERY_MAX_LIMIT;
    for (;;) {
        int rc = ol_rec_list(c, e->t, &e->q);
        if (rc)
            return rc;
        json_t *page = json_object_get(c->result, "items");
        json_array_extend(e->items, page);
        const char *next = json_string_value(json_object_get(c->result, "next_cursor"));
        if ((long)json_array_size(e->items) > max) {
            char limit[32];
            snprintf(limit, sizeof limit, "%ld", max);
            ol_schema_add_error(c->errors, "export_max_rows", "export_too_many", c->lang, limit);
            return ol_ctx_fail(c, -OL_EINVAL, "more than %ld records match: narrow the filters "
                                              "(the export_max_rows policy)", max);
        }
        if (!next) {
            json_decref(c->result);
            c->result = NULL;
            return 0;
        }
        rc = ol_query_add(c, e->t, &e->q, "cursor", next);
        json_decref(c->result);
        c->result = NULL;
        if (rc)
            return rc;
    }
}

/* The columns: the shared ones every record has, then the type's own fields. */
static void render_csv(export_t *e)
{
    static const char *const shared[] = {"number", "title", "state", "version", "created_at",
                                         "created_by", "updated_at", "updated_by", NULL};
    json_t *cols = json_array();
    for (int i = 0; shared[i]; i++)
        json_array_append_new(cols, json_string(shared[i]));
    for (size_t k = 0; k < e->t->nfields; k++)
        if (strcmp(e->t->fields[k].name, "title"))
            json_array_append_new(cols, json_string(e->t->fields[k].name));
    ol_buf_puts(&e->out, "\xEF\xBB\xBF");
    size_t i, j;
    json_t *col, *rec;
    json_array_foreach(cols, j, col) {
        if (j)
            ol_buf_puts(&e->out, ",");
        ol_csv_cell(&e->out, col);
    }
    ol_buf_puts(&e->out, "\r\n");
    json_array_foreach(e->items, i, rec) {
        json_array_foreach(cols, j, col) {
            if (j)
                ol_buf_puts(&e->out, ",");
            ol_csv_cell(&e->out, json_object_get(rec, json_string_value(col)));
        }
        ol_buf_puts(&e->out, "\r\n");
    }
    json_decref(cols);
}

static int audit_job(ol_conn_t *conn, void *arg)
{
    export_t *e = arg;
    ol_ctx_t *c = &e->call->ctx;
    const char *result = e->rc == -OL_EFORBIDDEN ? "denied" : e->rc ? "failed" : "ok";
    c->denial_audited = 1; /* this entry is the refusal's */
    int rc = ol_audit_write_sev(conn, c, OL_AUDIT_HIGH, "record.export", e->t->name, result,
                                e->detail);
    return rc ? ol_ctx_db_fail(c, conn, rc) : 0;
}

/* Moves what the audit entry and the answer need into the arena and frees the rest. */
static void settle(ol_req_t *r, export_t *e)
{
    json_t *d = json_pack("{sssOsI}", "format", e->csv ? "csv" : "json", "query", e->args,
                          "count", (json_int_t)(e->items ? json_array_size(e->items) : 0));
    char *text = json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(d);
    e->detail = ol_arena_strdup(&r->arena, text);
    free(text);
    e->body_len = e->out.len;
    e->body = ol_arena_strndup(&r->arena, e->out.p ? e->out.p : "", e->out.len);
    ol_query_clear(&e->q);
    json_decref(e->args);
    json_decref(e->items);
    ol_buf_clear(&e->out);
    e->args = e->items = NULL;
}

static void reply(ol_req_t *r)
{
    ol_call_t *call = r->user;
    export_t *e = call->write.arg;
    if (call->write_rc || e->rc) {
        ol_api_reply_error(r, call->write_rc ? call->write_rc : e->rc, &call->ctx);
        return;
    }
    char disposition[160];
    snprintf(disposition, sizeof disposition, "attachment; filename=\"%s.%s\"", e->t->path,
             e->csv ? "csv" : "json");
    ol_reply(r, 200, e->csv ? "text/csv; charset=utf-8" : "application/json", e->body,
             e->body_len);
    ol_reply_header(r, "Content-Disposition", disposition);
    ol_reply_header(r, "Cache-Control", "no-store");
}

void ol_api_export(ol_req_t *r, ol_call_t *call, const ol_record_type_t *t)
{
    ol_ctx_t *c = &call->ctx;
    export_t *e = ol_arena_alloc(&r->arena, sizeof *e);
    memset(e, 0, sizeof *e);
    e->call = call;
    e->t = t;
    e->csv = 1;
    e->args = json_object();
    ol_query_init(&e->q);
    ol_buf_init(&e->out);
    if (!ol_rec_allowed(c, t, "export"))
        e->rc = ol_ctx_fail(c, -OL_EFORBIDDEN, "you may not export %s records", t->label_en);
    if (!e->rc)
        e->rc = ol_mfa_step_up_check(c, &call->who);
    if (!e->rc) {
        ol_req_query_each(r, on_arg, e);
        if (e->rc)
            ol_ctx_fail(c, e->rc, "the export has invalid parameters");
    }
    if (!e->rc)
        e->rc = collect(e);
    if (!e->rc && e->csv) {
        render_csv(e);
    } else if (!e->rc) {
        char *s = json_dumps(e->items, JSON_COMPACT);
        ol_buf_puts(&e->out, s);
        free(s);
    }
    settle(r, e);
    call->write = (ol_write_t){.fn = audit_job, .arg = e, .free_arg = NULL};
    ol_api_run_write(r, call, reply);
}
