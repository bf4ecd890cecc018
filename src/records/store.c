/* records/store.c - create, read, update and transition records of any declared type. */
#include "records/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/json.h"
#include "core/mem.h"
#include "auth/authz.h"
#include "records/audit.h"
#include "records/mask.h"
#include "records/sensitive.h"
#include "records/sla.h"
#include "records/duty.h"

const ol_link_type_t ol_link_types[] = {
    {"relates_to", "relates_to", "Relates to", "相关"},
    {"references", "referenced_by", "References", "引用"},
    {"caused_by", "causes", "Caused by", "由…引起"},
    {"duplicates", "duplicated_by", "Duplicates", "重复"},
    {"documents", "documented_by", "Documents", "记录了"},
    {"depends_on", "depended_on_by", "Depends on", "依赖"},
    {"spawned", "spawned_by", "Spawned", "派生"}, /* V2: a child request or a change */
    {NULL, NULL, NULL, NULL},
};

static const char *const shared_optional[] = {"priority", "owner", "group", NULL};

int ol_rec_allowed(const ol_ctx_t *c, const ol_record_type_t *t, const char *action)
{
    return ol_authz(c->roles, t->name, action);
}

/* ---- row <-> JSON ------------------------------------------------------------------------------ */

json_t *ol_rec_from_row_plain(const ol_record_type_t *t, const ol_rows_t *r, int i)
{
    json_t *o = json_object();
    json_object_set_new(o, "number", json_string(ol_rows_get(r, i, 2)));
    json_object_set_new(o, "type", json_string(t->path));
    json_object_set_new(o, "title", json_string(ol_rows_get(r, i, 3)));
    json_object_set_new(o, "state", json_string(ol_rows_get(r, i, 4)));
    for (int k = 0; shared_optional[k]; k++) {
        if (!ol_schema_field(t, shared_optional[k]))
            continue;
        const char *v = ol_rows_get(r, i, 5 + k);
        json_object_set_new(o, shared_optional[k], v ? json_string(v) : json_null());
    }
    json_object_set_new(o, "version", json_integer(ol_rows_int(r, i, 8)));
    static const char *const times[] = {"created_at", "updated_at", "state_changed_at",
                                        "created_by", "updated_by"};
    for (int k = 0; k < 5; k++)
        json_object_set_new(o, times[k], json_string(ol_rows_get(r, i, 9 + k)));
    const char *data = ol_rows_get(r, i, 14);
    json_t *d = data ? json_loads(data, 0, NULL) : NULL;
    for (size_t k = 0; k < t->nfields; k++) {
        const ol_field_t *f = &t->fields[k];
        if (ol_schema_column(f->name))
            continue;
        json_t *v = d ? json_object_get(d, f->name) : NULL;
        json_object_set(o, f->name, v ? v : json_null());
    }
    json_decref(d);
    ol_sens_open_record(t, o);
    return o;
}

json_t *ol_rec_from_row(const ol_record_type_t *t, const ol_rows_t *r, int i)
{
    json_t *o = ol_rec_from_row_plain(t, r, i);
    ol_sens_mask_record(t, o, NULL);
    return o;
}

/* The type's own fields of rec, as stored in records.data (sensitive ones sealed) into *out
 * (caller frees). Returns 0, or an error set in c. */
static int data_json(ol_ctx_t *c, ol_conn_t *conn, const ol_record_type_t *t, const json_t *rec,
                     const char *number, char **out)
{
    json_t *d = json_object();
    for (size_t k = 0; k < t->nfields; k++) {
        const ol_field_t *f = &t->fields[k];
        json_t *v = json_object_get(rec, f->name);
        if (!ol_schema_column(f->name) && v && !json_is_null(v))
            json_object_set(d, f->name, v);
    }
    int rc = ol_sens_seal_data(conn, t, number, d);
    *out = rc ? NULL : ol_json_dump(d);
    json_decref(d);
    if (rc == -OL_EUNAVAILABLE)
        return ol_ctx_fail(c, rc, "no field-encryption key is loaded: sensitive fields cannot be "
                                  "stored (see key_file)");
    return rc ? ol_ctx_db_fail(c, conn, rc) : 0;
}

