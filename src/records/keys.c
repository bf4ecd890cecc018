/* records/keys.c - S7 key file location, start-up check, status and re-encryption (keys.h).
 *
 * One walker visits every sealed value, a batch of rows at a time in keyset order: records.data
 * (the sensitive fields of each type), record_history (old and new values of those fields) and
 * the columns of records/sealed.h. Status only counts; re-encryption replaces. */
#include "records/keys.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/err.h"
#include "core/fieldcrypt.h"
#include "core/json.h"
#include "records/audit.h"
#include "records/schema.h"
#include "records/sealed.h"
#include "records/sensitive.h"

#define SEALED_LIKE "%" OL_FCRYPT_PREFIX "%"

int ol_keys_path(const ol_db_t *db, const char *key_file, char *out, size_t len, char *err,
                 size_t errlen)
{
    const char *dbp = ol_db_path(db);
    int n;
    if (key_file && *key_file) {
        n = snprintf(out, len, "%s", key_file);
    } else if (dbp) {
        const char *slash = strrchr(dbp, '/');
        n = slash ? snprintf(out, len, "%.*s/keys/field.keys", (int)(slash - dbp), dbp)
                  : snprintf(out, len, "keys/field.keys");
    } else {
        snprintf(err, errlen, "set key_file: on PostgreSQL every node must read the same "
                              "field-encryption key file (sensitive fields are sealed with it)");
        return -1;
    }
    if (n < 0 || (size_t)n >= len) {
        snprintf(err, errlen, "the key file path is too long");
        return -1;
    }
    return 0;
}

/* ---- the walker ------------------------------------------------------------------------------ */

typedef struct {
    ol_ctx_t *c;
    int write;                  /* re-encrypt (else count) */
    int batch;
    char active[OL_FKEY_ID_MAX];
    json_t *counts;             /* key id -> values (counting) */
    long long unreadable;       /* counting: values that do not open */
    const ol_sealed_col_t *col; /* the column walked, or NULL */
    long long after;            /* keyset position in the current source */
    int seen;                   /* rows the last batch read */
    long long batch_rows;       /* rows the last batch changed */
    ol_keys_stats_t st;
} walk_t;

/* Visits one value: counts it, or returns its re-encryption (caller frees) when it is sealed
 * under another key than the active one. */
static char *visit(walk_t *w, const char *s, const char *ad, size_t adlen)
{
    char id[OL_FKEY_ID_MAX], *plain = NULL;
    if (!s || ol_fcrypt_key_of(s, id))
        return NULL;
    if (!w->write) {
        json_t *n = json_object_get(w->counts, id);
        json_object_set_new(w->counts, id, json_integer(json_integer_value(n) + 1));
        if (ol_fcrypt_open(s, ad, adlen, &plain) == 0)
            ol_sealed_free(plain);
        else
            w->unreadable++;
        return NULL;
    }
    if (!strcmp(id, w->active))
        return NULL;
    if (ol_fcrypt_open(s, ad, adlen, &plain)) {
        w->st.unreadable++;
        return NULL;
    }
    char *out = ol_fcrypt_seal(plain, ad, adlen);
    ol_sealed_free(plain);
    if (out)
        w->st.values++;
    return out;
}

/* Audits a batch that changed rows, in its transaction. */
static int audit_batch(ol_conn_t *conn, walk_t *w, const char *where)
{
    if (!w->batch_rows)
        return 0;
    char detail[160];
    snprintf(detail, sizeof detail, "{\"key\":\"%s\",\"rows\":%lld}", w->active, w->batch_rows);
    return ol_audit_write(conn, w->c, "keys.reencrypt", where, "ok", detail);
}

