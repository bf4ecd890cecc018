/* records/sla_report.c - reading the SLA timers (I4): a record's timers, the open timers due
 * soon (the "breaching soon" list), and the monthly SLA report with its breaches. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/authz.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/json.h"
#include "records/sla.h"
#include "records/store.h"

#define DUE_MAX_LIMIT 500

typedef struct {
    ol_ctx_t *c;
    const char *sql;
    const ol_val_t *p;
    int n;
    ol_rows_t *rows;
} read_t;

static int read_fn(ol_conn_t *conn, void *arg)
{
    read_t *q = arg;
    int rc = ol_db_exec(conn, q->sql, q->p, q->n, &q->rows);
    return rc ? ol_ctx_db_fail(q->c, conn, rc) : 0;
}

/* Runs one query on a reader; *rows for the caller to free. */
static int query(ol_ctx_t *c, const char *sql, const ol_val_t *p, int n, ol_rows_t **rows)
{
    read_t q = {c, sql, p, n, NULL};
    int rc = ol_db_read(c->db, read_fn, &q);
    *rows = q.rows;
    return rc;
}

static json_t *time_or_null(const ol_rows_t *r, int i, int col)
{
    char buf[32];
    return ol_rows_get(r, i, col) ? json_string(ol_iso_at((time_t)ol_rows_int(r, i, col), buf))
                                  : json_null();
}

/* Remaining business minutes until deadline (negative past it). */
static long long remaining(const ol_calendar_t *cal, time_t now, time_t deadline)
{
    return deadline >= now ? ol_cal_between(cal, now, deadline) / 60
                           : -(ol_cal_between(cal, deadline, now) / 60);
}

int ol_sla_record(ol_ctx_t *c, const ol_record_type_t *t, const char *number)
{
    int rc = ol_rec_get(c, t, number); /* read permission, scope and existence */
    if (rc)
        return rc;
    json_decref(c->result);
    c->result = NULL;
    ol_rows_t *r;
    ol_val_t p[] = {OL_VTEXT(t->name), OL_VTEXT(number)};
    rc = query(c,
               "SELECT kind, status, calendar, target_minutes, started_at, deadline, run_from, "
               "used_seconds, paused_seconds, paused_at, warned_at, breached_at, met_at, category, "
               "priority FROM sla_timers WHERE record_type = ?1 AND number = ?2 ORDER BY kind DESC",
               p, 2, &r);
    if (rc)
        return rc;
    time_t now = ol_time();
    json_t *timers = json_array();
    for (int i = 0; i < ol_rows_count(r); i++) {
        const char *status = ol_rows_get(r, i, 1);
        ol_cal_kind_t kind;
        if (ol_sla_calendar_by_name(ol_rows_get(r, i, 2), &kind))
            kind = OL_CAL_7X24;
        const ol_calendar_t *cal = ol_sla_calendar(kind);
        long long target = ol_rows_int(r, i, 3), used = ol_rows_int(r, i, 7);
        long long paused = ol_rows_int(r, i, 8);
        int running = !strcmp(status, "running"), is_paused = !strcmp(status, "paused");
        if (running)
            used += ol_cal_between(cal, (time_t)ol_rows_int(r, i, 6), now);
        if (is_paused)
            paused += now - ol_rows_int(r, i, 9);
        json_t *rem = running ? json_integer(remaining(cal, now, (time_t)ol_rows_int(r, i, 5)))
                      : is_paused ? json_integer((target * 60 - used) / 60)
                                  : json_null();
        json_t *o = json_pack("{sssssssIsososIsosbsIsosbsbsoso}",
                              "kind", ol_rows_get(r, i, 0), "status", status, "calendar",
                              ol_rows_get(r, i, 2), "target_minutes", (json_int_t)target,
                              "started_at", time_or_null(r, i, 4), "deadline",
                              time_or_null(r, i, 5), "used_minutes", (json_int_t)(used / 60),
                              "remaining_minutes", rem, "paused", is_paused,
                              "paused_minutes", (json_int_t)(paused / 60),
                              "warned_at", time_or_null(r, i, 10),
                              "escalated", ol_rows_get(r, i, 10) != NULL,
                              "breached", ol_rows_get(r, i, 11) != NULL,
                              "breached_at", time_or_null(r, i, 11),
                              "met_at", time_or_null(r, i, 12));
        json_object_set_new(o, "category", json_string(ol_rows_get(r, i, 13)));
        json_object_set_new(o, "priority", json_string(ol_rows_get(r, i, 14)));
        json_array_append_new(timers, o);
    }
    ol_rows_free(r);
    c->result = json_pack("{ssso}", "number", number, "timers", timers);
    c->status = 200;
    return 0;
}

