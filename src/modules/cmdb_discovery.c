/* modules/cmdb_discovery.c - the discovery API and bulk import of configuration items
 * (REQUIREMENTS K5; 004 §7.1.4.2.2 "如有自动采集等技术手段,可通过技术手段进行数据初始化",
 * 002 §2.2.2 data synchronisation with monitoring and deployment tools).
 *
 * An item is upserted by its ci_id: created when no CI has it, else only the fields that differ
 * are changed, through the record engine's own create and update (validation, history, audit,
 * search index), all in one transaction. Every item is validated first; by default one invalid
 * item refuses the whole batch and nothing is written. CSV is parsed here (RFC 4180). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/err.h"
#include "core/json.h"
#include "core/mem.h"
#include "modules/cmdb.h"
#include "records/audit.h"
#include "records/store.h"

/* ---- CSV ------------------------------------------------------------------------------------ */

/* Parses RFC 4180 text (quotes doubled inside quoted cells, CRLF or LF line ends, a UTF-8
 * byte-order mark ignored) into an array of rows, each an array of strings; blank lines are
 * skipped and each row gets its line number in lines. Returns NULL with the reason and the line
 * in err. */
static json_t *csv_parse(const char *p, size_t n, json_t *lines, char *err, size_t errlen)
{
    json_t *rows = json_array(), *row = NULL;
    ol_buf_t cell;
    ol_buf_init(&cell);
    size_t i = n >= 3 && !memcmp(p, "\xEF\xBB\xBF", 3) ? 3 : 0;
    long line = 1, row_line = 1;
    int quoted = 0, was_quoted = 0, any = 0;
    for (;; i++) {
        int end = i >= n;
        char ch = end ? '\n' : p[i];
        if (quoted) {
            if (end) {
                snprintf(err, errlen, "line %ld: a quoted cell is not closed", row_line);
                goto fail;
            }
            if (ch == '"' && i + 1 < n && p[i + 1] == '"') {
                ol_buf_puts(&cell, "\"");
                i++;
            } else if (ch == '"') {
                quoted = 0;
            } else {
                if (ch == '\n')
                    line++;
                ol_buf_printf(&cell, "%c", ch);
            }
            continue;
        }
        if (ch == '"') {
            if (cell.len || was_quoted) {
                snprintf(err, errlen, "line %ld: a quote inside an unquoted cell", line);
                goto fail;
            }
            quoted = was_quoted = any = 1;
        } else if (ch == ',' || ch == '\n') {
            if (!row)
                row = json_array();
            json_t *s = json_stringn(cell.p ? cell.p : "", cell.len);
            if (!s) {
                snprintf(err, errlen, "line %ld: a cell is not UTF-8 text", line);
                goto fail;
            }
            json_array_append_new(row, s);
            cell.len = 0;
            was_quoted = 0;
            if (ch == '\n') {
                if (any)
                    json_array_append_new(rows, row), json_array_append_new(lines,
                                                                            json_integer(row_line));
                else
                    json_decref(row);
                row = NULL;
                any = 0;
                row_line = ++line;
                if (end)
                    break;
            } else {
                any = 1;
            }
        } else if (ch == '\r' && (i + 1 >= n || p[i + 1] == '\n')) {
            continue;
        } else {
            if (was_quoted) {
                snprintf(err, errlen, "line %ld: text after a quoted cell", line);
                goto fail;
            }
            ol_buf_printf(&cell, "%c", ch);
            any = 1;
        }
    }
    ol_buf_clear(&cell);
    return rows;
fail:
    ol_buf_clear(&cell);
    json_decref(row);
    json_decref(rows);
    return NULL;
}