static int records_batch(ol_conn_t *conn, void *arg)
{
    walk_t *w = arg;
    ol_rows_t *r;
    ol_val_t p[] = {OL_VINT(w->after), OL_VTEXT(SEALED_LIKE), OL_VINT(w->batch)};
    int rc = ol_db_exec(conn,
                        "SELECT id, type, number, data FROM records WHERE id > ?1 AND "
                        "CAST(data AS TEXT) LIKE ?2 ORDER BY id LIMIT ?3",
                        p, 3, &r);
    if (rc)
        return rc;
    w->seen = ol_rows_count(r);
    w->batch_rows = 0;
    for (int i = 0; i < w->seen && rc == 0; i++) {
        w->after = ol_rows_int(r, i, 0);
        const ol_record_type_t *t = ol_schema_by_name(ol_rows_get(r, i, 1));
        const char *number = ol_rows_get(r, i, 2), *data = ol_rows_get(r, i, 3);
        json_t *d = t && data ? json_loads(data, 0, NULL) : NULL;
        int dirty = 0;
        for (size_t k = 0; d && k < t->nfields; k++) {
            const ol_field_t *f = &t->fields[k];
            char ad[192];
            if (!ol_sens_field(f))
                continue;
            size_t adlen = ol_sens_ad(ad, sizeof ad, number, f->name);
            char *again = visit(w, json_string_value(json_object_get(d, f->name)), ad, adlen);
            if (again) {
                json_object_set_new(d, f->name, json_string(again));
                if (!dirty)
                    rc = ol_sens_note_key(conn, again);
                dirty = 1;
                free(again);
            }
        }
        if (dirty && rc == 0) {
            /* Replaced only when unchanged since read: a concurrent update wins (and sealed
             * under the key it had; the next pass takes it). */
            char *text = ol_json_dump(d);
            ol_val_t u[] = {OL_VTEXT(text), OL_VINT(w->after), OL_VTEXT(data)};
            rc = ol_db_exec(conn, "UPDATE records SET data = ?1 WHERE id = ?2 AND data = ?3", u,
                            3, NULL);
            free(text);
            w->batch_rows++;
        }
        json_decref(d);
    }
    ol_rows_free(r);
    return rc ? rc : audit_batch(conn, w, "records");
}

/* Visits a history value (JSON text of a string); its re-encryption as JSON text, or NULL. */
static char *visit_json(walk_t *w, const char *text, const char *ad, size_t adlen)
{
    json_t *v = text ? json_loads(text, JSON_DECODE_ANY, NULL) : NULL;
    char *again = visit(w, json_string_value(v), ad, adlen), *out = NULL;
    json_decref(v);
    if (again) {
        json_t *s = json_string(again);
        out = ol_json_dump(s);
        json_decref(s);
        free(again);
    }
    return out;
}

static int history_batch(ol_conn_t *conn, void *arg)
{
    walk_t *w = arg;
    ol_rows_t *r;
    ol_val_t p[] = {OL_VINT(w->after), OL_VTEXT("\"" OL_FCRYPT_PREFIX "%"), OL_VINT(w->batch)};
    int rc = ol_db_exec(conn,
                        "SELECT h.id, r.number, h.field, h.old_value, h.new_value, r.type "
                        "FROM record_history h JOIN records r ON r.id = h.record_id "
                        "WHERE h.id > ?1 AND (h.old_value LIKE ?2 OR h.new_value LIKE ?2) "
                        "ORDER BY h.id LIMIT ?3",
                        p, 3, &r);
    if (rc)
        return rc;
    w->seen = ol_rows_count(r);
    w->batch_rows = 0;
    for (int i = 0; i < w->seen && rc == 0; i++) {
        w->after = ol_rows_int(r, i, 0);
        const char *field = ol_rows_get(r, i, 2);
        const char *old_v = ol_rows_get(r, i, 3), *new_v = ol_rows_get(r, i, 4);
        const ol_record_type_t *t = ol_schema_by_name(ol_rows_get(r, i, 5));
        char ad[192];
        if (!t || !field || !ol_sens_field(ol_schema_field(t, field)))
            continue; /* a value of another field that merely looks sealed */
        size_t adlen = ol_sens_ad(ad, sizeof ad, ol_rows_get(r, i, 1), field);
        char *o = visit_json(w, old_v, ad, adlen), *n = visit_json(w, new_v, ad, adlen);
        if (o || n) {
            /* History rows are never changed by anything else. */
            ol_val_t u[] = {OL_VTEXT(o ? o : old_v), OL_VTEXT(n ? n : new_v), OL_VINT(w->after)};
            rc = ol_db_exec(conn, "UPDATE record_history SET old_value = ?1, new_value = ?2 "
                                  "WHERE id = ?3", u, 3, NULL);
            w->batch_rows++;
        }
        free(o);
        free(n);
    }
    ol_rows_free(r);
    return rc ? rc : audit_batch(conn, w, "record_history");
}