static const char *str_or_null(const json_t *rec, const char *name)
{
    return json_string_value(json_object_get(rec, name));
}

/* The text full-text search indexes: the title and every searchable field. Caller frees. */
static char *search_text(const ol_record_type_t *t, const json_t *rec)
{
    ol_buf_t b;
    ol_buf_init(&b);
    ol_buf_puts(&b, str_or_null(rec, "title") ? str_or_null(rec, "title") : "");
    for (size_t k = 0; k < t->nfields; k++) {
        const ol_field_t *f = &t->fields[k];
        const json_t *v = json_object_get(rec, f->name);
        if (!(f->flags & OL_FIELD_SEARCHABLE) || !strcmp(f->name, "title") || !v)
            continue;
        if (json_is_string(v)) {
            ol_buf_puts(&b, "\n");
            ol_buf_puts(&b, json_string_value(v));
        } else if (json_is_array(v)) {
            size_t i;
            const json_t *item;
            json_array_foreach(v, i, item) if (json_is_string(item)) {
                ol_buf_puts(&b, "\n");
                ol_buf_puts(&b, json_string_value(item));
            }
        }
    }
    return ol_buf_steal(&b);
}

/* Deferred to the end of the group commit: writing the FTS5 table inside each write's savepoint
 * made SQLite write and merge one index segment per record (most of a create's cost). */
static int index_record(ol_conn_t *conn, const ol_record_type_t *t, long long id,
                        const json_t *rec, int replace)
{
    int rc = 0;
    if (replace) {
        ol_val_t d[] = {OL_VINT(id)};
        rc = ol_db_exec_deferred(conn, "DELETE FROM record_fts WHERE rowid = ?1", d, 1);
    }
    if (rc == 0) {
        char *text = search_text(t, rec);
        ol_val_t p[] = {OL_VINT(id), OL_VTEXT(text)};
        rc = ol_db_exec_deferred(conn, "INSERT INTO record_fts(rowid, text) VALUES (?1, ?2)", p, 2);
        free(text);
    }
    return rc;
}

/* transition: the transition a state change came from (for duty rules), or NULL. */
static int history(ol_conn_t *conn, long long id, long long version, const ol_ctx_t *c,
                   const char *at, const char *action, const char *field, const json_t *old_v,
                   const json_t *new_v, const char *reason, const char *transition)
{
    char *o = old_v ? ol_json_dump(old_v) : NULL;
    char *n = new_v ? ol_json_dump(new_v) : NULL;

    ol_val_t p[] = {OL_VINT(id), OL_VINT(version), OL_VTEXT(c->user), OL_VTEXT(at),
                    OL_VTEXT(action), OL_VTEXT(field), OL_VTEXT(o), OL_VTEXT(n), OL_VTEXT(reason),
                    OL_VTEXT(transition)};
    int rc = ol_db_exec(conn,
                        "INSERT INTO record_history(record_id, version, actor, at, action, field, "
                        "old_value, new_value, reason, transition) "
                        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                        p, 10, NULL);
    free(o);
    free(n);
    return rc;
}

/* A unique violation of a write of rec: 409 naming the OL_FIELD_UNIQUE field whose index
 * (records_<type>_<field>_key) the database reports; other conflicts as database errors. */
