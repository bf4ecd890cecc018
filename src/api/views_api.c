/* api/views_api.c - saved list views (issue 5): named filter sets per record type, kept on the
 * server so that they follow the user from browser to browser.
 *   GET    /api/v1/views?type=incidents    the caller's views and the views others shared
 *   PUT    /api/v1/views/{type}/{name}     {"query": {...}, "columns": [...], "shared": bool}
 *   DELETE /api/v1/views/{type}/{name}
 * Anyone who may read a type may keep views of it; only the owner changes or removes one. A
 * view's query is checked by the list's own parser, so a view that would fail is refused when
 * it is saved, not when it is opened. Saves and removals are audited. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/json.h"
#include "records/audit.h"
#include "records/query.h"
#include "records/store.h"

/* Bounds of one user's views: limits of the request, not policies of the standards. */
#define VIEWS_PER_TYPE 50
#define VIEW_NAME_MAX 100
#define VIEW_COLUMNS_MAX 64

typedef struct {
    ol_ctx_t *c;
    long long user_id;
    const ol_record_type_t *t; /* NULL: every readable type (GET without type) */
    const char *name;
    char *query, *columns;     /* JSON text to store */
    int shared;
    int created;               /* out: 1 when the save made a new view */
} view_job_t;

static json_t *view_from_row(const ol_rows_t *r, int i, const char *me)
{
    json_t *query = json_loads(ol_rows_get(r, i, 2), 0, NULL);
    json_t *cols = json_loads(ol_rows_get(r, i, 3), 0, NULL);
    const char *owner = ol_rows_get(r, i, 5);
    return json_pack("{sIsssssosososbsbssss}", "id", (json_int_t)ol_rows_int(r, i, 6), "type",
                     ol_rows_get(r, i, 0), "name", ol_rows_get(r, i, 1), "query",
                     query ? query : json_object(), "columns", cols ? cols : json_array(),
                     "owner", json_string(owner), "shared", ol_rows_int(r, i, 4) != 0, "mine",
                     !strcmp(owner, me), "created_at", ol_rows_get(r, i, 7), "updated_at",
                     ol_rows_get(r, i, 8));
}

static int list_fn(ol_conn_t *conn, void *arg)
{
    view_job_t *j = arg;
    ol_rows_t *r;
    ol_val_t p[] = {OL_VINT(j->user_id), OL_VTEXT(j->t ? j->t->path : "")};
    int rc = ol_db_exec(conn,
                        "SELECT v.type, v.name, v.query, v.columns, v.shared, u.username, v.id, "
                        "v.created_at, v.updated_at FROM saved_views v JOIN users u ON "
                        "u.id = v.user_id WHERE (v.user_id = ?1 OR v.shared = 1) AND "
                        "(?2 = '' OR v.type = ?2) ORDER BY v.type, v.name, v.id",
                        p, 2, &r);
    if (rc)
        return ol_ctx_db_fail(j->c, conn, rc);
    json_t *items = json_array();
    for (int i = 0; i < ol_rows_count(r); i++) {
        const ol_record_type_t *t = ol_schema_by_path(ol_rows_get(r, i, 0));
        if (t && ol_rec_allowed(j->c, t, "read")) /* a type the caller may no longer read */
            json_array_append_new(items, view_from_row(r, i, j->c->user));
    }
    ol_rows_free(r);
    j->c->result = json_pack("{so}", "items", items);
    return 0;
}

