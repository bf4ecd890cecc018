/* modules/incident_kpi.c - I9: the incident KPIs of a period (002 §2.3.4, 000 §6.4) over the
 * incidents created in [from, to) (cancelled ones left out), optionally of one group:
 *   resolution_rate   resolved or closed / all, in percent          target >= incident_kpi_resolution_percent
 *   sla_attainment    SLA targets met / met + breached (sla tables)  target >= incident_kpi_sla_percent
 *   mttr_minutes      mean detected -> resolved of the resolved ones target <= incident_kpi_mttr_minutes
 *   escalation_rate   escalated (an SLA warning to the second line, or an escalation on the
 *                     timeline) / all, in percent                  target <= incident_kpi_escalation_percent
 *   knowledge_reuse   resolved ones linked to a knowledge article / resolved, in percent
 *                                                                    target >= incident_kpi_knowledge_percent
 * Each KPI has its value (null without incidents to measure), its target and met (null then). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/config.h"
#include "core/err.h"
#include "core/json.h"
#include "modules/incident_major.h"
#include "modules/service_desk.h"
#include "records/sla.h"

extern const ol_record_type_t ol_incident_type;

typedef struct {
    const char *from, *to;
    json_t *escalated, *linked; /* {number: true} */
    ol_ctx_t *c;
} facts_t;

static int numbers_into(ol_conn_t *conn, const char *sql, const facts_t *f, json_t *set)
{
    ol_val_t p[] = {OL_VTEXT(*f->from ? f->from : "0000"), OL_VTEXT(*f->to ? f->to : "9999")};
    ol_rows_t *r;
    int rc = ol_db_exec(conn, sql, p, 2, &r);
    if (rc)
        return rc;
    for (int i = 0; i < ol_rows_count(r); i++)
        json_object_set_new(set, ol_rows_get(r, i, 0), json_true());
    ol_rows_free(r);
    return 0;
}

/* Which incidents of the period were escalated and which are linked to a knowledge article. */
static int read_facts(ol_conn_t *conn, void *arg)
{
    facts_t *f = arg;
    int lite = ol_conn_kind(conn) == OL_DB_SQLITE;
    char sql[1024];
    snprintf(sql, sizeof sql,
             "SELECT r.number FROM records r WHERE r.type = 'incident' AND r.created_at >= ?1 AND "
             "r.created_at < ?2 AND (EXISTS (SELECT 1 FROM sla_timers t WHERE t.record_id = r.id "
             "AND t.warned_at IS NOT NULL) OR EXISTS (SELECT 1 FROM records e WHERE e.type = "
             "'timeline_entry' AND %s = r.number AND %s = 'escalation'))",
             lite ? "json_extract(e.data, '$.incident')" : "(e.data->>'incident')",
             lite ? "json_extract(e.data, '$.kind')" : "(e.data->>'kind')");
    int rc = numbers_into(conn, sql, f, f->escalated);
    if (rc == 0)
        rc = numbers_into(conn,
                          "SELECT r.number FROM records r JOIN links l ON l.src_id = r.id OR "
                          "l.dst_id = r.id JOIN records a ON a.id = CASE WHEN l.src_id = r.id "
                          "THEN l.dst_id ELSE l.src_id END WHERE r.type = 'incident' AND "
                          "a.type = 'article' AND r.created_at >= ?1 AND r.created_at < ?2",
                          f, f->linked);
    return rc ? ol_ctx_db_fail(f->c, conn, rc) : 0;
}

static json_t *percent(long part, long whole)
{
    return whole ? json_real(round((double)part * 1000.0 / (double)whole) / 10.0) : json_null();
}

static json_t *kpi(const char *name, json_t *value, const char *target, int at_least)
{
    long t = ol_config_int(target);
    json_t *met = json_is_number(value)
                      ? json_boolean(at_least ? json_number_value(value) >= (double)t
                                              : json_number_value(value) <= (double)t)
                      : json_null();
    return json_pack("{sssosIsssO}", "kpi", name, "value", value, "target", (json_int_t)t,
                     "comparison", at_least ? ">=" : "<=", "met", met);
}

