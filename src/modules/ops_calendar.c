/* modules/ops_calendar.c - the operations calendar (REQUIREMENTS P5; 004 §7.2.5): one view of
 * every schedulable record type - releases, operations events (maintenance, drills), and the
 * changes and freeze windows of the change module when it is registered (looked up by name at
 * run time) - read through the engine's list queries, so permissions and data scope apply;
 * conflict queries (entries overlapping on the same CI, anything inside a freeze window); and
 * the calendar as RFC 5545 iCalendar text. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/config.h"
#include "core/err.h"
#include "core/mem.h"
#include "core/json.h"
#include "modules/release.h"
#include "records/query.h"
#include "records/store.h"

/* The schedulable types and the fields that hold their time span. */
static const struct {
    const char *type, *start, *end;
    int freeze;
} kinds[] = {
    {"release", "planned_start", "planned_end", 0},
    {"ops_event", "start", "end", 0},
    {"change", "planned_start", "planned_end", 0},
    {"freeze", "start", "end", 1},
};

/* States that take an entry off the calendar's conflicts (it will not happen). */
static const char *const void_states[] = {"cancelled", "rejected", "withdrawn", NULL};

static int in_list(const char *csv, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = csv; p && *p;) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == n && !strncmp(p, word, n))
            return 1;
        p = e ? e + 1 : NULL;
    }
    return 0;
}

static int has_tag(const json_t *tags, const char *tag)
{
    size_t i;
    json_t *v;
    json_array_foreach(tags, i, v)
        if (json_string_value(v) && !strcmp(json_string_value(v), tag))
            return 1;
    return 0;
}

static int filterable(const ol_record_type_t *t, const char *name)
{
    const ol_field_t *f = ol_schema_field(t, name);
    return f && (f->flags & OL_FIELD_FILTERABLE);
}

/* Appends the entries of one type overlapping [from, to) to items; *left counts down the
 * entries still allowed. */
static int list_type(ol_ctx_t *c, int k, const char *from, const char *to, const char *ci,
                     const char *team, json_t *items, long *left)
{
    const ol_record_type_t *t = ol_schema_by_name(kinds[k].type);
    if (!t || !ol_schema_field(t, kinds[k].start) || !ol_schema_field(t, kinds[k].end) ||
        !ol_rec_allowed(c, t, "read"))
        return 0;
    char skey[80], ekey[80];
    snprintf(skey, sizeof skey, "%s[lt]", kinds[k].start);
    snprintf(ekey, sizeof ekey, "%s[gt]", kinds[k].end);
    char *cursor = NULL;
    int rc = 0;
    do {
        ol_query_t q;
        ol_query_init(&q);
        rc = ol_query_add(c, t, &q, "limit", "200");
        if (rc == 0 && filterable(t, kinds[k].start))
            rc = ol_query_add(c, t, &q, skey, to);
        if (rc == 0 && filterable(t, kinds[k].end))
            rc = ol_query_add(c, t, &q, ekey, from);
        if (rc == 0 && team && *team)
            rc = ol_query_add(c, t, &q, "group", team);
        if (rc == 0 && cursor)
            rc = ol_query_add(c, t, &q, "cursor", cursor);
        if (rc == 0)
            rc = ol_rec_list(c, t, &q);
        ol_query_clear(&q);
        free(cursor);
        cursor = NULL;
        if (rc)
            break;
        json_t *res = c->result;
        c->result = NULL;
        size_t i;
        json_t *rec;
        json_array_foreach(json_object_get(res, "items"), i, rec) {
            const char *s = ol_json_str(rec, kinds[k].start), *e = ol_json_str(rec, kinds[k].end);
            if (!s)
                continue;
            if (!e)
                e = s;
            /* ISO 8601 UTC times compare as text. */
            if (strcmp(s, to) >= 0 || (strcmp(e, from) <= 0 && strcmp(s, from) < 0))
                continue;
            const json_t *cis = json_object_get(rec, "cis");
            if (ci && *ci && !has_tag(cis, ci) && !kinds[k].freeze)
                continue;
            if ((*left)-- <= 0) {
                json_decref(res);
                ol_schema_add_error(c->errors, "to", "too_many_entries", c->lang,
                                    ol_config()->calendar_max_entries);
                return ol_ctx_fail(c, -OL_EINVAL, "more than %s calendar entries: narrow the "
                                                  "period or the types",
                                   ol_config()->calendar_max_entries);
            }
            const char *kind = ol_json_str(rec, "kind");
            json_array_append_new(
                items,
                json_pack("{sssssssO?sssssssOsO?sO?sbss}", "type", t->name, "path", t->path,
                          "number", ol_json_str(rec, "number"), "title",
                          json_object_get(rec, "title"), "state", ol_json_str(rec, "state"),
                          "start", s, "end", e, "cis", cis ? cis : json_null(), "group",
                          json_object_get(rec, "group"), "owner", json_object_get(rec, "owner"),
                          "freeze", kinds[k].freeze, "kind", kind ? kind : t->name));
            json_t *last = json_array_get(items, json_array_size(items) - 1);
            if (!cis)
                json_object_set_new(last, "cis", json_array());
            json_object_set(last, "updated_at", json_object_get(rec, "updated_at"));
            json_object_set(last, "description", json_object_get(rec, "description"));
        }
        const char *next = ol_json_str(res, "next_cursor");
        cursor = next ? ol_xstrdup(next) : NULL;
        json_decref(res);
    } while (cursor);
    return rc;
}