/* Visits a value of a column sealed the old way: counts it, or returns it sealed under the
 * active key (caller frees). */
static char *visit_legacy(walk_t *w, const char *s, const char *ad, size_t adlen)
{
    const ol_sealed_col_t *col = w->col;
    char *plain = NULL;
    if (!w->write) {
        json_t *n = json_object_get(w->counts, col->legacy_prefix);
        json_object_set_new(w->counts, col->legacy_prefix,
                            json_integer(json_integer_value(n) + 1));
        return NULL;
    }
    if (col->legacy_open(w->c->db, s, &plain)) {
        w->st.unreadable++;
        return NULL;
    }
    char *out = ol_fcrypt_seal(plain, ad, adlen);
    ol_sealed_free(plain);
    if (out)
        w->st.values++;
    return out;
}

static int column_batch(ol_conn_t *conn, void *arg)
{
    walk_t *w = arg;
    const ol_sealed_col_t *col = w->col;
    char sql[512], where[128], legacy[32];
    ol_rows_t *r;
    /* Identifiers from the declaration in sealed.c only; values bound. */
    snprintf(sql, sizeof sql, "SELECT %s, %s FROM %s WHERE %s > ?1 AND (%s LIKE ?2 OR %s LIKE ?4) "
             "ORDER BY %s LIMIT ?3", col->key, col->column, col->table, col->key, col->column,
             col->column, col->key);
    snprintf(legacy, sizeof legacy, "%s%%", col->legacy_prefix ? col->legacy_prefix
                                                               : OL_FCRYPT_PREFIX);
    ol_val_t p[] = {OL_VINT(w->after), OL_VTEXT(OL_FCRYPT_PREFIX "%"), OL_VINT(w->batch),
                    OL_VTEXT(legacy)};
    int rc = ol_db_exec(conn, sql, p, 4, &r);
    if (rc)
        return rc;
    w->seen = ol_rows_count(r);
    w->batch_rows = 0;
    snprintf(sql, sizeof sql, "UPDATE %s SET %s = ?1 WHERE %s = ?2 AND %s = ?3", col->table,
             col->column, col->key, col->column);
    for (int i = 0; i < w->seen && rc == 0; i++) {
        w->after = ol_rows_int(r, i, 0);
        const char *s = ol_rows_get(r, i, 1);
        char ad[192];
        size_t adlen = ol_sealed_ad(col, w->after, ad, sizeof ad);
        char *again = ol_fcrypt_is_sealed(s) ? visit(w, s, ad, adlen)
                                             : visit_legacy(w, s, ad, adlen);
        if (again) {
            ol_val_t u[] = {OL_VTEXT(again), OL_VINT(w->after), OL_VTEXT(s)};
            rc = ol_db_exec(conn, sql, u, 3, NULL);
            if (rc == 0)
                rc = ol_sens_note_key(conn, again);
            free(again);
            w->batch_rows++;
        }
    }
    ol_rows_free(r);
    snprintf(where, sizeof where, "%s.%s", col->table, col->column);
    return rc ? rc : audit_batch(conn, w, where);
}

/* Walks one source to its end. */
static int walk_source(walk_t *w, ol_db_fn batch, const char *where, ol_keys_progress_fn fn,
                       void *arg)
{
    w->after = 0;
    do {
        w->seen = 0;
        int rc = w->write ? ol_db_write(w->c->db, batch, w) : ol_db_read(w->c->db, batch, w);
        if (rc)
            return ol_ctx_fail(w->c, rc, "cannot walk the sealed values of %s (%s)", where,
                               ol_strerror(rc));
        w->st.rows += w->write ? w->batch_rows : 0;
        if (fn && w->write)
            fn(where, &w->st, arg);
    } while (w->seen == w->batch);
    return 0;
}

