/* modules/change_effects.c - what a change's steps do to other records (REQUIREMENTS C6-C8): a
 * failed change with impact opens a linked incident (C7), verification needs the CMDB's CIs
 * updated under the change (C8), and a due date just missed is told once (C6, C8). */
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/config.h"
#include "core/err.h"
#include "core/json.h"
#include "modules/change.h"
#include "modules/cmdb.h"
#include "records/outbox.h"
#include "records/store.h"

extern const ol_record_type_t ol_incident_type;

/* C7: a failed change that caused an impact opens an incident, linked "caused_by" the change. */
int ol_change_open_incident(ol_conn_t *conn, ol_ctx_t *c, json_t *rec)
{
    static const char *const system_roles[] = {"admin", NULL};
    const char *number = ol_json_str(rec, "number");
    char title[240];
    snprintf(title, sizeof title, "Failed change %s caused an impact: %.180s", number,
             ol_json_str(rec, "title") ? ol_json_str(rec, "title") : "");
    json_t *in = json_pack("{ssssssssssssssss}", "title", title, "description",
                           "Opened by the change's back-out (C7); see the linked change.",
                           "category", "outage", "classification", "configuration_change",
                           "impact", "high", "urgency", "high", "reporter",
                           c->user && strncmp(c->user, "cli:", 4) ? c->user : "admin",
                           "importance", ol_json_true(rec, "important_system") ? "important"
                                                                           : "general");
    json_t *first = json_array_get(json_object_get(rec, "cis"), 0);
    if (json_is_string(first))
        json_object_set(in, "ci", first);
    ol_ctx_t sc;
    ol_ctx_init(&sc, c->db, c->user, system_roles);
    sc.via = c->via ? c->via : "system";
    sc.ip = c->ip;
    sc.lang = c->lang;
    ol_write_t w;
    int rc = ol_rec_create_prepare(&sc, &ol_incident_type, in, &w);
    if (rc == 0) {
        rc = w.fn(conn, w.arg);
        w.free_arg(w.arg);
    }
    char inc[32] = "";
    if (rc == 0) {
        snprintf(inc, sizeof inc, "%s", ol_json_str(sc.result, "number"));
        json_decref(sc.result);
        sc.result = NULL;
        json_t *link = json_pack("{ssss}", "type", "caused_by", "target", number);
        rc = ol_rec_link_prepare(&sc, &ol_incident_type, inc, link, &w);
        json_decref(link);
        if (rc == 0) {
            rc = w.fn(conn, w.arg);
            w.free_arg(w.arg);
        }
    }
    if (rc) {
        json_array_extend(c->errors, sc.errors);
        ol_ctx_fail(c, rc, "the incident for the failed change could not be opened: %s",
                    sc.detail);
    } else {
        json_object_set_new(rec, "incident", json_string(inc));
    }
    json_decref(in);
    ol_ctx_clear(&sc);
    return rc;
}

/* C6, C8: a due date that has just been missed is told to change_notify_channel, once. */
int ol_change_notify_late(ol_conn_t *conn, ol_ctx_t *c, const json_t *rec, const json_t *old)
{
    static const struct {
        const char *flag, *en, *zh;
    } flags[] = {
        {"written_approval_late", "the written approval of emergency change %s is late",
         "紧急变更 %s 的书面审批已逾期"},
        {"dr_update_overdue", "the DR-environment update of change %s is overdue",
         "变更 %s 的灾备环境变更已逾期"},
        {"regulator_notice_overdue", "the regulator notice of major change %s is overdue",
         "重大变更 %s 的监管报告已逾期"},
    };
    const char *channel = ol_config()->change_notify_channel;
    const char *number = ol_json_str(rec, "number");
    int rc = 0;
    for (size_t k = 0; k < sizeof flags / sizeof flags[0] && rc == 0; k++) {
        if (!*channel || !number || !ol_json_true(rec, flags[k].flag) ||
            (old && ol_json_true(old, flags[k].flag)))
            continue;
        char subject_en[160], subject_zh[160], key[96];
        /* The texts come from the table above, each with one %s. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
        snprintf(subject_en, sizeof subject_en, flags[k].en, number);
        snprintf(subject_zh, sizeof subject_zh, flags[k].zh, number);
#pragma GCC diagnostic pop
        snprintf(key, sizeof key, "change.late:%s:%s", number, flags[k].flag);
        ol_notice_t n = {.channel = channel, .event = "change.late", .record = number,
                         .subject_en = subject_en, .body_en = ol_json_str(rec, "title"),
                         .subject_zh = subject_zh, .body_zh = ol_json_str(rec, "title"),
                         .dedupe_key = key};
        rc = ol_outbox_enqueue(conn, c, &n);
    }
    return rc;
}

/* C8 (004 §7.2.5.4 f): the CIs the change touched are updated before it is verified. Under
 * change_verify_ci_updates = referenced each CI of the CMDB among cis has a version made under
 * this change (K5's change_ref), checked in the CMDB itself; names the CMDB does not hold, and
 * every name under 'flag', need the engineer's ci_updated confirmation. */
int ol_change_check_ci_updates(ol_conn_t *conn, ol_ctx_t *c, const json_t *rec)
{
    const json_t *cis = json_object_get(rec, "cis");
    int by_ref = !strcmp(ol_config()->change_verify_ci_updates, "referenced");
    int need_flag = !by_ref && json_array_size(cis);
    char missing[256] = "";
    size_t used = 0, i;
    json_t *ci;
    json_array_foreach(cis, i, ci) {
        int found = 0, updated = 0;
        if (by_ref && json_is_string(ci)) {
            int rc = ol_cmdb_updated_under(conn, c, json_string_value(ci),
                                           ol_json_str(rec, "number"), &found, &updated);
            if (rc)
                return rc;
        }
        if (found && !updated && used < sizeof missing - 70)
            used += (size_t)snprintf(missing + used, sizeof missing - used, "%s%s",
                                     used ? ", " : "", json_string_value(ci));
        need_flag |= by_ref && !found;
    }
    if (*missing) {
        char detail[400];
        snprintf(detail, sizeof detail, "update the configuration items %s under this change "
                 "first (their change_ref %s) (C8)", missing, ol_json_str(rec, "number"));
        return ol_change_field_error(c, "cis", "change_cis_not_updated", missing, detail);
    }
    if (need_flag && !ol_json_true(rec, "ci_updated"))
        return ol_change_field_error(c, "ci_updated", "change_ci_updated", NULL,
                           "confirm that the configuration items were updated (ci_updated) (C8)");
    return 0;
}