/* A CSV cell as the JSON value field f takes: integers, booleans, tags separated by ';'. */
static json_t *cell_value(const ol_field_t *f, const char *s)
{
    if (f && f->type == OL_F_INT) {
        char *end;
        long long v = strtoll(s, &end, 10);
        return *end || end == s ? json_string(s) : json_integer(v);
    }
    if (f && f->type == OL_F_BOOL && (!strcmp(s, "true") || !strcmp(s, "false")))
        return json_boolean(!strcmp(s, "true"));
    if (f && f->type == OL_F_TAGS) {
        json_t *a = json_array();
        for (const char *p = s; *p;) {
            const char *e = strchr(p, ';');
            size_t len = e ? (size_t)(e - p) : strlen(p);
            while (len && *p == ' ')
                p++, len--;
            while (len && p[len - 1] == ' ')
                len--;
            if (len)
                json_array_append_new(a, json_stringn(p, len));
            p += (e ? (size_t)(e - p) + 1 : strlen(p));
        }
        return a;
    }
    return json_string(s);
}

/* The items of a CSV import: a header row of field names, then one CI per row (empty cells
 * are absent fields). Returns 0, or -OL_EINVAL with errors (row 1 is the header). */
static int csv_items(ol_ctx_t *c, const char *text, json_t **items, json_t **rows_out)
{
    char why[160];
    json_t *lines = json_array();
    json_t *rows = csv_parse(text, strlen(text), lines, why, sizeof why);
    if (!rows) {
        json_decref(lines);
        ol_schema_add_error(c->errors, "data", "csv", c->lang, why);
        return ol_ctx_fail(c, -OL_EINVAL, "the CSV data cannot be read: %s", why);
    }
    json_t *header = json_array_get(rows, 0);
    size_t i;
    json_t *h;
    json_array_foreach(header, i, h) {
        if (!ol_schema_field(&ol_ci_type, json_string_value(h))) {
            json_t *e = json_pack("{sssssssI}", "field", json_string_value(h), "code", "unknown",
                                  "message", "is not a field of configuration items", "row",
                                  (json_int_t)1);
            json_array_append_new(c->errors, e);
        }
    }
    if (!header || json_array_size(c->errors)) {
        if (!header)
            ol_schema_add_error(c->errors, "data", "required", c->lang, NULL);
        json_decref(rows);
        json_decref(lines);
        return ol_ctx_fail(c, -OL_EINVAL, "the CSV header must name fields of configuration "
                                          "items");
    }
    *items = json_array();
    *rows_out = json_array();
    for (size_t r = 1; r < json_array_size(rows); r++) {
        json_t *row = json_array_get(rows, r), *item = json_object();
        for (size_t k = 0; k < json_array_size(row); k++) {
            const char *v = json_string_value(json_array_get(row, k));
            const char *name = json_string_value(json_array_get(header, k));
            if (!name) { /* more cells than the header names: reported by validation */
                json_object_set_new(item, "(extra cell)", json_string(v));
                continue;
            }
            if (*v)
                json_object_set_new(item, name, cell_value(ol_schema_field(&ol_ci_type, name), v));
        }
        json_array_append_new(*items, item);
        json_array_append(*rows_out, json_array_get(lines, r));
    }
    json_decref(rows);
    json_decref(lines);
    return 0;
}

/* ---- the upsert ----------------------------------------------------------------------------- */

typedef struct {
    ol_ctx_t *c;
    json_t *items;
    json_t *rows;     /* the row number reported for each item */
    int partial, import;
    char *single;     /* PUT /cis/by-id/{ci_id}: the answer is the one item with its record */
} disc_job_t;

static void free_disc(void *arg)
{
    disc_job_t *j = arg;
    json_decref(j->items);
    json_decref(j->rows);
    free(j->single);
    free(j);
}

static int ci_id_valid(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n < 1 || n > 128)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
              (s[i] >= '0' && s[i] <= '9') || strchr("._:+-", s[i])))
            return 0;
    return 1;
}

static const char *const by_ci_id_sql[] = {
    "SELECT " OL_REC_COLUMNS " FROM records WHERE type = 'ci' AND "
    "json_extract(data, '$.ci_id') = ?1",
    "SELECT " OL_REC_COLUMNS " FROM records WHERE type = 'ci' AND (data->>'ci_id') = ?1",
};