static int walk_all(walk_t *w, ol_keys_progress_fn fn, void *arg)
{
    int rc = walk_source(w, records_batch, "records", fn, arg);
    if (rc == 0)
        rc = walk_source(w, history_batch, "record_history", fn, arg);
    for (const ol_sealed_col_t *col = ol_sealed_cols; rc == 0 && col->table; col++) {
        char where[128];
        snprintf(where, sizeof where, "%s.%s", col->table, col->column);
        w->col = col;
        rc = walk_source(w, column_batch, where, fn, arg);
    }
    return rc;
}

/* ---- status ---------------------------------------------------------------------------------- */

int ol_keys_status(ol_ctx_t *c)
{
    walk_t w = {.c = c, .batch = 500, .counts = json_object()};
    int rc = walk_all(&w, NULL, NULL);
    if (rc) {
        json_decref(w.counts);
        return rc;
    }
    size_t n = 0;
    char **ids = ol_fkeys_ids(&n);
    json_t *file = json_array(), *keys = json_array();
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(file, json_string(ids[i]));
        json_t *v = json_object_get(w.counts, ids[i]);
        json_array_append_new(keys, json_pack("{sssbsI}", "id", ids[i], "in_file", 1, "values",
                                              (json_int_t)json_integer_value(v)));
        json_object_del(w.counts, ids[i]);
    }
    const char *id;
    json_t *v, *legacy = json_object();
    json_object_foreach(w.counts, id, v) {
        if (strchr(id, ':')) /* a legacy prefix: key ids hold no ':' */
            json_object_set(legacy, id, v);
        else
            json_array_append_new(keys, json_pack("{sssbsI}", "id", id, "in_file", 0, "values",
                                                  (json_int_t)json_integer_value(v)));
    }
    json_decref(w.counts);
    c->result = json_pack("{s:s?,s:o,s:o,s:o,s:I}", "active", n ? ids[n - 1] : NULL, "file", file,
                          "keys", keys, "legacy", legacy, "unreadable", (json_int_t)w.unreadable);
    ol_fkeys_free_ids(ids);
    return 0;
}

/* ---- re-encryption --------------------------------------------------------------------------- */

typedef struct {
    const char *active;
    json_t *used; /* key ids values still use */
} retire_t;

static int retire_fn(ol_conn_t *conn, void *arg)
{
    retire_t *j = arg;
    ol_rows_t *r;
    char now[32];
    int rc = ol_db_exec(conn, "SELECT key_id FROM field_keys WHERE retired_at IS NULL", NULL, 0,
                        &r);
    if (rc)
        return rc;
    for (int i = 0; rc == 0 && i < ol_rows_count(r); i++) {
        const char *id = ol_rows_get(r, i, 0);
        if (!strcmp(id, j->active) || json_object_get(j->used, id))
            continue;
        ol_val_t p[] = {OL_VTEXT(id), OL_VTEXT(ol_now_iso(now))};
        rc = ol_db_exec(conn, "UPDATE field_keys SET retired_at = ?2 WHERE key_id = ?1", p, 2,
                        NULL);
    }
    ol_rows_free(r);
    return rc;
}

int ol_keys_reencrypt(ol_ctx_t *c, int batch, ol_keys_progress_fn fn, void *arg,
                      ol_keys_stats_t *st)
{
    walk_t w = {.c = c, .write = 1, .batch = batch > 0 ? batch : 200};
    memset(st, 0, sizeof *st);
    if (ol_fkeys_active(w.active))
        return ol_ctx_fail(c, -OL_EUNAVAILABLE, "no key file is loaded");
    int rc = walk_all(&w, fn, arg);
    if (rc)
        return rc;
    /* A server that had not yet reloaded the key file may have sealed a value under the old key
     * meanwhile: servers look at the file at most once a second, so wait, then sweep again. */
    sleep(2);
    rc = walk_all(&w, fn, arg);
    *st = w.st;
    if (rc)
        return rc;
    /* What is still under another key (unreadable values) keeps its key from retiring. */
    walk_t count = {.c = c, .batch = 500, .counts = json_object()};
    rc = walk_all(&count, NULL, NULL);
    retire_t j = {w.active, count.counts};
    if (rc == 0 && (rc = ol_db_write(c->db, retire_fn, &j)))
        rc = ol_ctx_fail(c, rc, "cannot note the retired keys (%s)", ol_strerror(rc));
    json_decref(count.counts);
    return rc;
}

