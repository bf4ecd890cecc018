/* modules/cmdb_baseline.c - configuration baselines and the compliance scan (REQUIREMENTS K3;
 * 002 §2.2.2 "基线管理", §2.2.3 "对偏离基线的配置项自动创建事件工单", §2.2.5 baseline
 * compliance >= 95 %).
 *
 * A baseline (BL-000001) is a record declaring, for one class of CI (and optionally one
 * environment), the values its fields must have: "sw_version=RHEL 9.4", "tags=pci" (a tag
 * that must be present). The scan compares every CI of the class that is not retired with every
 * active baseline, opens one incident per CI and baseline that deviates (none while an earlier
 * one is still recorded open), closes the record of a deviation once the CI complies again, and
 * reports the compliance rate against the policy's target, all in one transaction. */
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

extern const ol_record_type_t ol_incident_type;

/* ---- the baseline record type ---------------------------------------------------------------- */

static const char *const environments[] = {"production", "dr", "test", "development", NULL};

static const ol_field_t fields[] = {
    {"title", OL_F_STRING, OL_FIELD_REQUIRED | OL_FIELD_SEARCHABLE, 3, 200, NULL, NULL, "Title",
     "标题"},
    {"class", OL_F_ENUM, OL_FIELD_REQUIRED | OL_FIELD_FILTERABLE, 0, 0, ol_ci_classes, NULL,
     "CI class", "配置项类别"},
    {"environment", OL_F_ENUM, OL_FIELD_FILTERABLE, 0, 0, environments, NULL,
     "Environment (empty: all)", "环境(空:全部)"},
    {"expected", OL_F_TAGS, OL_FIELD_REQUIRED | OL_FIELD_SEARCHABLE, 0, 50, NULL, NULL,
     "Expected values (field=value; tags=T: tag T present)",
     "基线值(字段=值;tags=T 表示须有标签 T)"},
    {"owner", OL_F_USER, OL_FIELD_FILTERABLE, 0, 0, NULL, NULL, "Owner", "负责人"},
    {"description", OL_F_TEXT, OL_FIELD_SEARCHABLE, 0, 20000, NULL, NULL, "Description", "说明"},
};

static const char *const states[] = {"draft", "active", "retired", NULL};
static const char *const st_draft[] = {"draft", NULL};
static const char *const st_active[] = {"active", NULL};
static const char *const st_retired[] = {"retired", NULL};
static const char *const everyone[] = {"*", NULL};
static const char *const config_staff[] = {"config_manager", "config_admin", NULL};
static const char *const managers[] = {"config_manager", NULL};

/* The CI field an expectation names, or NULL when it names none that a baseline may fix. */
static const ol_field_t *expected_field(const char *entry, size_t *name_len)
{
    const char *eq = entry ? strchr(entry, '=') : NULL;
    if (!eq || eq == entry || eq - entry >= 64)
        return NULL;
    char name[64];
    memcpy(name, entry, (size_t)(eq - entry));
    name[eq - entry] = 0;
    *name_len = (size_t)(eq - entry);
    const ol_field_t *f = ol_schema_field(&ol_ci_type, name);
    if (!f || !strcmp(name, "ci_id") || !strcmp(name, "title") || !strcmp(name, "description"))
        return NULL;
    return f;
}

/* Every expectation must be "field=value" with a field of CIs. */
static int well_formed(const ol_guard_ctx_t *g, char *msg, size_t msglen)
{
    size_t i, n;
    json_t *e;
    json_array_foreach(json_object_get(g->record, "expected"), i, e) {
        if (!expected_field(json_string_value(e), &n)) {
            snprintf(msg, msglen, "expected value %zu is not field=value with a field of "
                                  "configuration items other than ci_id, title, description",
                     i + 1);
            return -OL_EINVAL;
        }
    }
    return 0;
}

static const ol_transition_t transitions[] = {
    {"activate", st_draft, "active", managers, NULL, 0, well_formed, "Activate", "生效"},
    {"retire", st_active, "retired", managers, NULL, 1, NULL, "Retire", "废止"},
    {"revise", st_retired, "draft", config_staff, NULL, 0, NULL, "Revise", "修订"},
};