/* The CI with ci_id into *rec (plain form, caller frees), or *rec = NULL when there is none. */
static int find_by_ci_id(ol_ctx_t *c, ol_conn_t *conn, const char *ci_id, json_t **rec)
{
    ol_rows_t *r;
    ol_val_t p[] = {OL_VTEXT(ci_id)};
    int rc = ol_db_exec(conn, by_ci_id_sql[ol_conn_kind(conn) == OL_DB_PG], p, 1, &r);
    if (rc)
        return ol_ctx_db_fail(c, conn, rc);
    *rec = ol_rows_count(r) ? ol_rec_from_row_plain(&ol_ci_type, r, 0) : NULL;
    ol_rows_free(r);
    return 0;
}

/* Runs a prepared engine write inside this transaction; its answer replaces *out. */
static int run_inside(ol_conn_t *conn, ol_ctx_t *c, int rc, ol_write_t *w, json_t **out)
{
    if (rc == 0) {
        rc = w->fn(conn, w->arg);
        w->free_arg(w->arg);
    }
    *out = c->result;
    c->result = NULL;
    return rc;
}

/* Adds the item's errors to the context, each with its row. */
static void report_errors(ol_ctx_t *c, json_t *errs, json_t *row)
{
    size_t i;
    json_t *e;
    json_array_foreach(errs, i, e) {
        json_object_set(e, "row", row);
        json_array_append(c->errors, e);
    }
}

/* Gives the context's errors that have no row yet (the engine's own) the row of the item. */
static void tag_errors(ol_ctx_t *c, json_t *row)
{
    size_t i;
    json_t *e;
    json_array_foreach(c->errors, i, e) if (!json_object_get(e, "row"))
        json_object_set(e, "row", row);
}