/* ---- start-up check -------------------------------------------------------------------------- */

typedef struct {
    char *err;
    size_t errlen;
    const char *path;
    int in_use; /* key ids the database still uses */
} check_t;

static int check_fn(ol_conn_t *conn, void *arg)
{
    check_t *k = arg;
    ol_rows_t *r;
    int rc = ol_db_exec(conn, "SELECT key_id, fingerprint FROM field_keys WHERE retired_at IS "
                              "NULL ORDER BY key_id", NULL, 0, &r);
    if (rc)
        return rc;
    k->in_use = ol_rows_count(r);
    for (int i = 0; i < k->in_use && !*k->err; i++) {
        const char *id = ol_rows_get(r, i, 0);
        char print[OL_FKEY_PRINT_HEX];
        if (!ol_fkeys_loaded())
            continue;
        if (ol_fkeys_fingerprint(id, print))
            snprintf(k->err, k->errlen, "the key file %s lacks key '%s', which sealed values in "
                                        "the database use: restore the key file from a backup",
                     k->path, id);
        else if (strcmp(print, ol_rows_get(r, i, 1)))
            snprintf(k->err, k->errlen, "key '%s' in the key file %s is not the key that sealed "
                                        "the database's values: restore the right key file",
                     id, k->path);
    }
    ol_rows_free(r);
    return 0;
}

int ol_keys_setup(ol_db_t *db, const char *key_file, int create, char *err, size_t errlen)
{
    char path[4096];
    *err = 0;
    if (ol_keys_path(db, key_file, path, sizeof path, err, errlen))
        return -1;
    check_t k = {err, errlen, path, 0};
    int missing = access(path, F_OK) != 0 && errno == ENOENT;
    if (missing) {
        /* A new file is made only while no value needs an old one. */
        int rc = ol_db_read(db, check_fn, &k);
        if (rc) {
            snprintf(err, errlen, "cannot read the field keys in use (%s)", ol_strerror(rc));
            return -1;
        }
        if (k.in_use) {
            snprintf(err, errlen, "the key file %s is missing, and sealed values in the "
                                  "database need its keys: restore it from a backup", path);
            return -1;
        }
        if (!create) {
            snprintf(err, errlen, "the key file %s is missing", path);
            return -1;
        }
    }
    if (ol_fkeys_open(path, create, err, errlen))
        return -1;
    int rc = ol_db_read(db, check_fn, &k);
    if (rc) {
        snprintf(err, errlen, "cannot read the field keys in use (%s)", ol_strerror(rc));
        return -1;
    }
    if (*err)
        return -1;
    /* The declared columns are not in field_keys: look at the key ids their values use. */
    ol_ctx_t c;
    ol_ctx_init(&c, db, "system", NULL);
    walk_t w = {.c = &c, .batch = 500, .counts = json_object()};
    for (const ol_sealed_col_t *col = ol_sealed_cols; rc == 0 && col->table; col++) {
        w.col = col;
        rc = walk_source(&w, column_batch, col->table, NULL, NULL);
    }
    const char *id;
    json_t *v;
    json_object_foreach(w.counts, id, v)
        if (!*err && !strchr(id, ':') && !ol_fkeys_has(id))
            snprintf(err, errlen, "the key file %s lacks key '%s', which sealed values in the "
                                  "database use: restore the key file from a backup", path, id);
    json_decref(w.counts);
    if (rc && !*err)
        snprintf(err, errlen, "%s", c.detail);
    ol_ctx_clear(&c);
    return *err ? -1 : 0;
}
