/* modules/sd_report.c - the complaint report and the satisfaction report (REQUIREMENTS V3;
 * 004 §6.1.5 d, §6.1.6.3), over a period [from, to): read through the engine's list query (so
 * the caller's data scope applies), a page at a time, refused above export_max_rows. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/json.h"
#include "modules/service_desk.h"
#include "records/query.h"
#include "records/store.h"

extern const ol_record_type_t ol_complaint_type;
extern const ol_record_type_t ol_survey_type;

/* Checks the period; from and to become the stored form of times (with milliseconds). */
static int period(ol_ctx_t *c, const char *from, const char *to, char *f, char *t)
{
    time_t a = 0, b = 0;
    int bad_from = from && ol_iso_parse(from, &a), bad_to = to && ol_iso_parse(to, &b);
    if (bad_from)
        ol_schema_add_error(c->errors, "from", "report_time", c->lang, NULL);
    if (bad_to)
        ol_schema_add_error(c->errors, "to", "report_time", c->lang, NULL);
    if (!bad_from && !bad_to && from && to && b <= a)
        ol_schema_add_error(c->errors, "to", "report_range", c->lang, NULL);
    if (json_array_size(c->errors))
        return ol_ctx_fail(c, -OL_EINVAL, "the report's period is invalid");
    snprintf(f, 32, "%s", "");
    snprintf(t, 32, "%s", "");
    if (from)
        snprintf(f + strlen(ol_iso_at(a, f)) - 1, 6, ".000Z");
    if (to)
        snprintf(t + strlen(ol_iso_at(b, t)) - 1, 6, ".000Z");
    return 0;
}

/* Every record of t with field in [from, to) (the stored forms, "" = open) and key = value,
 * when value is not NULL, into *items. */
static int collect(ol_ctx_t *c, const ol_record_type_t *t, const char *field, const char *from,
                   const char *to, const char *key, const char *value, json_t **items)
{
    char gte[64], lt[64];
    snprintf(gte, sizeof gte, "%s[gte]", field);
    snprintf(lt, sizeof lt, "%s[lt]", field);
    long max = ol_config_int(ol_config()->export_max_rows);
    ol_query_t q;
    ol_query_init(&q);
    int rc = 0;
    if (*from)
        rc = ol_query_add(c, t, &q, gte, from);
    if (!rc && *to)
        rc = ol_query_add(c, t, &q, lt, to);
    if (!rc && value)
        rc = ol_query_add(c, t, &q, key, value);
    if (!rc)
        rc = ol_query_add(c, t, &q, "limit", "200");
    *items = json_array();
    while (rc == 0) {
        if ((rc = ol_rec_list(c, t, &q)))
            break;
        json_array_extend(*items, json_object_get(c->result, "items"));
        const char *next = json_string_value(json_object_get(c->result, "next_cursor"));
        if ((long)json_array_size(*items) > max) {
            char limit[32];
            snprintf(limit, sizeof limit, "%ld", max);
            ol_schema_add_error(c->errors, "export_max_rows", "export_too_many", c->lang, limit);
            rc = ol_ctx_fail(c, -OL_EINVAL, "more than %ld records in the period: shorten it "
                                            "(the export_max_rows policy)", max);
        } else if (next) {
            rc = ol_query_add(c, t, &q, "cursor", next);
        }
        json_decref(c->result);
        c->result = NULL;
        if (!next)
            break;
    }
    ol_query_clear(&q);
    if (rc) {
        json_decref(*items);
        *items = NULL;
    }
    return rc;
}

int ol_report_gather(ol_ctx_t *c, const ol_record_type_t *t, const char *from, const char *to,
                     const char *field, const char *key, const char *value, char *f, char *t2,
                     json_t **items)
{
    if (!ol_rec_allowed(c, t, "export"))
        return ol_ctx_fail(c, -OL_EFORBIDDEN, "this report needs the export permission on %s "
                                              "records", t->label_en);
    int rc = period(c, from, to, f, t2);
    return rc ? rc : collect(c, t, field, f, t2, key, value, items);
}

static json_t *period_json(const char *from, const char *to)
{
    return json_pack("{s:o,s:o}", "from", *from ? json_string(from) : json_null(), "to",
                     *to ? json_string(to) : json_null());
}

static double round1(double v)
{
    return round(v * 10) / 10;
}

static double round2(double v)
{
    return round(v * 100) / 100;
}

static void count_in(json_t *obj, const char *key)
{
    json_object_set_new(obj, key, json_integer(json_integer_value(json_object_get(obj, key)) + 1));
}

/* ---- complaints ------------------------------------------------------------------------------ */