static int save_fn(ol_conn_t *conn, void *arg)
{
    view_job_t *j = arg;
    ol_rows_t *r;
    ol_val_t k[] = {OL_VINT(j->user_id), OL_VTEXT(j->t->path), OL_VTEXT(j->name)};
    int rc = ol_db_exec(conn,
                        "SELECT COUNT(*), SUM(CASE WHEN name = ?3 THEN 1 ELSE 0 END) FROM "
                        "saved_views WHERE user_id = ?1 AND type = ?2",
                        k, 3, &r);
    if (rc)
        return ol_ctx_db_fail(j->c, conn, rc);
    long long n = ol_rows_int(r, 0, 0), same = ol_rows_int(r, 0, 1);
    ol_rows_free(r);
    j->created = same == 0;
    if (j->created && n >= VIEWS_PER_TYPE) {
        char why[16];
        snprintf(why, sizeof why, "%d", VIEWS_PER_TYPE);
        ol_schema_add_error(j->c->errors, "name", "views_full", j->c->lang, why);
        return ol_ctx_fail(j->c, -OL_EINVAL, "you keep %d views of %s already: remove one first",
                           VIEWS_PER_TYPE, j->t->path);
    }
    char now[32];
    ol_iso_at(ol_time(), now);
    ol_val_t p[] = {OL_VINT(j->user_id), OL_VTEXT(j->t->path), OL_VTEXT(j->name),
                    OL_VTEXT(j->query),   OL_VTEXT(j->columns), OL_VINT(j->shared),
                    OL_VTEXT(now)};
    rc = ol_db_exec(conn,
                    "INSERT INTO saved_views (user_id, type, name, query, columns, shared, "
                    "created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7) ON CONFLICT "
                    "(user_id, type, name) DO UPDATE SET query = excluded.query, columns = "
                    "excluded.columns, shared = excluded.shared, updated_at = excluded.updated_at",
                    p, 7, NULL);
    if (rc == 0) {
        json_t *d = json_pack("{sssssbss}", "type", j->t->path, "name", j->name, "shared",
                              j->shared, "query", j->query);
        char *detail = json_dumps(d, JSON_COMPACT);
        json_decref(d);
        rc = ol_audit_write(conn, j->c, j->created ? "view.create" : "view.update", j->c->user,
                            "ok", detail);
        free(detail);
    }
    return rc ? ol_ctx_db_fail(j->c, conn, rc) : 0;
}

static int delete_fn(ol_conn_t *conn, void *arg)
{
    view_job_t *j = arg;
    ol_rows_t *r;
    ol_val_t p[] = {OL_VINT(j->user_id), OL_VTEXT(j->t->path), OL_VTEXT(j->name)};
    int rc = ol_db_exec(conn,
                        "DELETE FROM saved_views WHERE user_id = ?1 AND type = ?2 AND name = ?3 "
                        "RETURNING id",
                        p, 3, &r);
    if (rc)
        return ol_ctx_db_fail(j->c, conn, rc);
    int found = ol_rows_count(r);
    ol_rows_free(r);
    if (!found)
        return ol_ctx_fail(j->c, -OL_ENOTFOUND, "you have no view named %s of %s", j->name,
                           j->t->path);
    json_t *d = json_pack("{ssss}", "type", j->t->path, "name", j->name);
    char *detail = json_dumps(d, JSON_COMPACT);
    json_decref(d);
    rc = ol_audit_write(conn, j->c, "view.delete", j->c->user, "ok", detail);
    free(detail);
    return rc ? ol_ctx_db_fail(j->c, conn, rc) : 0;
}

/* Re-names a list parser's error "state" as "query.state". */
static void prefix_errors(json_t *from, json_t *to)
{
    size_t i;
    json_t *e;
    json_array_foreach(from, i, e) {
        char field[160];
        snprintf(field, sizeof field, "query.%s", json_string_value(json_object_get(e, "field")));
        json_object_set_new(e, "field", json_string(field));
        json_array_append(to, e);
    }
}

/* Checks the body of a save; fills j (query and columns as JSON text). Errors in c->errors. */
static void check_view(ol_ctx_t *c, const json_t *body, view_job_t *j)
{
    static const char *const keys[] = {"query", "columns", "shared", NULL};
    ol_input_check_keys(body, keys, c->lang, c->errors);
    int ctl = 0;
    for (const unsigned char *s = (const unsigned char *)j->name; *s; s++)
        ctl |= *s < 0x20 || *s == 0x7f;
    if (!ol_utf8_valid(j->name) || ctl)
        ol_schema_add_error(c->errors, "name", "control", c->lang, NULL);
    else if (ol_utf8_len(j->name) > VIEW_NAME_MAX)
        ol_schema_add_error(c->errors, "name", "too_long", c->lang, "100");

    json_t *query = json_object_get(body, "query");
    if (!json_is_object(query)) {
        ol_schema_add_error(c->errors, "query", query ? "type_object" : "required", c->lang,
                            NULL);
    } else {
        ol_query_t q;
        ol_query_init(&q);
        json_t *errs = c->errors;
        c->errors = json_array();
        const char *key;
        json_t *v;
        json_object_foreach(query, key, v) {
            char field[80];
            snprintf(field, sizeof field, "query.%s", key);
            if (!json_is_string(v))
                ol_schema_add_error(errs, field, "type_string", c->lang, NULL);
            else if (!strcmp(key, "cursor"))
                ol_schema_add_error(errs, field, "bad_filter", c->lang,
                                    "a view keeps filters, not a position in a list");
            else
                ol_query_add(c, j->t, &q, key, json_string_value(v));
        }
        ol_query_clear(&q);
        prefix_errors(c->errors, errs);
        json_decref(c->errors);
        c->errors = errs;
        j->query = json_dumps(query, JSON_COMPACT | JSON_SORT_KEYS);
    }

    json_t *cols = json_object_get(body, "columns");
    if (cols && !json_is_array(cols)) {
        ol_schema_add_error(c->errors, "columns", "type_array", c->lang, NULL);
    } else if (json_array_size(cols) > VIEW_COLUMNS_MAX) {
        ol_schema_add_error(c->errors, "columns", "too_many", c->lang, "64");
    } else {
        static const char *const shared_cols[] = {"number", "title", "state", "version",
                                                  "created_at", "updated_at",
                                                  "state_changed_at", "created_by",
                                                  "updated_by", NULL};
        size_t i;
        json_t *col;
        json_array_foreach(cols, i, col) {
            const char *name = json_string_value(col);
            int ok = name && ol_schema_field(j->t, name);
            for (int k = 0; name && !ok && shared_cols[k]; k++)
                ok = !strcmp(shared_cols[k], name);
            if (!ok) {
                char field[32];
                snprintf(field, sizeof field, "columns[%zu]", i);
                ol_schema_add_error(c->errors, field, "unknown", c->lang, NULL);
            }
        }
        j->columns = cols ? json_dumps(cols, JSON_COMPACT) : strdup("[]");
    }
    json_t *shared = json_object_get(body, "shared");
    if (shared && !json_is_boolean(shared))
        ol_schema_add_error(c->errors, "shared", "type_bool", c->lang, NULL);
    j->shared = json_is_true(shared);
}