static int conflict_fail(ol_ctx_t *c, ol_conn_t *conn, const ol_record_type_t *t,
                         const json_t *rec, int rc)
{
    for (size_t k = 0; rc == -OL_ECONFLICT && k < t->nfields; k++) {
        const ol_field_t *f = &t->fields[k];
        char index[160];
        if (!(f->flags & OL_FIELD_UNIQUE) ||
            snprintf(index, sizeof index, "records_%s_%s_key", t->name, f->name) >=
                (int)sizeof index ||
            !strstr(ol_conn_errmsg(conn), index))
            continue;
        char *value = ol_json_dump(json_object_get(rec, f->name));
        ol_schema_add_error(c->errors, f->name, "unique", c->lang, NULL);
        ol_ctx_fail(c, rc, "another %s record already has %s = %s", t->label_en, f->name,
                    value ? value : "null");
        free(value);
        return rc;
    }
    return ol_ctx_db_fail(c, conn, rc);
}

/* The row of the record of type t with this number into *r (caller frees; 0 rows when none). */
static int select_row(ol_ctx_t *c, ol_conn_t *conn, const ol_record_type_t *t, const char *number,
                      ol_rows_t **r)
{
    ol_val_t p[] = {OL_VTEXT(t->name), OL_VTEXT(number)};
    int rc = ol_db_exec(conn, "SELECT " OL_REC_COLUMNS " FROM records WHERE type = ?1 AND number = ?2",
                        p, 2, r);
    return rc ? ol_ctx_db_fail(c, conn, rc) : 0;
}

/* Loads a record by number for update, with its id. */
static int load(ol_ctx_t *c, ol_conn_t *conn, const ol_record_type_t *t, const char *number,
                json_t **rec, long long *id)
{
    ol_rows_t *r;
    int rc = select_row(c, conn, t, number, &r);
    if (rc)
        return rc;
    if (ol_rows_count(r) == 0 ||
        !ol_ctx_in_scope(c, ol_rows_get(r, 0, 7), ol_rows_get(r, 0, 6), ol_rows_get(r, 0, 12))) {
        ol_rows_free(r);
        return ol_ctx_fail(c, -OL_ENOTFOUND, "%s %s does not exist", t->label_en, number);
    }
    *rec = ol_rec_from_row_plain(t, r, 0); /* plaintext: never leaves the engine as is */
    *id = ol_rows_int(r, 0, 0);
    ol_rows_free(r);
    return 0;
}

int ol_rec_find(ol_conn_t *conn, ol_ctx_t *c, const ol_record_type_t *t, const char *number,
                json_t **rec)
{
    ol_rows_t *r;
    int rc = select_row(c, conn, t, number, &r);
    if (rc)
        return rc;
    rc = ol_rows_count(r) ? 0 : -OL_ENOTFOUND;
    *rec = rc ? NULL : ol_rec_from_row(t, r, 0);
    ol_rows_free(r);
    return rc;
}

/* ---- create ---------------------------------------------------------------------------------- */

typedef struct {
    ol_ctx_t *c;
    const ol_record_type_t *t;
    json_t *rec;
} create_job_t;

static void free_create(void *arg)
{
    create_job_t *j = arg;
    json_decref(j->rec);
    free(j);
}