static int by_start(const void *a, const void *b)
{
    const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
    int d = strcmp(ol_json_str(x, "start"), ol_json_str(y, "start"));
    return d ? d : strcmp(ol_json_str(x, "number"), ol_json_str(y, "number"));
}

int ol_calendar_list(ol_ctx_t *c, time_t from, time_t to, const char *types, const char *ci,
                     const char *team)
{
    char f[32], t[32];
    ol_iso_at(from, f);
    ol_iso_at(to, t);
    if (to <= from) {
        ol_schema_add_error(c->errors, "to", "end_before_start", c->lang, NULL);
        return ol_ctx_fail(c, -OL_EINVAL, "the period ends before it starts");
    }
    if (types) { /* every name must be a schedulable type */
        for (const char *p = types; *p;) {
            const char *e = strchr(p, ',');
            size_t len = e ? (size_t)(e - p) : strlen(p);
            int known = 0;
            for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
                const ol_record_type_t *rt = ol_schema_by_name(kinds[k].type);
                known |= rt && strlen(rt->path) == len && !strncmp(rt->path, p, len);
            }
            if (!known) {
                ol_schema_add_error(c->errors, "types", "bad_filter", c->lang,
                                    "lists calendar types: releases, ops_events, changes, freezes");
                return ol_ctx_fail(c, -OL_EINVAL, "unknown calendar type");
            }
            p = e ? e + 1 : p + len;
        }
    }
    json_t *items = json_array();
    long left = ol_config_int(ol_config()->calendar_max_entries);
    int rc = 0;
    for (size_t k = 0; rc == 0 && k < sizeof kinds / sizeof kinds[0]; k++) {
        const ol_record_type_t *rt = ol_schema_by_name(kinds[k].type);
        if (rt && (!types || in_list(types, rt->path)))
            rc = list_type(c, (int)k, f, t, ci, team, items, &left);
    }
    if (rc) {
        json_decref(items);
        return rc;
    }
    size_t n = json_array_size(items);
    json_t **v = ol_xcalloc(n ? n : 1, sizeof *v);
    for (size_t i = 0; i < n; i++)
        v[i] = json_incref(json_array_get(items, i));
    qsort(v, n, sizeof *v, by_start);
    json_array_clear(items);
    for (size_t i = 0; i < n; i++)
        json_array_append_new(items, v[i]);
    free(v);
    c->result = json_pack("{sssssO}", "from", f, "to", t, "items", items);
    json_decref(items);
    return 0;
}