/* The SLA attainment of the period from the SLA report (null when nothing was measured). */
static json_t *sla_attainment(ol_ctx_t *c, const char *from, const char *to, const char *group)
{
    time_t a = 0, b = ol_time() + 1;
    if (*from)
        ol_iso_parse(from, &a);
    if (*to)
        ol_iso_parse(to, &b);
    ol_ctx_t s;
    ol_ctx_init(&s, c->db, c->user, c->roles);
    s.scope = c->scope;
    s.lang = c->lang;
    json_t *v = NULL;
    if (ol_sla_report(&s, a, b, "incidents", group) == 0)
        v = json_object_get(json_object_get(s.result, "total"), "attainment_percent");
    v = v ? json_incref(v) : json_null();
    ol_ctx_clear(&s);
    return v;
}

int ol_report_incidents(ol_ctx_t *c, const char *from, const char *to, const char *group)
{
    char f[32], t[32];
    json_t *items;
    int rc = ol_report_gather(c, &ol_incident_type, from, to, "created_at", "group", group, f, t,
                              &items);
    if (rc)
        return rc;
    facts_t facts = {f, t, json_object(), json_object(), c};
    if ((rc = ol_db_read(c->db, read_facts, &facts))) {
        json_decref(facts.escalated);
        json_decref(facts.linked);
        json_decref(items);
        return rc;
    }
    long total = 0, resolved = 0, escalated = 0, linked = 0, recovered = 0;
    double minutes = 0;
    json_t *list = json_array();
    size_t i;
    json_t *r;
    json_array_foreach(items, i, r) {
        const char *state = json_string_value(json_object_get(r, "state"));
        const char *number = json_string_value(json_object_get(r, "number"));
        if (!state || !strcmp(state, "cancelled"))
            continue;
        int done = !strcmp(state, "resolved") || !strcmp(state, "closed");
        int esc = json_object_get(facts.escalated, number) != NULL;
        int kb = done && json_object_get(facts.linked, number) != NULL;
        json_t *rec = json_object_get(r, "recovery_minutes");
        total++;
        resolved += done;
        escalated += esc;
        linked += kb;
        if (done && json_is_integer(rec)) {
            recovered++;
            minutes += (double)json_integer_value(rec);
        }
        static const char *const cols[] = {"number", "title", "priority", "level", "state",
                                           "group", "created_at", "resolved_at",
                                           "recovery_minutes", NULL};
        json_t *row = json_object();
        for (int k = 0; cols[k]; k++) {
            json_t *v = json_object_get(r, cols[k]);
            json_object_set(row, cols[k], v ? v : json_null());
        }
        json_object_set_new(row, "escalated", json_boolean(esc));
        json_object_set_new(row, "knowledge_linked", json_boolean(kb));
        json_array_append_new(list, row);
    }
    json_decref(facts.escalated);
    json_decref(facts.linked);
    json_decref(items);
    const ol_config_t *cfg = ol_config();
    json_t *kpis = json_array();
    json_array_append_new(kpis, kpi("resolution_rate", percent(resolved, total),
                                    cfg->incident_kpi_resolution_percent, 1));
    json_array_append_new(kpis, kpi("sla_attainment", sla_attainment(c, f, t, group),
                                    cfg->incident_kpi_sla_percent, 1));
    json_array_append_new(kpis, kpi("mttr_minutes",
                                    recovered ? json_real(round(minutes * 10.0 / recovered) / 10.0)
                                              : json_null(),
                                    cfg->incident_kpi_mttr_minutes, 0));
    json_array_append_new(kpis, kpi("escalation_rate", percent(escalated, total),
                                    cfg->incident_kpi_escalation_percent, 0));
    json_array_append_new(kpis, kpi("knowledge_reuse", percent(linked, resolved),
                                    cfg->incident_kpi_knowledge_percent, 1));
    c->result = json_pack("{sssoso sIsIsIsI soso}", "report", "incidents", "from",
                          *f ? json_string(f) : json_null(), "to", *t ? json_string(t) : json_null(),
                          "total", (json_int_t)total, "resolved", (json_int_t)resolved,
                          "escalated", (json_int_t)escalated, "knowledge_linked",
                          (json_int_t)linked, "kpis", kpis, "items", list);
    json_object_set_new(c->result, "group", group ? json_string(group) : json_null());
    c->status = 200;
    return 0;
}
