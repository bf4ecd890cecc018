/* records/related.c - reading a record and what hangs off it: comments and work notes, links in
 * both directions, and the field history (REQUIREMENTS P1, P3). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/json.h"
#include "core/mem.h"
#include "records/audit.h"
#include "records/sensitive.h"
#include "records/store.h"

typedef struct {
    ol_ctx_t *c;
    const ol_record_type_t *t;
    const char *number;
    long long id;
} find_t;

int ol_rec_find_id(ol_ctx_t *c, ol_conn_t *conn, const ol_record_type_t *t, const char *number,
                   long long *id)
{
    ol_rows_t *r;
    ol_val_t p[] = {OL_VTEXT(t->name), OL_VTEXT(number)};
    int rc = ol_db_exec(conn, "SELECT id, grp, owner, created_by FROM records WHERE type = ?1 AND "
                              "number = ?2", p, 2, &r);
    if (rc)
        return ol_ctx_db_fail(c, conn, rc);
    if (ol_rows_count(r) == 0 ||
        !ol_ctx_in_scope(c, ol_rows_get(r, 0, 1), ol_rows_get(r, 0, 2), ol_rows_get(r, 0, 3))) {
        ol_rows_free(r);
        return ol_ctx_fail(c, -OL_ENOTFOUND, "%s %s does not exist", t->label_en, number);
    }
    *id = ol_rows_int(r, 0, 0);
    ol_rows_free(r);
    return 0;
}

/* ---- get --------------------------------------------------------------------------------------- */

static int get_fn(ol_conn_t *conn, void *arg)
{
    find_t *f = arg;
    ol_rows_t *r;
    ol_val_t p[] = {OL_VTEXT(f->t->name), OL_VTEXT(f->number)};
    int rc = ol_db_exec(conn, "SELECT " OL_REC_COLUMNS " FROM records WHERE type = ?1 AND number = ?2",
                        p, 2, &r);
    if (rc)
        return ol_ctx_db_fail(f->c, conn, rc);
    /* Outside the reader's data scope reads as absent: existence is not revealed. */
    if (ol_rows_count(r) == 0 ||
        !ol_ctx_in_scope(f->c, ol_rows_get(r, 0, 7), ol_rows_get(r, 0, 6), ol_rows_get(r, 0, 12)))
        rc = ol_ctx_fail(f->c, -OL_ENOTFOUND, "%s %s does not exist", f->t->label_en, f->number);
    else
        f->c->result = ol_rec_from_row(f->t, r, 0);
    ol_rows_free(r);
    return rc;
}

int ol_rec_get(ol_ctx_t *c, const ol_record_type_t *t, const char *number)
{
    if (!ol_rec_allowed(c, t, "read"))
        return ol_ctx_fail(c, -OL_EFORBIDDEN, "you may not read %s records", t->label_en);
    find_t f = {c, t, number, 0};
    return ol_db_read(c->db, get_fn, &f);
}

/* ---- lists hanging off a record ------------------------------------------------------------------ */

typedef struct {
    find_t f;
    const char *sql;
    json_t *(*row)(const ol_rows_t *r, int i, long long self);
} sub_list_t;

static int sub_list_fn(ol_conn_t *conn, void *arg)
{
    sub_list_t *s = arg;
    int rc = ol_rec_find_id(s->f.c, conn, s->f.t, s->f.number, &s->f.id);
    if (rc)
        return rc;
    ol_rows_t *r;
    ol_val_t p[] = {OL_VINT(s->f.id)};
    rc = ol_db_exec(conn, s->sql, p, 1, &r);
    if (rc)
        return ol_ctx_db_fail(s->f.c, conn, rc);
    json_t *items = json_array();
    for (int i = 0; i < ol_rows_count(r); i++)
        json_array_append_new(items, s->row(r, i, s->f.id));
    ol_rows_free(r);
    s->f.c->result = json_pack("{so}", "items", items);
    return 0;
}

static int sub_list(ol_ctx_t *c, const ol_record_type_t *t, const char *number, const char *sql,
                    json_t *(*row)(const ol_rows_t *, int, long long))
{
    if (!ol_rec_allowed(c, t, "read"))
        return ol_ctx_fail(c, -OL_EFORBIDDEN, "you may not read %s records", t->label_en);
    sub_list_t s = {{c, t, number, 0}, sql, row};
    return ol_db_read(c->db, sub_list_fn, &s);
}

static json_t *json_or_null(const char *text)
{
    json_t *v = text ? json_loads(text, JSON_DECODE_ANY, NULL) : NULL;
    return v ? v : json_null();
}