void ol_api_views(ol_req_t *r, ol_call_t *call, char **seg, int nseg)
{
    ol_ctx_t *c = &call->ctx;
    const char *m = r->method;
    view_job_t j = {.c = c, .user_id = call->who.id};
    int rc;
    if (nseg == 3) {
        r->route = "/api/v1/views";
        if (strcmp(m, "GET")) {
            ol_reply_problem(r, 405, "Method Not Allowed", "use GET", NULL);
            ol_reply_header(r, "Allow", "GET");
            return;
        }
        const char *type = ol_req_query(r, "type");
        if (type && !(j.t = ol_schema_by_path(type))) {
            ol_schema_add_error(c->errors, "type", "unknown_type", c->lang, NULL);
            ol_api_reply_error(r, ol_ctx_fail(c, -OL_EINVAL, "no such record type"), c);
            return;
        }
        if ((rc = ol_db_read(c->db, list_fn, &j)) != 0) {
            ol_api_reply_error(r, rc, c);
            return;
        }
        ol_reply_json(r, 200, c->result);
        return;
    }
    r->route = "/api/v1/views/{type}/{name}";
    if (nseg != 5) {
        ol_reply_problem(r, 404, "Not Found", "no such resource", NULL);
        return;
    }
    if (strcmp(m, "PUT") && strcmp(m, "DELETE")) {
        ol_reply_problem(r, 405, "Method Not Allowed", "use PUT or DELETE", NULL);
        ol_reply_header(r, "Allow", "PUT, DELETE");
        return;
    }
    j.t = ol_schema_by_path(seg[3]);
    j.name = seg[4];
    if (!j.t) {
        ol_reply_problem(r, 404, "Not Found", "no such record type", NULL);
        return;
    }
    if (!ol_rec_allowed(c, j.t, "read")) {
        ol_api_reply_error(r, ol_ctx_fail(c, -OL_EFORBIDDEN, "you may not read %s records",
                                          j.t->label_en), c);
        return;
    }
    json_t *body = NULL;
    if (!strcmp(m, "PUT")) {
        if (!(body = ol_api_body_or_reply(r, call)))
            return;
        check_view(c, body, &j);
        rc = json_array_size(c->errors) ? ol_ctx_fail(c, -OL_EINVAL, "the view is invalid")
                                        : ol_db_write(c->db, save_fn, &j);
    } else {
        rc = ol_db_write(c->db, delete_fn, &j);
    }
    if (rc) {
        ol_api_reply_error(r, rc, c);
    } else if (body) {
        json_t *out = json_pack("{sssss{}s[]sb}", "type", j.t->path, "name", j.name, "query",
                                "columns", "shared", j.shared);
        json_object_set_new(out, "query", json_loads(j.query, 0, NULL));
        json_object_set_new(out, "columns", json_loads(j.columns, 0, NULL));
        ol_reply_json(r, j.created ? 201 : 200, out);
        json_decref(out);
    } else {
        ol_reply(r, 204, "application/json", "", 0);
    }
    json_decref(body);
    free(j.query);
    free(j.columns);
}
