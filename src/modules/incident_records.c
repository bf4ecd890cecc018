/* modules/incident_records.c - the records around an incident (REQUIREMENTS I5, I6):
 *   incident_report (IRP-): a report to the regulator (initial, written, follow-up) kept as
 *     evidence: drafted, then submitted by the emergency command; a submitted report is
 *     read-only and counts towards the incident's report timers (incident_major.c).
 *   timeline_entry (TL-): an entry of a major incident's timeline - a progress update, a decision,
 *     a degradation decision or an escalation - by its author at its time; kept as written.
 *     An update restarts the 30-minute clock; an escalation tells incident_channel. */
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/err.h"
#include "modules/incident_major.h"
#include "records/store.h"

extern const ol_record_type_t ol_incident_type;

static const char *const readers[] = {"service_desk", "ops_engineer", "ops_manager",
                                      "emergency_command", "emergency_handling",
                                      "problem_manager", NULL};
static const char *const reporters[] = {"emergency_command", "ops_manager", NULL};
static const char *const handlers[] = {"emergency_command", "emergency_handling", "ops_manager",
                                       "ops_engineer", "service_desk", NULL};

/* The incident a record names must exist. */
static int check_incident(ol_conn_t *conn, ol_ctx_t *c, const json_t *rec, json_t **inc)
{
    const char *number = json_string_value(json_object_get(rec, "incident"));
    int rc = number ? ol_rec_find(conn, c, &ol_incident_type, number, inc) : -OL_ENOTFOUND;
    if (rc == -OL_ENOTFOUND) {
        ol_schema_add_error(c->errors, "incident", "incident_unknown", c->lang,
                            number ? number : "");
        return ol_ctx_fail(c, -OL_EINVAL, "no such incident");
    }
    return rc;
}

/* A title for lists: "INC-000001 initial: <text>" unless one was given. */
static void default_title(json_t *rec)
{
    const char *title = json_string_value(json_object_get(rec, "title"));
    if (title && *title)
        return;
    const char *text = json_string_value(json_object_get(rec, "text"));
    char buf[200], shown[120];
    size_t n = text ? strlen(text) : 0;
    if (n > 100) {
        n = 100;
        while (n > 0 && ((unsigned char)text[n] & 0xC0) == 0x80)
            n--; /* never split a UTF-8 character */
    }
    snprintf(shown, sizeof shown, "%.*s", (int)n, text ? text : "");
    for (char *p = shown; *p; p++)
        if (*p == '\n' || *p == '\r' || *p == '\t')
            *p = ' ';
    snprintf(buf, sizeof buf, "%s %s: %s", json_string_value(json_object_get(rec, "incident")),
             json_string_value(json_object_get(rec, "kind")), shown);
    json_object_set_new(rec, "title", json_string(buf));
}

/* ---- incident_report --------------------------------------------------------------------------- */

static const char *const report_kinds[] = {"initial", "written", "follow_up", NULL};

static const ol_field_t report_fields[] = {
    {"title", OL_F_STRING, OL_FIELD_SEARCHABLE, 0, 200, NULL, NULL, "Title", "标题"},
    {"incident", OL_F_STRING, OL_FIELD_REQUIRED | OL_FIELD_FILTERABLE, 3, 32, NULL, NULL,
     "Incident", "事件编号"},
    {"kind", OL_F_ENUM, OL_FIELD_REQUIRED | OL_FIELD_FILTERABLE, 0, 0, report_kinds, NULL,
     "Report", "报告类型"},
    {"recipient", OL_F_STRING, OL_FIELD_REQUIRED | OL_FIELD_SEARCHABLE | OL_FIELD_FILTERABLE, 1,
     200, NULL, NULL, "Recipient / regulator", "报送对象"},
    {"text", OL_F_TEXT, OL_FIELD_REQUIRED | OL_FIELD_SEARCHABLE, 1, 50000, NULL, NULL, "Text",
     "报告内容"},
    {"level", OL_F_INT, OL_FIELD_READONLY | OL_FIELD_FILTERABLE, 0, 0, NULL, NULL,
     "Incident level when submitted", "报送时事件级别"},
    {"submitted_at", OL_F_DATETIME, OL_FIELD_READONLY | OL_FIELD_FILTERABLE | OL_FIELD_SORTABLE,
     0, 0, NULL, NULL, "Submitted at", "报送时间"},
    {"submitted_by", OL_F_USER, OL_FIELD_READONLY | OL_FIELD_FILTERABLE, 0, 0, NULL, NULL,
     "Submitted by", "报送人"},
};

static const char *const report_states[] = {"draft", "submitted", NULL};
static const char *const st_draft[] = {"draft", NULL};

static const ol_transition_t report_transitions[] = {
    {"submit", st_draft, "submitted", reporters, NULL, 0, NULL, "Submit", "报送"},
};