int ol_sla_due(ol_ctx_t *c, const char *type_path, long within_seconds, int limit)
{
    const ol_record_type_t *only = NULL;
    if (type_path && !(only = ol_schema_by_path(type_path)))
        return ol_ctx_fail(c, -OL_ENOTFOUND, "there is no record type '%s'", type_path);
    int readable = 0;
    for (size_t k = 0; k < ol_schema_count(); k++) {
        const ol_record_type_t *t = ol_schema_at(k);
        if ((!only || t == only) && ol_sla_type_has_policy(t->name) &&
            ol_rec_allowed(c, t, "read"))
            readable++;
    }
    if (!readable)
        return ol_ctx_fail(c, -OL_EFORBIDDEN, "you may read no record type with SLA targets");
    time_t now = ol_time();
    ol_rows_t *r;
    /* Read a few more than asked: rows outside the caller's scope are dropped below. */
    ol_val_t p[] = {OL_VINT(now + within_seconds), OL_VINT(limit * 4 + 50)};
    int rc = query(c,
                   "SELECT t.record_type, t.number, t.kind, t.priority, t.category, t.calendar, "
                   "t.target_minutes, t.deadline, t.warned_at, t.breached_at, r.title, r.state, "
                   "r.grp, r.owner, r.created_by FROM sla_timers t JOIN records r ON r.id = "
                   "t.record_id WHERE t.status = 'running' AND t.deadline <= ?1 ORDER BY "
                   "t.deadline LIMIT ?2",
                   p, 2, &r);
    if (rc)
        return rc;
    json_t *items = json_array();
    for (int i = 0; i < ol_rows_count(r) && (int)json_array_size(items) < limit; i++) {
        const ol_record_type_t *t = ol_schema_by_name(ol_rows_get(r, i, 0));
        if (!t || (only && t != only) || !ol_rec_allowed(c, t, "read") ||
            !ol_ctx_in_scope(c, ol_rows_get(r, i, 12), ol_rows_get(r, i, 13),
                             ol_rows_get(r, i, 14)))
            continue;
        ol_cal_kind_t kind;
        if (ol_sla_calendar_by_name(ol_rows_get(r, i, 5), &kind))
            kind = OL_CAL_7X24;
        time_t deadline = (time_t)ol_rows_int(r, i, 7);
        json_t *o = json_pack("{sssssssssssssIsosIsbsbssss}", "type", t->path, "number",
                              ol_rows_get(r, i, 1), "kind", ol_rows_get(r, i, 2), "priority",
                              ol_rows_get(r, i, 3), "category", ol_rows_get(r, i, 4), "calendar",
                              ol_rows_get(r, i, 5), "target_minutes",
                              (json_int_t)ol_rows_int(r, i, 6), "deadline",
                              time_or_null(r, i, 7), "remaining_minutes",
                              (json_int_t)remaining(ol_sla_calendar(kind), now, deadline),
                              "escalated", ol_rows_get(r, i, 8) != NULL, "breached",
                              ol_rows_get(r, i, 9) != NULL, "title", ol_rows_get(r, i, 10),
                              "state", ol_rows_get(r, i, 11));
        json_object_set_new(o, "group", ol_rows_get(r, i, 12) ? json_string(ol_rows_get(r, i, 12))
                                                              : json_null());
        json_object_set_new(o, "owner", ol_rows_get(r, i, 13) ? json_string(ol_rows_get(r, i, 13))
                                                              : json_null());
        json_array_append_new(items, o);
    }
    ol_rows_free(r);
    c->result = json_pack("{so}", "items", items);
    c->status = 200;
    return 0;
}

/* ---- the report ---------------------------------------------------------------------------- */

/* The summary row for (type, kind, priority), made on first use. */
static json_t *summary_row(json_t *rows, const char *type, const char *kind, const char *priority)
{
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row) {
        if (!strcmp(json_string_value(json_object_get(row, "type")), type) &&
            !strcmp(json_string_value(json_object_get(row, "kind")), kind) &&
            !strcmp(json_string_value(json_object_get(row, "priority")), priority))
            return row;
    }
    row = json_pack("{sssssssisi}", "type", type, "kind", kind, "priority", priority, "met", 0,
                    "breached", 0);
    json_array_append_new(rows, row);
    return row;
}