static int create_job(ol_conn_t *conn, void *arg)
{
    create_job_t *j = arg;
    ol_ctx_t *c = j->c;
    const ol_record_type_t *t = j->t;
    char now[32], number[32];
    ol_rows_t *r;
    ol_now_iso(now);

    ol_val_t cp[] = {OL_VTEXT(t->name)};
    int rc = ol_db_exec(conn,
                        "INSERT INTO counters(type, next) VALUES (?1, 2) ON CONFLICT(type) DO "
                        "UPDATE SET next = counters.next + 1 RETURNING next - 1",
                        cp, 1, &r);
    if (rc)
        return ol_ctx_db_fail(c, conn, rc);
    snprintf(number, sizeof number, "%s-%06lld", t->prefix, ol_rows_int(r, 0, 0));
    ol_rows_free(r);

    if (t->compute)
        t->compute(j->rec, t->states[0]);
    if (t->check && (rc = t->check(conn, c, j->rec, t->states[0], NULL)))
        return rc;
    const json_t *rec = j->rec;
    char *data;
    if ((rc = data_json(c, conn, t, rec, number, &data)))
        return rc;
    ol_val_t p[] = {OL_VTEXT(t->name),  OL_VTEXT(number), OL_VTEXT(str_or_null(rec, "title")),
                    OL_VTEXT(t->states[0]), OL_VTEXT(str_or_null(rec, "priority")),
                    OL_VTEXT(str_or_null(rec, "owner")), OL_VTEXT(str_or_null(rec, "group")),
                    OL_VTEXT(now),      OL_VTEXT(c->user), OL_VTEXT(data)};
    rc = ol_db_exec(conn,
                    "INSERT INTO records(type, number, title, state, priority, owner, grp, version, "
                    "created_at, updated_at, state_changed_at, created_by, updated_by, data) VALUES "
                    "(?1, ?2, ?3, ?4, ?5, ?6, ?7, 1, ?8, ?8, ?8, ?9, ?9, ?10) RETURNING " OL_REC_COLUMNS,
                    p, 10, &r);
    free(data);
    if (rc)
        return conflict_fail(c, conn, t, rec, rc);
    long long id = ol_rows_int(r, 0, 0);
    json_t *out = ol_rec_from_row(t, r, 0);
    ol_rows_free(r);

    rc = index_record(conn, t, id, out, 0);
    if (rc == 0)
        rc = history(conn, id, 1, c, now, "create", NULL, NULL, NULL, NULL, NULL);
    if (rc == 0)
        rc = ol_sla_on_write(conn, c, t, id, out); /* I4: timers start with the record */
    if (rc == 0) /* P7: for the teams' rules; before the audit, which locks the chain on PG */
        rc = ol_rec_events(conn, c, t, out, NULL, NULL);
    if (rc == 0)
        rc = ol_audit_write(conn, c, "record.create", number, "ok", NULL);
    if (rc) {
        json_decref(out);
        return ol_ctx_db_fail(c, conn, rc);
    }
    if (t->after_write && (rc = t->after_write(conn, c, out, "create"))) {
        json_decref(out);
        return rc; /* the hook set the context's detail */
    }
    c->result = out;
    c->status = 201;
    return 0;
}

int ol_rec_create_prepare(ol_ctx_t *c, const ol_record_type_t *t, const json_t *input,
                          ol_write_t *w)
{
    if (!ol_rec_allowed(c, t, "create"))
        return ol_ctx_fail(c, -OL_EFORBIDDEN, "you may not create %s records", t->label_en);
    if (ol_schema_validate(t, input, 1, c->lang, c->errors))
        return ol_ctx_fail(c, -OL_EINVAL, "the record has invalid fields");
    create_job_t *j = ol_xcalloc(1, sizeof(*j));
    j->c = c;
    j->t = t;
    j->rec = json_deep_copy(input);
    ol_schema_apply_defaults(t, j->rec);
    *w = (ol_write_t){create_job, j, free_create};
    return 0;
}

/* ---- update and transition ------------------------------------------------------------------- */

typedef struct {
    ol_ctx_t *c;
    const ol_record_type_t *t;
    const ol_transition_t *tr; /* NULL for a plain update */
    char *number;
    long long if_match;
    json_t *fields;            /* changes to apply */
    char *reason;
} update_job_t;

static void free_update(void *arg)
{
    update_job_t *j = arg;
    json_decref(j->fields);
    free(j->number);
    free(j->reason);
    free(j);
}

/* Runs the type's compute and check hooks and records what they changed alongside the input's
 * changes. prior: the record before the write. Returns the check's verdict. */
static int compute_fields(ol_conn_t *conn, ol_ctx_t *c, const ol_record_type_t *t, json_t *rec,
                          const char *state, const json_t *prior, json_t *changed)
{
    json_t *before = json_copy(rec);
    int rc = 0;
    if (t->compute)
        t->compute(rec, state);
    if (t->check)
        rc = t->check(conn, c, rec, state, prior);
    const char *key;
    json_t *v;
    json_object_foreach(rec, key, v) {
        json_t *old = json_object_get(before, key);
        if (!old || !json_equal(old, v))
            json_object_set_new(changed, key, json_pack("[OO]", old ? old : json_null(), v));
    }
    json_object_foreach(before, key, v) {
        if (!json_object_get(rec, key))
            json_object_set_new(changed, key, json_pack("[On]", v));
    }
    json_decref(before);
    return rc;
}