int ol_report_complaints(ol_ctx_t *c, const char *from, const char *to)
{
    char f[32], t[32];
    json_t *items;
    int rc = ol_report_gather(c, &ol_complaint_type, from, to, "created_at", NULL, NULL, f, t,
                              &items);
    if (rc)
        return rc;
    char names[OL_COMPLAINT_MAX_LEVELS][32], err[256];
    long hours[OL_COMPLAINT_MAX_LEVELS];
    int nlevels = ol_complaint_policy(ol_config(), names, hours, err, sizeof err);
    long by_level[OL_COMPLAINT_MAX_LEVELS] = {0};
    json_t *by_state = json_object(), *list = json_array();
    long accepted = 0, escalations = 0;
    double sum_h = 0, max_h = 0;
    size_t i;
    json_t *r;
    json_array_foreach(items, i, r) {
        json_int_t level = json_integer_value(json_object_get(r, "level"));
        if (level >= 1 && level <= nlevels)
            by_level[level - 1]++;
        count_in(by_state, json_string_value(json_object_get(r, "state")));
        escalations += (long)json_integer_value(json_object_get(r, "escalations"));
        time_t made, ok;
        json_t *h = json_null();
        if (!ol_iso_parse(json_string_value(json_object_get(r, "created_at")), &made) &&
            !ol_iso_parse(json_string_value(json_object_get(r, "accepted_at")), &ok)) {
            double hrs = (double)(ok - made) / 3600.0;
            accepted++;
            sum_h += hrs;
            max_h = hrs > max_h ? hrs : max_h;
            h = json_real(round1(hrs));
        }
        static const char *const cols[] = {"number", "title", "complainant", "service", "level",
                                           "level_name", "escalations", "state", "owner",
                                           "created_at", "accepted_at", NULL};
        json_t *row = json_object();
        for (int k = 0; cols[k]; k++) {
            json_t *v = json_object_get(r, cols[k]);
            json_object_set(row, cols[k], v ? v : json_null());
        }
        json_object_set_new(row, "hours_to_acceptance", h);
        json_array_append_new(list, row);
    }
    json_t *levels = json_array();
    for (int k = 0; k < nlevels; k++)
        json_array_append_new(levels, json_pack("{sisssI}", "level", k + 1, "name", names[k],
                                                "count", (json_int_t)by_level[k]));
    json_t *rep = period_json(f, t);
    json_object_set_new(rep, "report", json_string("complaints"));
    json_object_set_new(rep, "total", json_integer((json_int_t)json_array_size(items)));
    json_object_set_new(rep, "by_state", by_state);
    json_object_set_new(rep, "by_level", levels);
    json_object_set_new(rep, "accepted", json_integer(accepted));
    json_object_set_new(rep, "escalations", json_integer(escalations));
    json_object_set_new(rep, "hours_to_acceptance",
                        json_pack("{soso}", "average",
                                  accepted ? json_real(round1(sum_h / accepted)) : json_null(),
                                  "max", accepted ? json_real(round1(max_h)) : json_null()));
    json_object_set_new(rep, "items", list);
    json_decref(items);
    c->result = rep;
    return 0;
}

/* ---- satisfaction ---------------------------------------------------------------------------- */

typedef struct {
    long n, sum, dist[5];
} tally_t;

static void tally_add(tally_t *t, int rating)
{
    t->n++;
    t->sum += rating;
    t->dist[rating - 1]++;
}

static json_t *tally_json(const tally_t *t)
{
    json_t *d = json_object();
    for (int k = 0; k < 5; k++) {
        char key[2] = {(char)('1' + k), 0};
        json_object_set_new(d, key, json_integer(t->dist[k]));
    }
    json_t *avg = t->n ? json_real(round2((double)t->sum / (double)t->n)) : json_null();
    return json_pack("{sIsoso}", "responses", (json_int_t)t->n, "average", avg, "distribution", d);
}