static void add_count(json_t *row, const char *key, long long n)
{
    json_object_set_new(row, key, json_integer(json_integer_value(json_object_get(row, key)) + n));
}

static void set_attainment(json_t *row)
{
    long long met = json_integer_value(json_object_get(row, "met"));
    long long breached = json_integer_value(json_object_get(row, "breached"));
    json_object_set_new(row, "total", json_integer(met + breached));
    json_object_set_new(row, "attainment_percent",
                        met + breached ? json_real((double)(met * 1000 / (met + breached)) / 10.0)
                                       : json_null());
}

/* The type named name when the report covers it (types: the names it covers), else NULL. */
static const ol_record_type_t *reported_type(const json_t *types, const char *name)
{
    size_t k;
    const json_t *v;
    json_array_foreach(types, k, v) if (!strcmp(json_string_value(v), name))
        return ol_schema_by_name(name);
    return NULL;
}

int ol_sla_report(ol_ctx_t *c, time_t from, time_t to, const char *type_path, const char *group)
{
    const ol_record_type_t *only = NULL;
    if (type_path && !(only = ol_schema_by_path(type_path)))
        return ol_ctx_fail(c, -OL_ENOTFOUND, "there is no record type '%s'", type_path);
    json_t *types = json_array();
    for (size_t k = 0; k < ol_schema_count(); k++) {
        const ol_record_type_t *t = ol_schema_at(k);
        if ((!only || t == only) && ol_sla_type_has_policy(t->name) &&
            ol_rec_allowed(c, t, "export"))
            json_array_append_new(types, json_string(t->name));
    }
    if (!json_array_size(types)) {
        json_decref(types);
        return ol_ctx_fail(c, -OL_EFORBIDDEN, "the SLA report needs export rights on %s",
                           only ? only->label_en : "a record type with SLA targets");
    }
    ol_val_t p[] = {OL_VINT(from), OL_VINT(to), OL_VTEXT(group)};
    ol_rows_t *met, *br;
    int rc = query(c,
                   "SELECT record_type, kind, priority, COUNT(*) FROM sla_timers WHERE met_at >= ?1 "
                   "AND met_at < ?2 AND breached_at IS NULL AND (CAST(?3 AS TEXT) IS NULL OR "
                   "grp = ?3) GROUP BY record_type, kind, priority",
                   p, 3, &met);
    if (rc) {
        json_decref(types);
        return rc;
    }
    rc = query(c,
               "SELECT record_type, kind, priority, number, category, grp, target_minutes, due_at "
               "FROM sla_breaches WHERE due_at >= ?1 AND due_at < ?2 AND (CAST(?3 AS TEXT) IS NULL "
               "OR grp = ?3) ORDER BY due_at, id",
               p, 3, &br);
    if (rc) {
        ol_rows_free(met);
        json_decref(types);
        return rc;
    }
    json_t *rows = json_array(), *breaches = json_array();
    long long total_met = 0, total_breached = 0;
    for (int i = 0; i < ol_rows_count(met); i++) {
        const ol_record_type_t *t = reported_type(types, ol_rows_get(met, i, 0));
        if (!t)
            continue;
        json_t *row = summary_row(rows, t->path, ol_rows_get(met, i, 1), ol_rows_get(met, i, 2));
        add_count(row, "met", ol_rows_int(met, i, 3));
        total_met += ol_rows_int(met, i, 3);
    }
    for (int i = 0; i < ol_rows_count(br); i++) {
        const ol_record_type_t *t = reported_type(types, ol_rows_get(br, i, 0));
        if (!t)
            continue;
        json_t *row = summary_row(rows, t->path, ol_rows_get(br, i, 1), ol_rows_get(br, i, 2));
        add_count(row, "breached", 1);
        total_breached++;
        json_t *b = json_pack("{sssssssssssIso}", "type", t->path, "number",
                              ol_rows_get(br, i, 3), "kind", ol_rows_get(br, i, 1), "priority",
                              ol_rows_get(br, i, 2), "category", ol_rows_get(br, i, 4),
                              "target_minutes", (json_int_t)ol_rows_int(br, i, 6), "due_at",
                              time_or_null(br, i, 7));
        json_object_set_new(b, "group", ol_rows_get(br, i, 5) ? json_string(ol_rows_get(br, i, 5))
                                                              : json_null());
        json_array_append_new(breaches, b);
    }
    ol_rows_free(met);
    ol_rows_free(br);
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row) set_attainment(row);
    json_t *total = json_pack("{sIsI}", "met", (json_int_t)total_met, "breached",
                              (json_int_t)total_breached);
    set_attainment(total);
    char f[32], t[32];
    c->result = json_pack("{sssssososososo}", "from", ol_iso_at(from, f), "to", ol_iso_at(to, t),
                          "group", group ? json_string(group) : json_null(), "types", types,
                          "total", total, "by_priority", rows, "breaches", breaches);
    c->status = 200;
    return 0;
}