static json_t *history_row(const ol_rows_t *r, int i, long long self)
{
    (void)self;
    const char *field = ol_rows_get(r, i, 4), *reason = ol_rows_get(r, i, 7);
    return json_pack("{sIsIssssssso so so so}", "id", ol_rows_int(r, i, 0), "version",
                     ol_rows_int(r, i, 1), "actor", ol_rows_get(r, i, 2), "at",
                     ol_rows_get(r, i, 3), "action", ol_rows_get(r, i, 8), "field",
                     field ? json_string(field) : json_null(), "old",
                     json_or_null(ol_rows_get(r, i, 5)), "new",
                     json_or_null(ol_rows_get(r, i, 6)), "reason",
                     reason ? json_string(reason) : json_null());
}

int ol_rec_history(ol_ctx_t *c, const ol_record_type_t *t, const char *number)
{
    int rc = sub_list(c, t, number,
                      "SELECT id, version, actor, at, field, old_value, new_value, reason, action "
                      "FROM record_history WHERE record_id = ?1 ORDER BY id LIMIT 1000",
                      history_row);
    if (rc || !ol_sens_type(t))
        return rc;
    /* S7: a sensitive field's old and new values are stored sealed and shown masked. */
    size_t i;
    json_t *item;
    json_array_foreach(json_object_get(c->result, "items"), i, item) {
        const char *field = json_string_value(json_object_get(item, "field"));
        const ol_field_t *f = field ? ol_schema_field(t, field) : NULL;
        if (!ol_sens_field(f))
            continue;
        for (int k = 0; k < 2; k++) {
            const char *side = k ? "new" : "old";
            json_object_set_new(item, side,
                                ol_sens_mask_stored(f, number, json_object_get(item, side)));
        }
    }
    return 0;
}

static json_t *comment_row(const ol_rows_t *r, int i, long long self)
{
    (void)self;
    return json_pack("{sIssssssss}", "id", ol_rows_int(r, i, 0), "kind", ol_rows_get(r, i, 1),
                     "author", ol_rows_get(r, i, 2), "at", ol_rows_get(r, i, 3), "body",
                     ol_rows_get(r, i, 4));
}

int ol_rec_comments(ol_ctx_t *c, const ol_record_type_t *t, const char *number)
{
    return sub_list(c, t, number,
                    "SELECT id, kind, author, at, body FROM comments WHERE record_id = ?1 "
                    "ORDER BY id LIMIT 1000",
                    comment_row);
}

static const ol_link_type_t *link_type(const char *name)
{
    for (const ol_link_type_t *l = ol_link_types; l->name; l++)
        if (!strcmp(l->name, name))
            return l;
    return NULL;
}

static json_t *link_row(const ol_rows_t *r, int i, long long self)
{
    int outgoing = ol_rows_int(r, i, 1) == self;
    const ol_link_type_t *lt = link_type(ol_rows_get(r, i, 3));
    const ol_record_type_t *other = ol_schema_by_name(ol_rows_get(r, i, 5));
    return json_pack("{sIsssssss{ssssssss}ssss}", "id", ol_rows_int(r, i, 0), "type",
                     ol_rows_get(r, i, 3), "direction", outgoing ? "out" : "in", "label",
                     lt ? (outgoing ? lt->name : lt->inverse) : ol_rows_get(r, i, 3), "record",
                     "number", ol_rows_get(r, i, 4), "type", other ? other->path : "",
                     "title", ol_rows_get(r, i, 6), "state", ol_rows_get(r, i, 7),
                     "created_by", ol_rows_get(r, i, 8), "created_at", ol_rows_get(r, i, 9));
}

int ol_rec_links(ol_ctx_t *c, const ol_record_type_t *t, const char *number)
{
    return sub_list(c, t, number,
                    "SELECT l.id, l.src_id, l.dst_id, l.link_type, o.number, o.type, o.title, "
                    "o.state, l.created_by, l.created_at FROM links l JOIN records o ON o.id = "
                    "CASE WHEN l.src_id = ?1 THEN l.dst_id ELSE l.src_id END "
                    "WHERE l.src_id = ?1 OR l.dst_id = ?1 ORDER BY l.id LIMIT 1000",
                    link_row);
}

/* ---- comments ---------------------------------------------------------------------------------- */

typedef struct {
    find_t f;
    char *kind, *body, *target, *link_type;
    long long link_id;
} note_job_t;

static void free_note(void *arg)
{
    note_job_t *j = arg;
    free(j->kind);
    free(j->body);
    free(j->target);
    free(j->link_type);
    free(j);
}