static int disc_job(ol_conn_t *conn, void *arg)
{
    disc_job_t *j = arg;
    ol_ctx_t *c = j->c;
    size_t n = json_array_size(j->items);
    json_t **cur = ol_xcalloc(n ? n : 1, sizeof(*cur));
    json_t *report = json_array(), *seen = json_object(), *record = NULL;
    int rc = 0, invalid = 0, counts[3] = {0, 0, 0}; /* created, changed, unchanged */

    /* Pass 1: look up and validate every item. */
    for (size_t i = 0; i < n && rc == 0; i++) {
        json_t *item = json_array_get(j->items, i), *row = json_array_get(j->rows, i);
        json_t *errs = json_array();
        const char *ci_id = json_string_value(json_object_get(item, "ci_id"));
        json_t *entry = json_pack("{sOss?}", "row", row, "ci_id", ci_id);
        if (!json_is_object(item)) {
            ol_schema_add_error(errs, "item", "not_object", c->lang, NULL);
        } else if (!ci_id_valid(ci_id)) {
            ol_schema_add_error(errs, "ci_id", ci_id ? "ci_id" : "required", c->lang, NULL);
        } else if (json_object_get(seen, ci_id)) {
            char first[32];
            snprintf(first, sizeof first, "%lld",
                     (long long)json_integer_value(json_object_get(seen, ci_id)));
            ol_schema_add_error(errs, "ci_id", "duplicate_in_batch", c->lang, first);
        } else {
            json_object_set(seen, ci_id, row);
            rc = find_by_ci_id(c, conn, ci_id, &cur[i]);
            if (rc == 0)
                ol_schema_validate(&ol_ci_type, item, !cur[i], c->lang, errs);
        }
        if (json_array_size(errs)) {
            invalid++;
            json_object_set_new(entry, "status", json_string("invalid"));
            json_object_set(entry, "errors", errs);
            report_errors(c, errs, row);
        }
        json_decref(errs);
        json_array_append_new(report, entry);
    }
    if (rc == 0 && invalid && !j->partial)
        rc = ol_ctx_fail(c, -OL_EINVAL, "%d of %zu items are invalid: nothing was written "
                                        "(see errors; mode partial writes the valid ones)",
                         invalid, n);

    /* Pass 2: create or change the valid ones through the engine. */
    for (size_t i = 0; i < n && rc == 0; i++) {
        json_t *entry = json_array_get(report, i), *item = json_array_get(j->items, i);
        if (json_object_get(entry, "status"))
            continue; /* invalid, partial mode */
        ol_write_t w;
        json_t *out = NULL, *fields = json_array(), *diff = json_object();
        const char *key;
        json_t *v;
        json_object_foreach(item, key, v) {
            json_t *old = cur[i] ? json_object_get(cur[i], key) : NULL;
            if (!cur[i] || !old || !json_equal(old, v)) {
                json_object_set(diff, key, v);
                json_array_append_new(fields, json_string(key));
            }
        }
        const char *status = !cur[i] ? "created" : json_object_size(diff) ? "changed"
                                                                          : "unchanged";
        if (!cur[i])
            rc = run_inside(conn, c, ol_rec_create_prepare(c, &ol_ci_type, item, &w), &w, &out);
        else if (json_object_size(diff))
            rc = run_inside(conn, c,
                            ol_rec_update_prepare(
                                c, &ol_ci_type,
                                json_string_value(json_object_get(cur[i], "number")),
                                json_integer_value(json_object_get(cur[i], "version")), diff, &w),
                            &w, &out);
        else
            out = json_incref(cur[i]);
        json_decref(diff);
        if (rc) {
            json_decref(fields);
            json_decref(out);
            tag_errors(c, json_object_get(entry, "row"));
            break;
        }
        counts[!cur[i] ? 0 : json_array_size(fields) ? 1 : 2]++;
        json_object_set_new(entry, "status", json_string(status));
        json_object_set(entry, "number", json_object_get(out, "number"));
        json_object_set_new(entry, "fields", fields);
        if (j->single)
            record = json_incref(out);
        json_decref(out);
    }
    if (rc == 0) {
        char detail[160];
        snprintf(detail, sizeof detail,
                 "{\"items\":%zu,\"created\":%d,\"changed\":%d,\"unchanged\":%d,\"invalid\":%d}",
                 n, counts[0], counts[1], counts[2], invalid);
        rc = ol_audit_write(conn, c, j->import ? "ci.import" : "ci.discovery", "cis", "ok",
                            detail);
        if (rc)
            rc = ol_ctx_db_fail(c, conn, rc);
    }
    if (rc == 0 && j->single) {
        json_t *entry = json_array_get(report, 0);
        json_object_set_new(entry, "record", record ? record : json_null());
        record = NULL;
        c->status = !strcmp(json_string_value(json_object_get(entry, "status")), "created")
                        ? 201 : 200;
        c->result = json_incref(entry);
    } else if (rc == 0) {
        c->status = 200;
        c->result = json_pack("{sssisisisisiso}", "mode", j->partial ? "partial"
                                                                       : "all_or_nothing",
                              "items", (int)n, "created", counts[0], "changed", counts[1],
                              "unchanged", counts[2], "invalid", invalid, "report", report);
        report = NULL;
    }
    for (size_t i = 0; i < n; i++)
        json_decref(cur[i]);
    free(cur);
    json_decref(record);
    json_decref(report);
    json_decref(seen);
    return rc;
}

/* Discovery and import create and change CIs: they need both rights. */
static int refused(ol_ctx_t *c)
{
    if (ol_rec_allowed(c, &ol_ci_type, "create") && ol_rec_allowed(c, &ol_ci_type, "update"))
        return 0;
    return ol_ctx_fail(c, -OL_EFORBIDDEN, "discovery and import need create and update rights "
                                          "on configuration items");
}

static int start(ol_ctx_t *c, json_t *items, json_t *rows, int partial, int import,
                 const char *single, ol_write_t *w)
{
    disc_job_t *j = ol_xcalloc(1, sizeof(*j));
    *j = (disc_job_t){c, items, rows, partial, import, single ? ol_xstrdup(single) : NULL};
    *w = (ol_write_t){disc_job, j, free_disc};
    return 0;
}