char *ol_sla_report_csv(const json_t *report)
{
    static const char *const cols[] = {"section", "type", "kind", "priority", "total", "met",
                                       "breached", "attainment_percent", "number", "category",
                                       "group", "target_minutes", "due_at", NULL};
    static const char *const sections[] = {"by_priority", "breaches"};
    ol_buf_t b;
    ol_buf_init(&b);
    ol_buf_puts(&b, "\xEF\xBB\xBF"); /* a UTF-8 mark, for spreadsheets */
    for (int k = 0; cols[k]; k++) {
        ol_buf_puts(&b, k ? "," : "");
        ol_buf_puts(&b, cols[k]);
    }
    ol_buf_puts(&b, "\r\n");
    for (int s = 0; s < 2; s++) {
        size_t i;
        const json_t *row;
        json_array_foreach(json_object_get(report, sections[s]), i, row) {
            ol_buf_puts(&b, s ? "breach" : "summary");
            for (int k = 1; cols[k]; k++) {
                ol_buf_puts(&b, ",");
                ol_csv_cell(&b, json_object_get(row, cols[k]));
            }
            ol_buf_puts(&b, "\r\n");
        }
    }
    return ol_buf_steal(&b);
}

/* "2026-11-01" or an ISO time into a UTC time; dates are midnight in the calendar's zone. */
static int parse_when(const char *s, time_t *out)
{
    int y, m, d, n = 0;
    if (sscanf(s, "%4d-%2d-%2d%n", &y, &m, &d, &n) == 3 && n == 10 && !s[10]) {
        char iso[32];
        snprintf(iso, sizeof iso, "%s", s);
        strcat(iso, "T00:00:00Z");
        if (ol_iso_parse(iso, out))
            return -1;
        *out -= ol_sla_calendar(OL_CAL_7X24)->offset;
        return 0;
    }
    return ol_iso_parse(s, out);
}

int ol_sla_period(ol_ctx_t *c, const char *month, const char *from, const char *to,
                  time_t *t0, time_t *t1)
{
    int y, m, n = 0;
    if (month && (from || to)) {
        ol_schema_add_error(c->errors, "month", "bad_filter", c->lang,
                            "cannot be combined with from and to");
        return -OL_EINVAL;
    }
    if (!month && !from && !to) {
        time_t now = ol_time() + ol_sla_calendar(OL_CAL_7X24)->offset;
        struct tm tm;
        gmtime_r(&now, &tm);
        y = tm.tm_year + 1900;
        m = tm.tm_mon + 1;
    } else if (month && (sscanf(month, "%4d-%2d%n", &y, &m, &n) != 2 || n != 7 || month[7] ||
                         m < 1 || m > 12 || y < 1970)) {
        ol_schema_add_error(c->errors, "month", "bad_filter", c->lang, "is not a month YYYY-MM");
        return -OL_EINVAL;
    }
    if (month || (!from && !to)) {
        char a[40], b[40];
        snprintf(a, sizeof a, "%04d-%02d-01", y, m);
        snprintf(b, sizeof b, "%04d-%02d-01", m == 12 ? y + 1 : y, m == 12 ? 1 : m + 1);
        parse_when(a, t0);
        parse_when(b, t1);
        return 0;
    }
    if (!from || parse_when(from, t0))
        ol_schema_add_error(c->errors, "from", from ? "bad_filter" : "required", c->lang,
                            from ? "is not a date YYYY-MM-DD or an ISO time" : NULL);
    if (!to || parse_when(to, t1))
        ol_schema_add_error(c->errors, "to", to ? "bad_filter" : "required", c->lang,
                            to ? "is not a date YYYY-MM-DD or an ISO time" : NULL);
    if (!json_array_size(c->errors) && *t1 <= *t0)
        ol_schema_add_error(c->errors, "to", "bad_filter", c->lang, "is not after from");
    return json_array_size(c->errors) ? -OL_EINVAL : 0;
}