static int comment_job(ol_conn_t *conn, void *arg)
{
    note_job_t *j = arg;
    ol_ctx_t *c = j->f.c;
    char now[32];
    int rc = ol_rec_find_id(c, conn, j->f.t, j->f.number, &j->f.id);
    if (rc)
        return rc;
    ol_rows_t *r;
    ol_val_t p[] = {OL_VINT(j->f.id), OL_VTEXT(j->kind), OL_VTEXT(c->user),
                    OL_VTEXT(ol_now_iso(now)), OL_VTEXT(j->body)};
    rc = ol_db_exec(conn, "INSERT INTO comments(record_id, kind, author, at, body) VALUES "
                          "(?1, ?2, ?3, ?4, ?5) RETURNING id", p, 5, &r);
    if (rc)
        return ol_ctx_db_fail(c, conn, rc);
    long long cid = ol_rows_int(r, 0, 0);
    ol_rows_free(r);
    ol_val_t f[] = {OL_VINT(cid), OL_VTEXT(j->body)};
    rc = ol_db_exec(conn, "INSERT INTO comment_fts(rowid, text) VALUES (?1, ?2)", f, 2, NULL);
    if (rc == 0)
        rc = ol_audit_write(conn, c, "record.comment", j->f.number, "ok", NULL);
    if (rc)
        return ol_ctx_db_fail(c, conn, rc);
    c->result = json_pack("{sIssssssss}", "id", cid, "kind", j->kind, "author", c->user, "at",
                          now, "body", j->body);
    c->status = 201;
    return 0;
}

int ol_rec_comment_prepare(ol_ctx_t *c, const ol_record_type_t *t, const char *number,
                           const json_t *input, ol_write_t *w)
{
    if (!ol_rec_allowed(c, t, "comment"))
        return ol_ctx_fail(c, -OL_EFORBIDDEN, "you may not comment on %s records", t->label_en);
    static const char *const keys[] = {"body", "kind", NULL};
    ol_input_check_keys(input, keys, c->lang, c->errors);
    if (!json_is_object(input))
        return ol_ctx_fail(c, -OL_EINVAL, "the body must be a JSON object");
    const char *body = json_string_value(json_object_get(input, "body"));
    const json_t *kind = json_object_get(input, "kind");
    if (!body || !*body)
        ol_schema_add_error(c->errors, "body", "required", c->lang, NULL);
    else if (ol_utf8_len(body) > 20000)
        ol_schema_add_error(c->errors, "body", "too_long", c->lang, "20000");
    if (kind && (!json_is_string(kind) || (strcmp(json_string_value(kind), "comment") &&
                                           strcmp(json_string_value(kind), "work_note"))))
        ol_schema_add_error(c->errors, "kind", "enum", c->lang, "comment, work_note");
    if (json_array_size(c->errors))
        return ol_ctx_fail(c, -OL_EINVAL, "the comment is invalid");
    note_job_t *j = ol_xcalloc(1, sizeof(*j));
    j->f = (find_t){c, t, number, 0};
    j->kind = ol_xstrdup(kind ? json_string_value(kind) : "comment");
    j->body = ol_xstrdup(body);
    *w = (ol_write_t){comment_job, j, free_note};
    return 0;
}

/* ---- links ------------------------------------------------------------------------------------- */

static int link_job(ol_conn_t *conn, void *arg)
{
    note_job_t *j = arg;
    ol_ctx_t *c = j->f.c;
    char now[32];
    int rc = ol_rec_find_id(c, conn, j->f.t, j->f.number, &j->f.id);
    if (rc)
        return rc;
    ol_rows_t *r;
    ol_val_t tp[] = {OL_VTEXT(j->target)};
    rc = ol_db_exec(conn, "SELECT id FROM records WHERE number = ?1", tp, 1, &r);
    if (rc)
        return ol_ctx_db_fail(c, conn, rc);
    long long dst = ol_rows_count(r) ? ol_rows_int(r, 0, 0) : 0;
    ol_rows_free(r);
    if (!dst) {
        ol_schema_add_error(c->errors, "target", "bad_filter", c->lang, "no such record");
        return ol_ctx_fail(c, -OL_EINVAL, "the link target %s does not exist", j->target);
    }
    if (dst == j->f.id)
        return ol_ctx_fail(c, -OL_EINVAL, "a record cannot be linked to itself");
    ol_val_t p[] = {OL_VINT(j->f.id), OL_VINT(dst), OL_VTEXT(j->link_type), OL_VTEXT(c->user),
                    OL_VTEXT(ol_now_iso(now))};
    rc = ol_db_exec(conn, "INSERT INTO links(src_id, dst_id, link_type, created_by, created_at) "
                          "VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id", p, 5, &r);
    if (rc == -OL_ECONFLICT)
        return ol_ctx_fail(c, rc, "%s is already linked to %s as %s", j->f.number, j->target,
                           j->link_type);
    if (rc)
        return ol_ctx_db_fail(c, conn, rc);
    long long lid = ol_rows_int(r, 0, 0);
    ol_rows_free(r);
    char detail[160];
    snprintf(detail, sizeof detail, "{\"link_type\":\"%s\",\"target\":\"%s\"}", j->link_type,
             j->target); /* both were validated to be plain identifiers/numbers */
    rc = ol_audit_write(conn, c, "record.link", j->f.number, "ok", detail);
    if (rc)
        return ol_ctx_db_fail(c, conn, rc);
    c->result = json_pack("{sIssssssssss}", "id", lid, "type", j->link_type, "source",
                          j->f.number, "target", j->target, "created_by", c->user,
                          "created_at", now);
    c->status = 201;
    return 0;
}