int ol_cmdb_upsert_prepare(ol_ctx_t *c, const char *ci_id, const json_t *input, ol_write_t *w)
{
    if (refused(c))
        return -OL_EFORBIDDEN;
    if (!json_is_object(input))
        return ol_ctx_fail(c, -OL_EINVAL, "the body must be a JSON object");
    const char *given = json_string_value(json_object_get(input, "ci_id"));
    if (!ci_id_valid(ci_id))
        ol_schema_add_error(c->errors, "ci_id", "ci_id", c->lang, NULL);
    else if (json_object_get(input, "ci_id") && (!given || strcmp(given, ci_id)))
        ol_schema_add_error(c->errors, "ci_id", "bad_filter", c->lang,
                            "must be the ci_id of the URL, or absent");
    if (json_array_size(c->errors))
        return ol_ctx_fail(c, -OL_EINVAL, "the ci_id is invalid");
    json_t *item = json_deep_copy(input);
    json_object_set_new(item, "ci_id", json_string(ci_id));
    json_t *items = json_array(), *rows = json_array();
    json_array_append_new(items, item);
    json_array_append_new(rows, json_integer(1));
    return start(c, items, rows, 0, 0, ci_id, w);
}

int ol_cmdb_discovery_prepare(ol_ctx_t *c, const json_t *input, int import, ol_write_t *w)
{
    static const char *const disc_keys[] = {"items", "mode", NULL};
    static const char *const import_keys[] = {"format", "data", "items", "mode", NULL};
    if (refused(c))
        return -OL_EFORBIDDEN;
    if (ol_input_check_keys(input, import ? import_keys : disc_keys, c->lang, c->errors) &&
        !json_is_object(input))
        return ol_ctx_fail(c, -OL_EINVAL, "the body must be a JSON object");
    const char *mode = json_string_value(json_object_get(input, "mode"));
    const char *format = json_string_value(json_object_get(input, "format"));
    const json_t *items = json_object_get(input, "items");
    const json_t *data = json_object_get(input, "data");
    int csv = import && format && !strcmp(format, "csv");
    if (json_object_get(input, "mode") &&
        (!mode || (strcmp(mode, "all_or_nothing") && strcmp(mode, "partial"))))
        ol_schema_add_error(c->errors, "mode", "import_mode", c->lang, NULL);
    if (import && (!format || (!csv && strcmp(format, "json"))))
        ol_schema_add_error(c->errors, "format", "import_format", c->lang, NULL);
    if (csv && !json_is_string(data))
        ol_schema_add_error(c->errors, "data", "type_string", c->lang, NULL);
    if (!csv && (!import || (format && !strcmp(format, "json"))) && !json_is_array(items))
        ol_schema_add_error(c->errors, "items", "required", c->lang, NULL);
    if (json_array_size(c->errors))
        return ol_ctx_fail(c, -OL_EINVAL, "the batch is invalid");
    json_t *list = NULL, *rows = NULL;
    if (csv) {
        int rc = csv_items(c, json_string_value(data), &list, &rows);
        if (rc)
            return rc;
    } else {
        list = json_deep_copy(items);
        rows = json_array();
        for (size_t i = 0; i < json_array_size(list); i++)
            json_array_append_new(rows, json_integer((json_int_t)i + 1));
    }
    long max = ol_config_int(ol_config()->cmdb_batch_max_items);
    if ((long)json_array_size(list) > max || json_array_size(list) == 0) {
        char num[24];
        snprintf(num, sizeof num, "%ld", max);
        ol_schema_add_error(c->errors, csv ? "data" : "items",
                            json_array_size(list) ? "too_many" : "required", c->lang, num);
        json_decref(list);
        json_decref(rows);
        return ol_ctx_fail(c, -OL_EINVAL, "a batch holds 1 to %ld items (cmdb_batch_max_items)",
                           max);
    }
    return start(c, list, rows, mode && !strcmp(mode, "partial"), import, NULL, w);
}
