/* modules/change_report.c - the change KPIs (REQUIREMENTS C9; 004 §7.2, 002 §2.5.6): over the
 * changes submitted in [from, to), the success rate of those implemented against
 * change_success_target, the share of emergency changes, the changes that caused incidents
 * (an incident linked "caused_by" the change: the back-out's own incident, or one linked by hand
 * when the cause was found later), and the late emergency written approvals, DR updates and
 * regulator notices; JSON or CSV. */
#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "core/json.h"
#include "modules/change.h"
#include "modules/service_desk.h"

static json_t *percent(long part, long whole)
{
    return whole ? json_real(round(1000.0 * (double)part / (double)whole) / 10) : json_null();
}

static void count_in(json_t *obj, const char *key)
{
    if (key)
        json_object_set_new(obj, key,
                            json_integer(json_integer_value(json_object_get(obj, key)) + 1));
}

typedef struct {
    ol_ctx_t *c;
    const char *to;
    json_t *caused; /* {change number: incidents linked caused_by it} */
} causes_t;

/* C9: the changes (created before the period's end) that incidents are linked "caused_by". */
static int read_causes(ol_conn_t *conn, void *arg)
{
    causes_t *k = arg;
    ol_val_t p[] = {OL_VTEXT(*k->to ? k->to : "9999")};
    ol_rows_t *r;
    int rc = ol_db_exec(conn,
                        "SELECT ch.number, COUNT(DISTINCT i.id) FROM links l JOIN records i ON "
                        "i.id = l.src_id JOIN records ch ON ch.id = l.dst_id WHERE l.link_type = "
                        "'caused_by' AND i.type = 'incident' AND ch.type = 'change' AND "
                        "ch.created_at < ?1 GROUP BY ch.number",
                        p, 1, &r);
    if (rc)
        return ol_ctx_db_fail(k->c, conn, rc);
    for (int i = 0; i < ol_rows_count(r); i++)
        json_object_set_new(k->caused, ol_rows_get(r, i, 0),
                            json_integer(atol(ol_rows_get(r, i, 1))));
    ol_rows_free(r);
    return 0;
}

int ol_report_changes(ol_ctx_t *c, const char *from, const char *to)
{
    char f[32], t[32];
    json_t *items;
    int rc = ol_report_gather(c, &ol_change_type, from, to, "submitted_at", NULL, NULL, f, t,
                              &items);
    if (rc)
        return rc;
    causes_t causes = {c, t, json_object()};
    if ((rc = ol_db_read(c->db, read_causes, &causes))) {
        json_decref(causes.caused);
        json_decref(items);
        return rc;
    }
    long total = 0, emergency = 0, ok = 0, failed = 0, incidents = 0;
    json_t *by_state = json_object(), *by_level = json_object(), *list = json_array();
    json_t *late = json_array(), *dr = json_array(), *regulator = json_array();
    size_t i;
    json_t *r;
    json_array_foreach(items, i, r) {
        total++;
        emergency += json_is_true(json_object_get(r, "emergency"));
        const char *outcome = ol_json_str(r, "outcome");
        ok += outcome && !strcmp(outcome, "successful");
        failed += outcome && !strcmp(outcome, "failed");
        json_int_t caused =
            json_integer_value(json_object_get(causes.caused, ol_json_str(r, "number")));
        if (!caused && ol_json_str(r, "incident"))
            caused = 1; /* the back-out incident, should its link have been removed */
        incidents += caused > 0;
        count_in(by_state, ol_json_str(r, "state"));
        count_in(by_level, ol_json_str(r, "level"));
        if (json_is_true(json_object_get(r, "written_approval_late")))
            json_array_append(late, json_object_get(r, "number"));
        if (json_is_true(json_object_get(r, "dr_update_overdue")))
            json_array_append(dr, json_object_get(r, "number"));
        if (json_is_true(json_object_get(r, "regulator_notice_overdue")))
            json_array_append(regulator, json_object_get(r, "number"));
        static const char *const cols[] = {"number", "title", "change_type", "category", "level",
                                           "emergency", "state", "outcome", "incident",
                                           "planned_start", "planned_end", "submitted_at",
                                           "implemented_at", "written_approval_due",
                                           "written_approval_at", "written_approval_late",
                                           NULL};
        json_t *row = json_object();
        for (int k = 0; cols[k]; k++) {
            json_t *v = json_object_get(r, cols[k]);
            json_object_set(row, cols[k], v ? v : json_null());
        }
        json_object_set_new(row, "caused_incidents", json_integer(caused));
        json_array_append_new(list, row);
    }
    long target = ol_config_int(ol_config()->change_success_target);
    json_t *rate = percent(ok, ok + failed);
    json_t *rep = json_pack("{sssoso}", "report", "changes", "from", *f ? json_string(f) : json_null(),
                    "to", *t ? json_string(t) : json_null());
    json_object_set_new(rep, "total", json_integer(total));
    json_object_set_new(rep, "implemented", json_integer(ok + failed));
    json_object_set_new(rep, "successful", json_integer(ok));
    json_object_set_new(rep, "failed", json_integer(failed));
    json_object_set_new(rep, "success_rate", rate);
    json_object_set_new(rep, "success_target", json_integer(target));
    json_object_set_new(rep, "meets_target",
                        json_is_real(rate) ? json_boolean(json_real_value(rate) >= (double)target)
                                           : json_null());
    json_object_set_new(rep, "emergency", json_integer(emergency));
    json_object_set_new(rep, "emergency_share", percent(emergency, total));
    json_object_set_new(rep, "caused_incidents", json_integer(incidents));
    json_object_set_new(rep, "by_state", by_state);
    json_object_set_new(rep, "by_level", by_level);
    json_object_set_new(rep, "late_written_approvals", late);
    json_object_set_new(rep, "dr_updates_overdue", dr);
    json_object_set_new(rep, "regulator_notices_overdue", regulator);
    json_object_set_new(rep, "items", list);
    json_decref(items);
    json_decref(causes.caused);
    c->result = rep;
    return 0;
}