static int overlaps(const json_t *a, const json_t *b)
{
    return strcmp(ol_json_str(a, "start"), ol_json_str(b, "end")) < 0 &&
           strcmp(ol_json_str(b, "start"), ol_json_str(a, "end")) < 0;
}

static int is_void(const json_t *e)
{
    for (int k = 0; void_states[k]; k++)
        if (!strcmp(ol_json_str(e, "state"), void_states[k]))
            return 1;
    return 0;
}

static json_t *brief(const json_t *e)
{
    return json_pack("{sOsOsOsO?sOsOsO}", "type", json_object_get(e, "type"), "path",
                     json_object_get(e, "path"), "number", json_object_get(e, "number"), "title",
                     json_object_get(e, "title"), "state", json_object_get(e, "state"), "start",
                     json_object_get(e, "start"), "end", json_object_get(e, "end"));
}

int ol_calendar_conflicts(ol_ctx_t *c, time_t from, time_t to)
{
    int rc = ol_calendar_list(c, from, to, NULL, NULL, NULL);
    if (rc)
        return rc;
    json_t *cal = c->result;
    json_t *all = json_object_get(cal, "items"), *out = json_array();
    size_t n = json_array_size(all);
    for (size_t i = 0; i < n; i++) {
        json_t *a = json_array_get(all, i);
        if (is_void(a) || json_is_true(json_object_get(a, "freeze")))
            continue;
        for (size_t j = i + 1; j < n; j++) {
            json_t *b = json_array_get(all, j);
            if (strcmp(ol_json_str(b, "start"), ol_json_str(a, "end")) >= 0)
                break; /* sorted by start: nothing later overlaps a */
            if (is_void(b) || json_is_true(json_object_get(b, "freeze")) || !overlaps(a, b))
                continue;
            size_t k;
            json_t *ci;
            json_array_foreach(json_object_get(a, "cis"), k, ci)
                if (json_string_value(ci) &&
                    has_tag(json_object_get(b, "cis"), json_string_value(ci)))
                    json_array_append_new(out, json_pack("{sssOs[oo]}", "kind", "same_ci", "ci",
                                                         ci, "entries", brief(a), brief(b)));
        }
        /* Anything inside a freeze window (a freeze naming CIs covers those CIs only). */
        for (size_t j = 0; j < n; j++) {
            json_t *f = json_array_get(all, j);
            if (!json_is_true(json_object_get(f, "freeze")) || is_void(f) || !overlaps(a, f))
                continue;
            const json_t *fcis = json_object_get(f, "cis");
            int covered = json_array_size(fcis) == 0;
            size_t k;
            json_t *ci;
            json_array_foreach(json_object_get(a, "cis"), k, ci)
                covered |= json_string_value(ci) && has_tag(fcis, json_string_value(ci));
            if (covered)
                json_array_append_new(out, json_pack("{sssos[o]}", "kind", "in_freeze", "freeze",
                                                     brief(f), "entries", brief(a)));
        }
    }
    c->result = json_pack("{sOsOso}", "from", json_object_get(cal, "from"), "to",
                          json_object_get(cal, "to"), "items", out);
    json_decref(cal);
    return 0;
}

/* ---- RFC 5545 ---------------------------------------------------------------------------------- */