static int report_check(ol_conn_t *conn, ol_ctx_t *c, json_t *rec, const char *state,
                        const json_t *old)
{
    const char *was = old ? json_string_value(json_object_get(old, "state")) : NULL;
    if (was && !strcmp(was, "submitted"))
        return ol_ctx_fail(c, -OL_ESTATE, "I5: a submitted report is kept as evidence and "
                                          "cannot be changed");
    json_t *inc = NULL;
    int rc = check_incident(conn, c, rec, &inc);
    default_title(rec);
    if (rc == 0 && !strcmp(state, "submitted")) {
        char now[32];
        json_object_set_new(rec, "submitted_at", json_string(ol_iso_at(ol_time(), now)));
        json_object_set_new(rec, "submitted_by", json_string(c->user));
        json_object_set(rec, "level", json_object_get(inc, "level"));
    }
    json_decref(inc);
    return rc;
}

static int report_after(ol_conn_t *conn, ol_ctx_t *c, const json_t *rec, const char *action)
{
    const char *state = json_string_value(json_object_get(rec, "state"));
    if (strcmp(action, "transition") || !state || strcmp(state, "submitted"))
        return 0;
    return ol_incident_touch(conn, c, json_string_value(json_object_get(rec, "incident")));
}

const ol_record_type_t ol_incident_report_type = {
    .name = "incident_report",
    .path = "incident-reports",
    .prefix = "IRP",
    .label_en = "Regulatory report",
    .label_zh = "事件上报",
    .fields = report_fields,
    .nfields = sizeof report_fields / sizeof report_fields[0],
    .states = report_states,
    .transitions = report_transitions,
    .ntransitions = sizeof report_transitions / sizeof report_transitions[0],
    .perms = {.read = readers, .create = reporters, .update = reporters, .comment = readers,
              .export = reporters},
    .check = report_check,
    .after_write = report_after,
};

/* ---- timeline_entry ---------------------------------------------------------------------------- */

static const char *const entry_kinds[] = {"update", "decision", "degradation", "escalation",
                                          NULL};

static const ol_field_t entry_fields[] = {
    {"title", OL_F_STRING, OL_FIELD_SEARCHABLE, 0, 200, NULL, NULL, "Title", "标题"},
    {"incident", OL_F_STRING, OL_FIELD_REQUIRED | OL_FIELD_FILTERABLE, 3, 32, NULL, NULL,
     "Incident", "事件编号"},
    {"kind", OL_F_ENUM, OL_FIELD_REQUIRED | OL_FIELD_FILTERABLE, 0, 0, entry_kinds, "\"update\"",
     "Kind", "类型"},
    {"text", OL_F_TEXT, OL_FIELD_REQUIRED | OL_FIELD_SEARCHABLE, 1, 20000, NULL, NULL, "Text",
     "内容"},
    {"author", OL_F_USER, OL_FIELD_READONLY | OL_FIELD_FILTERABLE, 0, 0, NULL, NULL, "Author",
     "记录人"},
};

static const char *const entry_states[] = {"recorded", NULL};

static int entry_check(ol_conn_t *conn, ol_ctx_t *c, json_t *rec, const char *state,
                       const json_t *old)
{
    (void)state;
    if (old)
        return ol_ctx_fail(c, -OL_ESTATE, "I6: a timeline entry is kept as written; add another");
    json_t *inc = NULL;
    int rc = check_incident(conn, c, rec, &inc);
    json_decref(inc);
    default_title(rec);
    json_object_set_new(rec, "author", json_string(c->user));
    return rc;
}

static int entry_after(ol_conn_t *conn, ol_ctx_t *c, const json_t *rec, const char *action)
{
    (void)action;
    const char *inc = json_string_value(json_object_get(rec, "incident"));
    const char *kind = json_string_value(json_object_get(rec, "kind"));
    int rc = ol_incident_touch(conn, c, inc);
    if (rc || !kind || strcmp(kind, "escalation"))
        return rc;
    const char *number = json_string_value(json_object_get(rec, "number"));
    const char *text = json_string_value(json_object_get(rec, "text"));
    char key[96], se[300], sz[300], be[800], bz[800];
    snprintf(key, sizeof key, "incident.escalation:%s", number);
    snprintf(se, sizeof se, "%s escalated by %s", inc, c->user);
    snprintf(sz, sizeof sz, "%s 已由 %s 升级", inc, c->user);
    snprintf(be, sizeof be, "%s (%s): %.600s", inc, number, text ? text : "");
    snprintf(bz, sizeof bz, "%s(%s):%.600s", inc, number, text ? text : "");
    return ol_incident_notify(conn, c, "incident.escalation", inc, key, se, sz, be, bz);
}

const ol_record_type_t ol_timeline_type = {
    .name = "timeline_entry",
    .path = "timeline",
    .prefix = "TL",
    .label_en = "Timeline entry",
    .label_zh = "事件时间线",
    .fields = entry_fields,
    .nfields = sizeof entry_fields / sizeof entry_fields[0],
    .states = entry_states,
    .transitions = NULL,
    .ntransitions = 0,
    .perms = {.read = readers, .create = handlers, .comment = readers, .export = reporters},
    .check = entry_check,
    .after_write = entry_after,
};