static int valid_number(const char *s)
{
    size_t n = strlen(s);
    if (n < 4 || n > 24)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
            return 0;
    return 1;
}

int ol_rec_link_prepare(ol_ctx_t *c, const ol_record_type_t *t, const char *number,
                        const json_t *input, ol_write_t *w)
{
    if (!ol_rec_allowed(c, t, "update"))
        return ol_ctx_fail(c, -OL_EFORBIDDEN, "you may not link %s records", t->label_en);
    static const char *const keys[] = {"type", "target", NULL};
    ol_input_check_keys(input, keys, c->lang, c->errors);
    if (!json_is_object(input))
        return ol_ctx_fail(c, -OL_EINVAL, "the body must be a JSON object");
    const char *type = json_string_value(json_object_get(input, "type"));
    const char *target = json_string_value(json_object_get(input, "target"));
    if (!type || !link_type(type)) {
        char list[256] = "";
        for (const ol_link_type_t *l = ol_link_types; l->name; l++) {
            strncat(list, l->name, sizeof list - strlen(list) - 3);
            if (l[1].name)
                strncat(list, ", ", sizeof list - strlen(list) - 1);
        }
        ol_schema_add_error(c->errors, "type", "enum", c->lang, list);
    }
    if (!target || !valid_number(target))
        ol_schema_add_error(c->errors, "target", "required", c->lang, NULL);
    if (json_array_size(c->errors))
        return ol_ctx_fail(c, -OL_EINVAL, "the link is invalid");
    note_job_t *j = ol_xcalloc(1, sizeof(*j));
    j->f = (find_t){c, t, number, 0};
    j->link_type = ol_xstrdup(type);
    j->target = ol_xstrdup(target);
    *w = (ol_write_t){link_job, j, free_note};
    return 0;
}

static int unlink_job(ol_conn_t *conn, void *arg)
{
    note_job_t *j = arg;
    ol_ctx_t *c = j->f.c;
    int rc = ol_rec_find_id(c, conn, j->f.t, j->f.number, &j->f.id);
    if (rc)
        return rc;
    ol_rows_t *r;
    ol_val_t p[] = {OL_VINT(j->link_id), OL_VINT(j->f.id)};
    rc = ol_db_exec(conn, "DELETE FROM links WHERE id = ?1 AND (src_id = ?2 OR dst_id = ?2) "
                          "RETURNING id", p, 2, &r);
    if (rc)
        return ol_ctx_db_fail(c, conn, rc);
    int n = ol_rows_count(r);
    ol_rows_free(r);
    if (!n)
        return ol_ctx_fail(c, -OL_ENOTFOUND, "%s has no link %lld", j->f.number, j->link_id);
    char detail[64];
    snprintf(detail, sizeof detail, "{\"link_id\":%lld}", j->link_id);
    rc = ol_audit_write(conn, c, "record.unlink", j->f.number, "ok", detail);
    if (rc)
        return ol_ctx_db_fail(c, conn, rc);
    c->status = 204;
    return 0;
}

int ol_rec_unlink_prepare(ol_ctx_t *c, const ol_record_type_t *t, const char *number,
                          long long link_id, ol_write_t *w)
{
    if (!ol_rec_allowed(c, t, "update"))
        return ol_ctx_fail(c, -OL_EFORBIDDEN, "you may not unlink %s records", t->label_en);
    note_job_t *j = ol_xcalloc(1, sizeof(*j));
    j->f = (find_t){c, t, number, 0};
    j->link_id = link_id;
    *w = (ol_write_t){unlink_job, j, free_note};
    return 0;
}