/* Appends one content line, folded at 75 octets (never inside a UTF-8 sequence), ending CRLF. */
static void ical_line(ol_buf_t *b, const char *name, const char *value)
{
    ol_buf_t line;
    ol_buf_init(&line);
    ol_buf_printf(&line, "%s:%s", name, value);
    size_t col = 0;
    for (size_t i = 0; i < line.len;) {
        size_t len = 1;
        unsigned char ch = (unsigned char)line.p[i];
        if (ch >= 0xf0)
            len = 4;
        else if (ch >= 0xe0)
            len = 3;
        else if (ch >= 0xc0)
            len = 2;
        if (i + len > line.len)
            len = line.len - i;
        if (col + len > 75) {
            ol_buf_append(b, "\r\n ", 3);
            col = 1;
        }
        ol_buf_append(b, line.p + i, len);
        col += len;
        i += len;
    }
    ol_buf_append(b, "\r\n", 2);
    ol_buf_clear(&line);
}

/* TEXT escaping (RFC 5545 3.3.11): backslash, semicolon, comma and newlines. */
static char *ical_text(const char *s)
{
    ol_buf_t b;
    ol_buf_init(&b);
    for (; s && *s; s++) {
        if (*s == '\\' || *s == ';' || *s == ',')
            ol_buf_printf(&b, "\\%c", *s);
        else if (*s == '\n')
            ol_buf_append(&b, "\\n", 2);
        else if (*s != '\r' && ((unsigned char)*s >= 0x20 || *s == '\t'))
            ol_buf_append(&b, s, 1);
    }
    return ol_buf_steal(&b);
}

/* "2026-11-22T10:00:00Z" (fractions dropped) as "20261122T100000Z". */
static const char *ical_time(const char *iso, char *out)
{
    time_t t = 0;
    ol_iso_parse(iso, &t);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 20, "%Y%m%dT%H%M%SZ", &tm);
    return out;
}

char *ol_calendar_ical(const json_t *cal, const char *name, time_t stamp)
{
    ol_buf_t b;
    ol_buf_init(&b);
    char dtstamp[32], t1[20], t2[20], iso[32];
    ical_time(ol_iso_at(stamp, iso), dtstamp);
    ical_line(&b, "BEGIN", "VCALENDAR");
    ical_line(&b, "VERSION", "2.0");
    ical_line(&b, "PRODID", "-//opsledger//operations calendar//EN");
    ical_line(&b, "CALSCALE", "GREGORIAN");
    ical_line(&b, "METHOD", "PUBLISH");
    char *cname = ical_text(name);
    ical_line(&b, "X-WR-CALNAME", cname);
    free(cname);
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(cal, "items"), i, e) {
        char uid[128], summary[400];
        snprintf(uid, sizeof uid, "%s@opsledger", ol_json_str(e, "number"));
        snprintf(summary, sizeof summary, "[%s] %s %s", ol_json_str(e, "kind"),
                 ol_json_str(e, "number"), ol_json_str(e, "title") ? ol_json_str(e, "title") : "");
        char *s = ical_text(summary), *d = ical_text(ol_json_str(e, "description"));
        ical_line(&b, "BEGIN", "VEVENT");
        ical_line(&b, "UID", uid);
        ical_line(&b, "DTSTAMP", dtstamp);
        ical_line(&b, "DTSTART", ical_time(ol_json_str(e, "start"), t1));
        ical_line(&b, "DTEND", ical_time(ol_json_str(e, "end"), t2));
        if (ol_json_str(e, "updated_at"))
            ical_line(&b, "LAST-MODIFIED", ical_time(ol_json_str(e, "updated_at"), t1));
        ical_line(&b, "SUMMARY", s);
        if (*d)
            ical_line(&b, "DESCRIPTION", d);
        ical_line(&b, "CATEGORIES", ol_json_str(e, "kind"));
        ical_line(&b, "STATUS", is_void(e) ? "CANCELLED" : "CONFIRMED");
        ical_line(&b, "TRANSP", json_is_true(json_object_get(e, "freeze")) ? "TRANSPARENT"
                                                                            : "OPAQUE");
        ical_line(&b, "END", "VEVENT");
        free(s);
        free(d);
    }
    ical_line(&b, "END", "VCALENDAR");
    return ol_buf_steal(&b);
}