static int update_job(ol_conn_t *conn, void *arg)
{
    update_job_t *j = arg;
    ol_ctx_t *c = j->c;
    const ol_record_type_t *t = j->t;
    json_t *rec = NULL;
    long long id = 0;
    char now[32];
    ol_now_iso(now);
    int rc = load(c, conn, t, j->number, &rec, &id);
    if (rc)
        return rc;
    long long version = json_integer_value(json_object_get(rec, "version"));
    const char *state = json_string_value(json_object_get(rec, "state"));
    if (j->if_match && j->if_match != version) {
        rc = ol_ctx_fail(c, -OL_EPRECONDITION,
                         "%s is at version %lld, not %lld: read it again and retry", j->number,
                         version, j->if_match);
        goto out;
    }
    const char *new_state = state;
    if (j->tr) {
        int from_ok = 0;
        for (const char *const *s = j->tr->from; s && *s; s++)
            from_ok |= !strcmp(*s, state);
        if (!from_ok) {
            rc = ol_ctx_fail(c, -OL_ESTATE, "transition '%s' cannot be taken from state '%s'",
                             j->tr->name, state);
            goto out;
        }
        new_state = j->tr->to;
    }

    /* Apply the changes, remembering what changed for the history. */
    json_t *changed = json_object();
    json_t *prior = t->check ? json_deep_copy(rec) : NULL;
    const char *key;
    json_t *v;
    json_object_foreach(j->fields, key, v) {
        json_t *old = json_object_get(rec, key);
        const ol_field_t *f = ol_schema_field(t, key);
        if (ol_sens_field(f) && ol_mask_is_masked(json_string_value(v))) {
            /* S7: the mask the client was shown, sent back, means "unchanged". */
            json_t *shown = ol_sens_mask_value(f, old ? old : json_null());
            int same = json_equal(shown, v);
            json_decref(shown);
            if (same)
                continue;
            ol_schema_add_error(c->errors, key, "masked_mismatch", c->lang, NULL);
            json_decref(changed);
            json_decref(prior);
            rc = ol_ctx_fail(c, -OL_EINVAL, "the record has invalid fields");
            goto out;
        }
        if (old && json_equal(old, v))
            continue;
        json_object_set_new(changed, key, json_pack("[OO]", old ? old : json_null(), v));
        json_object_set(rec, key, v);
    }
    if (t->compute || t->check)
        rc = compute_fields(conn, c, t, rec, new_state, prior, changed);
    json_decref(prior);
    if (rc) {
        json_decref(changed);
        goto out;
    }
    if (ol_schema_check_required(t, rec, j->tr ? j->tr->requires : NULL, c->lang, c->errors)) {
        json_decref(changed);
        rc = ol_ctx_fail(c, -OL_EINVAL, j->tr ? "the transition needs more fields"
                                              : "a required field would become empty");
        goto out;
    }
    if (j->tr && j->tr->guard) {
        ol_guard_ctx_t g = {rec, c->user, j->reason, conn, c};
        char msg[256] = "";
        rc = j->tr->guard(&g, msg, sizeof msg);
        if (rc) {
            json_decref(changed);
            rc = ol_ctx_fail(c, rc, "%s", msg[0] ? msg : "the transition's guard refused it");
            goto out;
        }
    }
    if (j->tr && (rc = ol_duty_check(conn, c, j->tr, id, rec))) {
        json_decref(changed);
        goto out;
    }
    if (json_object_size(changed) == 0 && !j->tr) {
        json_decref(changed);
        ol_sens_mask_record(t, rec, NULL);
        c->result = rec; /* nothing to do: the record as it is */
        return 0;
    }

    char *data;
    if ((rc = data_json(c, conn, t, rec, j->number, &data))) {
        json_decref(changed);
        goto out;
    }
    ol_val_t p[] = {OL_VTEXT(str_or_null(rec, "title")), OL_VTEXT(new_state),
                    OL_VTEXT(str_or_null(rec, "priority")), OL_VTEXT(str_or_null(rec, "owner")),
                    OL_VTEXT(str_or_null(rec, "group")), OL_VTEXT(now), OL_VTEXT(c->user),
                    OL_VTEXT(data), OL_VINT(id), OL_VINT(version),
                    OL_VTEXT(j->tr ? now : json_string_value(json_object_get(rec, "state_changed_at")))};
    ol_rows_t *r;
    rc = ol_db_exec(conn,
                    "UPDATE records SET title = ?1, state = ?2, priority = ?3, owner = ?4, grp = ?5, "
                    "updated_at = ?6, updated_by = ?7, data = ?8, version = version + 1, "
                    "state_changed_at = ?11 WHERE id = ?9 AND version = ?10 RETURNING " OL_REC_COLUMNS,
                    p, 11, &r);
    free(data);
    if (rc) {
        json_decref(changed);
        rc = conflict_fail(c, conn, t, rec, rc);
        goto out;
    }
    if (ol_rows_count(r) == 0) { /* a concurrent writer won: only possible on PostgreSQL */
        ol_rows_free(r);
        json_decref(changed);
        rc = ol_ctx_fail(c, -OL_EPRECONDITION, "%s changed meanwhile: read it again and retry",
                         j->number);
        goto out;
    }
    json_t *out = ol_rec_from_row(t, r, 0);
    ol_rows_free(r);

    int searchable_changed = 0, nokey = 0;
    json_object_foreach(changed, key, v) {
        const ol_field_t *f = ol_schema_field(t, key);
        searchable_changed |= !strcmp(key, "title") || (f && (f->flags & OL_FIELD_SEARCHABLE));
        /* S7: history holds sensitive values sealed, the audit detail only their masks. */
        json_t *o = ol_sens_stored(f, j->number, json_array_get(v, 0));
        json_t *n = ol_sens_stored(f, j->number, json_array_get(v, 1));
        if (rc == 0 && (!o || !n))
            rc = nokey = -OL_EUNAVAILABLE;
        if (rc == 0)
            rc = history(conn, id, version + 1, c, now, j->tr ? "transition" : "update", key, o,
                         n, j->reason, NULL);
        json_decref(o);
        json_decref(n);
        if (ol_sens_field(f))
            for (size_t k = 0; k < 2; k++)
                json_array_set_new(v, k, ol_sens_mask_value(f, json_array_get(v, k)));
    }
    if (rc == 0 && j->tr) {
        json_t *from = json_string(state), *to = json_string(new_state);
        rc = history(conn, id, version + 1, c, now, "transition", "state", from, to, j->reason,
                     j->tr->name);
        json_decref(from);
        json_decref(to);
    }
    if (nokey)
        ol_ctx_fail(c, rc, "no field-encryption key is loaded: sensitive fields cannot be "
                           "stored (see key_file)");
    if (rc == 0 && searchable_changed)
        rc = index_record(conn, t, id, out, 1);
    if (rc == 0 && ((j->tr && j->tr->effect && (rc = j->tr->effect(conn, c, out))) ||
                    (t->after_write &&
                     (rc = t->after_write(conn, c, out, j->tr ? "transition" : "update"))))) {
        json_decref(changed);
        json_decref(out);
        goto out; /* the effect or hook set the context's detail */
    }
    if (rc == 0 && j->tr && j->tr->effect && c->result) {
        json_decref(out); /* the effect wrote the record again: answer with its newer form */
        out = c->result;
        c->result = NULL;
    }
    if (rc == 0)
        rc = ol_sla_on_write(conn, c, t, id, out); /* I4: timers follow state and priority */
    if (rc == 0) /* P7: for the teams' rules; before the audit, which locks the chain on PG */
        rc = ol_rec_events(conn, c, t, out, j->tr, changed);
    if (rc == 0) {
        char *detail = j->tr ? NULL : ol_json_dump(changed);
        char action[96];
        snprintf(action, sizeof action, j->tr ? "record.transition.%s" : "record.update",
                 j->tr ? j->tr->name : "");
        rc = ol_audit_write(conn, c, action, j->number, "ok", detail);
        free(detail);
    }
    json_decref(changed);
    if (rc) {
        json_decref(out);
        if (!nokey)
            rc = ol_ctx_db_fail(c, conn, rc);
        goto out;
    }
    c->result = out;
out:
    json_decref(rec);
    return rc;
}