const ol_record_type_t ol_ci_baseline_type = {
    .name = "ci_baseline",
    .path = "ci_baselines",
    .prefix = "BL",
    .label_en = "Configuration baseline",
    .label_zh = "配置基线",
    .fields = fields,
    .nfields = sizeof fields / sizeof fields[0],
    .states = states,
    .transitions = transitions,
    .ntransitions = sizeof transitions / sizeof transitions[0],
    .perms = {.read = everyone, .create = config_staff, .update = config_staff,
              .comment = everyone, .export = config_staff},
};

/* ---- the compliance scan --------------------------------------------------------------------- */

typedef struct {
    ol_ctx_t *c;
    char *baseline;    /* one baseline's number, or NULL for every active one */
    int open_incidents;
} scan_job_t;

static void free_scan(void *arg)
{
    scan_job_t *j = arg;
    free(j->baseline);
    free(j);
}

static const char *const cis_sql[] = {
    "SELECT " OL_REC_COLUMNS " FROM records WHERE type = 'ci' AND state <> 'retired' AND "
    "json_extract(data, '$.class') = ?1 AND (CAST(?2 AS TEXT) IS NULL OR "
    "json_extract(data, '$.environment') = ?2) ORDER BY id LIMIT ?3",
    "SELECT " OL_REC_COLUMNS " FROM records WHERE type = 'ci' AND state <> 'retired' AND "
    "(data->>'class') = ?1 AND (CAST(?2 AS TEXT) IS NULL OR (data->>'environment') = ?2) "
    "ORDER BY id LIMIT ?3",
};

/* Appends {"field","expected","actual"} to devs for each expectation rec does not meet. */
static void compare(const json_t *rec, const json_t *expected, json_t *devs)
{
    size_t i, n;
    json_t *e;
    json_array_foreach(expected, i, e) {
        const char *entry = json_string_value(e);
        const ol_field_t *f = expected_field(entry, &n);
        if (!f)
            continue;
        const char *want = entry + n + 1;
        json_t *v = json_object_get(rec, f->name);
        int ok;
        char num[32];
        if (json_is_array(v)) {
            size_t k;
            json_t *t;
            ok = 0;
            json_array_foreach(v, k, t) ok |= json_is_string(t) && !strcmp(json_string_value(t), want);
        } else if (json_is_integer(v)) {
            snprintf(num, sizeof num, "%lld", (long long)json_integer_value(v));
            ok = !strcmp(num, want);
        } else if (json_is_boolean(v)) {
            ok = !strcmp(json_is_true(v) ? "true" : "false", want);
        } else {
            ok = json_is_string(v) && !strcmp(json_string_value(v), want);
        }
        if (!ok)
            json_array_append_new(devs, json_pack("{sssssO}", "field", f->name, "expected", want,
                                                  "actual", v ? v : json_null()));
    }
}

/* Opens the incident of a deviation in the scan's transaction, as the system (the scanning
 * user is its reporter); its number into *number (caller frees). */
static int open_incident(ol_conn_t *conn, ol_ctx_t *c, const json_t *ci, const char *baseline,
                         const json_t *devs, char **number)
{
    static const char *const system_roles[] = {"admin", NULL};
    char title[256], *detail = ol_json_dump(devs);
    const char *ci_id = json_string_value(json_object_get(ci, "ci_id"));
    const char *impact = json_string_value(json_object_get(ci, "business_impact"));
    snprintf(title, sizeof title, "Baseline deviation 基线偏离: %.120s (%s)", ci_id, baseline);
    ol_buf_t desc;
    ol_buf_init(&desc);
    ol_buf_printf(&desc, "%s deviates from baseline %s: %s",
                  json_string_value(json_object_get(ci, "number")), baseline, detail);
    json_t *in = json_pack("{ssssssssssssssssss}", "title", title, "category", "security",
                           "classification", "configuration_change", "importance", "general",
                           "impact", impact ? impact : "medium", "urgency", "medium",
                           "reporter", c->user, "ci", ci_id, "description", desc.p);
    ol_buf_clear(&desc);
    free(detail);
    ol_ctx_t sys;
    ol_ctx_init(&sys, c->db, "system", system_roles);
    sys.via = "system";
    sys.lang = c->lang;
    ol_write_t w;
    int rc = ol_rec_create_prepare(&sys, &ol_incident_type, in, &w);
    if (rc == 0) {
        rc = w.fn(conn, w.arg);
        w.free_arg(w.arg);
    }
    json_decref(in);
    if (rc == 0)
        *number = ol_xstrdup(json_string_value(json_object_get(sys.result, "number")));
    else
        ol_ctx_fail(c, rc, "cannot open the incident of a deviation of %s: %s", ci_id,
                    sys.detail);
    ol_ctx_clear(&sys);
    return rc;
}