int ol_report_satisfaction(ol_ctx_t *c, const char *from, const char *to)
{
    char f[32], t[32];
    json_t *items;
    int rc = ol_report_gather(c, &ol_survey_type, from, to, "answered_at", "state", "answered", f,
                              t, &items);
    if (rc)
        return rc;
    tally_t all = {0}, kinds[2] = {{0}};
    json_t *services = json_array(); /* [service, tally index] in first-seen order */
    tally_t *per = ol_xcalloc(json_array_size(items) + 1, sizeof(*per));
    size_t nper = 0, i;
    json_t *r, *list = json_array();
    json_array_foreach(items, i, r) {
        int rating = (int)json_integer_value(json_object_get(r, "rating"));
        if (rating < 1 || rating > 5)
            continue;
        tally_add(&all, rating);
        const char *kind = json_string_value(json_object_get(r, "kind"));
        tally_add(&kinds[kind && !strcmp(kind, "periodic")], rating);
        json_t *svc = json_object_get(r, "service");
        size_t k = 0;
        while (k < nper && !json_equal(json_array_get(services, k), svc ? svc : json_null()))
            k++;
        if (k == nper) {
            json_array_append(services, svc ? svc : json_null());
            nper++;
        }
        tally_add(&per[k], rating);
        json_array_append_new(list, json_pack("{sOsOsOsOsisOsO}", "number",
                                              json_object_get(r, "number"), "kind",
                                              json_object_get(r, "kind"), "subject",
                                              json_object_get(r, "subject"), "service",
                                              svc ? svc : json_null(), "rating", rating,
                                              "comment", json_object_get(r, "comment"),
                                              "answered_at", json_object_get(r, "answered_at")));
    }
    json_t *by_service = json_array();
    for (size_t k = 0; k < nper; k++) {
        json_t *row = tally_json(&per[k]);
        json_object_set(row, "service", json_array_get(services, k));
        json_array_append_new(by_service, row);
    }
    free(per);
    json_decref(services);
    json_decref(items);
    json_t *rep = period_json(f, t);
    json_object_set_new(rep, "report", json_string("satisfaction"));
    json_t *tot = tally_json(&all);
    json_object_update(rep, tot);
    json_decref(tot);
    json_object_set_new(rep, "by_kind", json_pack("{soso}", "closure", tally_json(&kinds[0]),
                                                  "periodic", tally_json(&kinds[1])));
    json_object_set_new(rep, "by_service", by_service);
    json_object_set_new(rep, "items", list);
    c->result = rep;
    return 0;
}

/* ---- CSV ------------------------------------------------------------------------------------- */

static void csv_row(ol_buf_t *out, const json_t *row, const char *const *cols)
{
    for (int k = 0; cols[k]; k++) {
        if (k)
            ol_buf_append(out, ",", 1);
        ol_csv_cell(out, json_object_get(row, cols[k]));
    }
    ol_buf_append(out, "\r\n", 2);
}

static void csv_header(ol_buf_t *out, const char *const *cols)
{
    for (int k = 0; cols[k]; k++) {
        if (k)
            ol_buf_append(out, ",", 1);
        ol_buf_puts(out, cols[k]);
    }
    ol_buf_append(out, "\r\n", 2);
}

void ol_report_csv(const json_t *report, ol_buf_t *out)
{
    static const char *const complaint_cols[] = {
        "number", "title", "complainant", "service", "level", "level_name", "escalations",
        "state", "owner", "created_at", "accepted_at", "hours_to_acceptance", NULL};
    static const char *const service_cols[] = {"service", "responses", "average", "1", "2", "3",
                                               "4", "5", NULL};
    ol_buf_puts(out, "\xEF\xBB\xBF"); /* UTF-8 byte-order mark, for spreadsheets */
    const char *kind = json_string_value(json_object_get(report, "report"));
    size_t i;
    json_t *r;
    if (kind && !strcmp(kind, "incidents")) { /* I9: the KPIs, then the incidents */
        static const char *const cols[] = {
            "section", "kpi", "value", "target", "comparison", "met", "number", "title",
            "priority", "level", "state", "group", "created_at", "resolved_at",
            "recovery_minutes", "escalated", "knowledge_linked", NULL};
        static const char *const sections[][2] = {{"kpis", "kpi"}, {"items", "incident"}};
        csv_header(out, cols);
        for (size_t s = 0; s < 2; s++)
            json_array_foreach(json_object_get(report, sections[s][0]), i, r) {
                json_t *row = json_copy(r);
                json_object_set_new(row, "section", json_string(sections[s][1]));
                csv_row(out, row, cols);
                json_decref(row);
            }
        return;
    }
    static const char *const change_cols[] = {
        "number", "title", "change_type", "category", "level", "emergency", "state", "outcome",
        "incident", "planned_start", "planned_end", "submitted_at", "implemented_at",
        "written_approval_due", "written_approval_at", "written_approval_late", NULL};
    int changes = kind && !strcmp(kind, "changes"); /* C9: modules/change_report.c */
    if (changes || (kind && !strcmp(kind, "complaints"))) {
        const char *const *cols = changes ? change_cols : complaint_cols;
        csv_header(out, cols);
        json_array_foreach(json_object_get(report, "items"), i, r) csv_row(out, r, cols);
        return;
    }
    /* Satisfaction: one row per service, then the total ("(all)"). */
    csv_header(out, service_cols);
    json_t *rows = json_deep_copy(json_object_get(report, "by_service"));
    json_t *total = json_pack("{sssOsO}", "service", "(all)", "responses",
                              json_object_get(report, "responses"), "average",
                              json_object_get(report, "average"));
    json_object_set_new(total, "distribution",
                        json_deep_copy(json_object_get(report, "distribution")));
    json_array_append_new(rows, total);
    json_array_foreach(rows, i, r) {
        json_object_update(r, json_object_get(r, "distribution"));
        csv_row(out, r, service_cols);
    }
    json_decref(rows);
}