int ol_rec_update_prepare(ol_ctx_t *c, const ol_record_type_t *t, const char *number,
                          long long if_match, const json_t *input, ol_write_t *w)
{
    if (!ol_rec_allowed(c, t, "update"))
        return ol_ctx_fail(c, -OL_EFORBIDDEN, "you may not update %s records", t->label_en);
    if (if_match <= 0)
        return ol_ctx_fail(c, -OL_EPRECONDREQ,
                           "send If-Match with the version you read (optimistic concurrency)");
    if (ol_schema_validate(t, input, 0, c->lang, c->errors))
        return ol_ctx_fail(c, -OL_EINVAL, "the record has invalid fields");
    update_job_t *j = ol_xcalloc(1, sizeof(*j));
    *j = (update_job_t){c, t, NULL, ol_xstrdup(number), if_match, json_deep_copy(input), NULL};
    *w = (ol_write_t){update_job, j, free_update};
    return 0;
}

int ol_rec_transition_prepare(ol_ctx_t *c, const ol_record_type_t *t, const char *number,
                              const char *name, long long if_match, const json_t *input,
                              ol_write_t *w)
{
    const ol_transition_t *tr = ol_schema_transition(t, name);
    if (!tr)
        return ol_ctx_fail(c, -OL_ENOTFOUND, "%s has no transition '%s'", t->label_en, name);
    char action[96];
    snprintf(action, sizeof action, "transition:%s", tr->name);
    if (!ol_rec_allowed(c, t, action))
        return ol_ctx_fail(c, -OL_EFORBIDDEN, "your roles do not allow the transition '%s'", name);
    static const char *const keys[] = {"reason", "fields", NULL};
    if (input && ol_input_check_keys(input, keys, c->lang, c->errors) && !json_is_object(input))
        return ol_ctx_fail(c, -OL_EINVAL, "the body must be a JSON object");
    const json_t *reason = json_object_get(input, "reason");
    const json_t *fields = json_object_get(input, "fields");
    if (reason && !json_is_string(reason))
        ol_schema_add_error(c->errors, "reason", "type_string", c->lang, NULL);
    else if (reason && ol_utf8_len(json_string_value(reason)) > 2000)
        ol_schema_add_error(c->errors, "reason", "too_long", c->lang, "2000");
    else if (tr->reason_required && (!reason || !json_string_length(reason)))
        ol_schema_add_error(c->errors, "reason", "reason_required", c->lang, NULL);
    if (fields)
        ol_schema_validate(t, fields, 0, c->lang, c->errors);
    if (json_array_size(c->errors))
        return ol_ctx_fail(c, -OL_EINVAL, "the transition input is invalid");
    update_job_t *j = ol_xcalloc(1, sizeof(*j));
    *j = (update_job_t){c, t, tr, ol_xstrdup(number), if_match,
                        fields ? json_deep_copy(fields) : json_object(),
                        reason ? ol_xstrdup(json_string_value(reason)) : NULL};
    *w = (ol_write_t){update_job, j, free_update};
    return 0;
}