/* The open deviation record of (ci, baseline): its incident into *incident (caller frees), or
 * NULL. */
static int open_deviation(ol_conn_t *conn, long long ci, long long bl, char **incident)
{
    ol_rows_t *r;
    ol_val_t p[] = {OL_VINT(ci), OL_VINT(bl)};
    int rc = ol_db_exec(conn, "SELECT incident FROM ci_deviations WHERE ci_id = ?1 AND "
                              "baseline_id = ?2 AND closed_at IS NULL", p, 2, &r);
    if (rc)
        return rc;
    *incident = ol_rows_count(r) ? ol_xstrdup(ol_rows_get(r, 0, 0)) : NULL;
    ol_rows_free(r);
    return 0;
}

/* Checks every CI of one baseline; counts into checked/compliant, deviations into out. */
static int scan_baseline(ol_conn_t *conn, scan_job_t *j, const json_t *bl, long long bl_id,
                         const char *now, long *checked, long *compliant, json_t *out)
{
    ol_ctx_t *c = j->c;
    long max = ol_config_int(ol_config()->cmdb_scan_max_cis);
    const char *number = json_string_value(json_object_get(bl, "number"));
    ol_rows_t *r;
    ol_val_t p[] = {OL_VTEXT(json_string_value(json_object_get(bl, "class"))),
                    OL_VTEXT(json_string_value(json_object_get(bl, "environment"))),
                    OL_VINT(max + 1)};
    int rc = ol_db_exec(conn, cis_sql[ol_conn_kind(conn) == OL_DB_PG], p, 3, &r);
    if (rc)
        return ol_ctx_db_fail(c, conn, rc);
    if (ol_rows_count(r) > max) {
        ol_rows_free(r);
        return ol_ctx_fail(c, -OL_EINVAL, "baseline %s applies to more than %ld CIs "
                                          "(cmdb_scan_max_cis): narrow it or raise the policy",
                           number, max);
    }
    for (int i = 0; i < ol_rows_count(r) && rc == 0; i++) {
        json_t *ci = ol_rec_from_row_plain(&ol_ci_type, r, i), *devs = json_array();
        long long ci_id = ol_rows_int(r, i, 0);
        char *incident = NULL;
        compare(ci, json_object_get(bl, "expected"), devs);
        (*checked)++;
        rc = open_deviation(conn, ci_id, bl_id, &incident);
        if (rc == 0 && !json_array_size(devs)) {
            (*compliant)++;
            ol_val_t q[] = {OL_VTEXT(now), OL_VINT(ci_id), OL_VINT(bl_id)};
            if (incident)
                rc = ol_db_exec(conn, "UPDATE ci_deviations SET closed_at = ?1 WHERE ci_id = ?2 "
                                      "AND baseline_id = ?3 AND closed_at IS NULL", q, 3, NULL);
        } else if (rc == 0) {
            int opened = !incident && j->open_incidents;
            if (opened && (rc = open_incident(conn, c, ci, number, devs, &incident)) == 0) {
                char *detail = ol_json_dump(devs);
                ol_val_t q[] = {OL_VINT(ci_id), OL_VINT(bl_id), OL_VTEXT(incident),
                                OL_VTEXT(detail), OL_VTEXT(now)};
                rc = ol_db_exec(conn, "INSERT INTO ci_deviations(ci_id, baseline_id, incident, "
                                      "detail, opened_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                                q, 5, NULL);
                free(detail);
            }
            if (rc == 0)
                json_array_append_new(
                    out, json_pack("{sOsOsssoss?sb}", "ci", json_object_get(ci, "number"),
                                   "ci_id", json_object_get(ci, "ci_id"), "baseline", number,
                                   "deviations", json_incref(devs), "incident", incident,
                                   "incident_opened", opened));
        }
        if (rc && !c->detail[0])
            rc = ol_ctx_db_fail(c, conn, rc);
        free(incident);
        json_decref(devs);
        json_decref(ci);
    }
    ol_rows_free(r);
    return rc;
}

static int scan_job(ol_conn_t *conn, void *arg)
{
    scan_job_t *j = arg;
    ol_ctx_t *c = j->c;
    char now[32];
    ol_now_iso(now);
    ol_rows_t *r;
    ol_val_t p[] = {OL_VTEXT(j->baseline)};
    int rc = ol_db_exec(conn,
                        "SELECT " OL_REC_COLUMNS " FROM records WHERE type = 'ci_baseline' AND "
                        "state = 'active' AND (CAST(?1 AS TEXT) IS NULL OR number = ?1) "
                        "ORDER BY id",
                        p, 1, &r);
    if (rc)
        return ol_ctx_db_fail(c, conn, rc);
    if (j->baseline && ol_rows_count(r) == 0) {
        ol_rows_free(r);
        return ol_ctx_fail(c, -OL_ENOTFOUND, "there is no active baseline %s", j->baseline);
    }
    long checked = 0, compliant = 0;
    json_t *out = json_array(), *names = json_array();
    for (int i = 0; i < ol_rows_count(r) && rc == 0; i++) {
        json_t *bl = ol_rec_from_row_plain(&ol_ci_baseline_type, r, i);
        json_array_append(names, json_object_get(bl, "number"));
        rc = scan_baseline(conn, j, bl, ol_rows_int(r, i, 0), now, &checked, &compliant, out);
        json_decref(bl);
    }
    ol_rows_free(r);
    double rate = checked ? 100.0 * (double)compliant / (double)checked : 100.0;
    double target = (double)ol_config_int(ol_config()->cmdb_baseline_compliance_target);
    if (rc == 0) {
        char detail[200];
        snprintf(detail, sizeof detail,
                 "{\"baselines\":%zu,\"checked\":%ld,\"compliant\":%ld,\"rate\":%.2f}",
                 json_array_size(names), checked, compliant, rate);
        rc = ol_audit_write(conn, c, "ci.compliance_scan", j->baseline ? j->baseline : "cis",
                            "ok", detail);
        if (rc)
            rc = ol_ctx_db_fail(c, conn, rc);
    }
    if (rc == 0)
        c->result = json_pack("{sOsIsIsIsfsfsbsO}", "baselines", names, "checked",
                              (json_int_t)checked, "compliant", (json_int_t)compliant,
                              "deviating", (json_int_t)(checked - compliant), "compliance_rate",
                              rate, "target", target, "meets_target", rate >= target,
                              "deviations", out);
    json_decref(names);
    json_decref(out);
    return rc;
}

int ol_cmdb_scan_prepare(ol_ctx_t *c, const json_t *input, ol_write_t *w)
{
    if (!ol_rec_allowed(c, &ol_ci_type, "update"))
        return ol_ctx_fail(c, -OL_EFORBIDDEN, "a compliance scan needs update rights on "
                                              "configuration items");
    static const char *const keys[] = {"baseline", "open_incidents", NULL};
    if (ol_input_check_keys(input, keys, c->lang, c->errors) && !json_is_object(input))
        return ol_ctx_fail(c, -OL_EINVAL, "the body must be a JSON object");
    const json_t *bl = json_object_get(input, "baseline");
    const json_t *open = json_object_get(input, "open_incidents");
    if (bl && (!json_is_string(bl) || json_string_length(bl) > 32))
        ol_schema_add_error(c->errors, "baseline", "type_string", c->lang, NULL);
    if (open && !json_is_boolean(open))
        ol_schema_add_error(c->errors, "open_incidents", "type_bool", c->lang, NULL);
    if (json_array_size(c->errors))
        return ol_ctx_fail(c, -OL_EINVAL, "the scan request is invalid");
    scan_job_t *j = ol_xcalloc(1, sizeof(*j));
    *j = (scan_job_t){c, bl ? ol_xstrdup(json_string_value(bl)) : NULL, !open || json_is_true(open)};
    *w = (ol_write_t){scan_job, j, free_scan};
    return 0;
}
