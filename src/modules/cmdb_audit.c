/* modules/cmdb_audit.c - audits of the CMDB by sampling (REQUIREMENTS K4; 002 §2.2.2 "每月抽取
 * 5% 的 CI 进行现场核查 ... 数据准确率需 >= 98%", §2.2.5; 004 §7.1.4.1 f "配置信息审计应包括记录
 * 偏差、发起纠正措施和报告的内容").
 *
 * An audit (CA-000001) names CI classes and a sample ratio. Starting it draws the sample at
 * random from the CIs of those classes that are not retired, each item "unaudited"; the
 * auditor then records each CI as matched, mismatched (optionally with the corrections, applied
 * to the CI through the record engine in the same transaction) or missing; it completes once
 * no item is left unaudited. The report gives the accuracy against the policy's target, per
 * maintenance team too (teams below the governance threshold are flagged). */
#include <math.h>
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

/* ---- the audit record type ------------------------------------------------------------------- */

static const ol_field_t fields[] = {
    {"title", OL_F_STRING, OL_FIELD_REQUIRED | OL_FIELD_SEARCHABLE, 3, 200, NULL, NULL, "Title",
     "标题"},
    {"classes", OL_F_TAGS, OL_FIELD_REQUIRED | OL_FIELD_FILTERABLE, 0, 10, NULL, NULL,
     "CI classes sampled", "抽查的配置项类别"},
    {"sample_percent", OL_F_INT, OL_FIELD_FILTERABLE, 1, 100, NULL, NULL,
     "Sample (% of the CIs)", "抽样比例(%)"},
    {"owner", OL_F_USER, OL_FIELD_FILTERABLE, 0, 0, NULL, NULL, "Auditor", "核查人"},
    {"group", OL_F_STRING, OL_FIELD_FILTERABLE, 0, 100, NULL, NULL, "Group", "组"},
    {"description", OL_F_TEXT, OL_FIELD_SEARCHABLE, 0, 20000, NULL, NULL, "Description", "说明"},
};

static const char *const states[] = {"planned", "in_progress", "completed", "cancelled", NULL};
static const char *const st_planned[] = {"planned", NULL};
static const char *const st_progress[] = {"in_progress", NULL};
static const char *const st_open[] = {"planned", "in_progress", NULL};
static const char *const config_staff[] = {"config_manager", "config_admin", NULL};
static const char *const readers[] = {"config_manager", "config_admin", "ops_manager", NULL};

/* The classes of rec as a bound array (JSON for SQLite, an array literal for PostgreSQL), or
 * NULL when one is not a CI class. Caller frees. */
static char *class_list(int pg, const json_t *rec)
{
    ol_buf_t b;
    ol_buf_init(&b);
    ol_buf_puts(&b, pg ? "{" : "[");
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(rec, "classes"), i, v) {
        int known = 0;
        for (int k = 0; ol_ci_classes[k]; k++)
            known |= json_is_string(v) && !strcmp(ol_ci_classes[k], json_string_value(v));
        if (!known) {
            ol_buf_clear(&b);
            return NULL;
        }
        ol_buf_printf(&b, pg ? "%s%s" : "%s\"%s\"", i ? "," : "", json_string_value(v));
    }
    ol_buf_puts(&b, pg ? "}" : "]");
    return ol_buf_steal(&b);
}

static int audit_id(ol_ctx_t *c, ol_conn_t *conn, const json_t *rec, long long *id)
{
    return ol_rec_find_id(c, conn, &ol_ci_audit_type,
                          json_string_value(json_object_get(rec, "number")), id);
}

static const char *const count_sql[] = {
    "SELECT COUNT(*) FROM records WHERE type = 'ci' AND state <> 'retired' AND "
    "json_extract(data, '$.class') IN (SELECT value FROM json_each(?1))",
    "SELECT COUNT(*) FROM records WHERE type = 'ci' AND state <> 'retired' AND "
    "(data->>'class') = ANY(CAST(?1 AS text[]))",
};
static const char *const sample_sql[] = {
    "INSERT INTO ci_audit_items(audit_id, ci_id) SELECT ?2, id FROM records WHERE type = 'ci' "
    "AND state <> 'retired' AND json_extract(data, '$.class') IN "
    "(SELECT value FROM json_each(?1)) ORDER BY random() LIMIT ?3",
    "INSERT INTO ci_audit_items(audit_id, ci_id) SELECT ?2, id FROM records WHERE type = 'ci' "
    "AND state <> 'retired' AND (data->>'class') = ANY(CAST(?1 AS text[])) "
    "ORDER BY random() LIMIT ?3",
};

/* start: draws the sample (at least one CI when any CI is of the classes). */
static int draw_sample(ol_conn_t *conn, ol_ctx_t *c, const json_t *rec)
{
    int pg = ol_conn_kind(conn) == OL_DB_PG;
    long long id;
    int rc = audit_id(c, conn, rec, &id);
    if (rc)
        return rc;
    char *classes = class_list(pg, rec);
    if (!classes) {
        ol_schema_add_error(c->errors, "classes", "enum", c->lang, "server, database, ...");
        return ol_ctx_fail(c, -OL_EINVAL, "classes must name CI classes");
    }
    ol_rows_t *r;
    ol_val_t p[] = {OL_VTEXT(classes)};
    rc = ol_db_exec(conn, count_sql[pg], p, 1, &r);
    long long total = rc ? 0 : ol_rows_int(r, 0, 0);
    if (rc == 0)
        ol_rows_free(r);
    long long pct = json_integer_value(json_object_get(rec, "sample_percent"));
    long long n = (long long)ceil((double)total * (double)pct / 100.0);
    if (rc == 0 && n == 0) {
        free(classes);
        return ol_ctx_fail(c, -OL_ESTATE, "there is no CI of these classes to sample");
    }
    ol_val_t q[] = {OL_VTEXT(classes), OL_VINT(id), OL_VINT(n)};
    if (rc == 0)
        rc = ol_db_exec(conn, sample_sql[pg], q, 3, NULL);
    free(classes);
    if (rc == 0) {
        char detail[96];
        snprintf(detail, sizeof detail, "{\"population\":%lld,\"sampled\":%lld}", total, n);
        rc = ol_audit_write(conn, c, "ci.audit.sample", json_string_value(json_object_get(rec,
                                                                                     "number")),
                            "ok", detail);
    }
    return rc ? ol_ctx_db_fail(c, conn, rc) : 0;
}

/* complete: every sampled CI has a finding. */
static int all_checked(ol_conn_t *conn, ol_ctx_t *c, const json_t *rec)
{
    long long id;
    int rc = audit_id(c, conn, rec, &id);
    if (rc)
        return rc;
    ol_rows_t *r;
    ol_val_t p[] = {OL_VINT(id)};
    rc = ol_db_exec(conn, "SELECT COUNT(*) FROM ci_audit_items WHERE audit_id = ?1 AND "
                          "status = 'unaudited'", p, 1, &r);
    if (rc)
        return ol_ctx_db_fail(c, conn, rc);
    long long left = ol_rows_int(r, 0, 0);
    ol_rows_free(r);
    if (left)
        return ol_ctx_fail(c, -OL_ESTATE, "%lld sampled CIs are still unaudited", left);
    return 0;
}

static const ol_transition_t transitions[] = {
    {"start", st_planned, "in_progress", config_staff, NULL, 0, NULL, "Start (draw the sample)",
     "开始(抽样)", NULL, draw_sample},
    {"complete", st_progress, "completed", config_staff, NULL, 0, NULL, "Complete", "完成",
     NULL, all_checked},
    {"cancel", st_open, "cancelled", config_staff, NULL, 1, NULL, "Cancel", "取消"},
};

/* The sample ratio defaults to the policy (002 §2.2.2: 5 % a month). */
static void compute(json_t *rec, const char *state)
{
    (void)state;
    if (!json_is_integer(json_object_get(rec, "sample_percent")))
        json_object_set_new(rec, "sample_percent",
                            json_integer(ol_config_int(ol_config()->cmdb_audit_sample_percent)));
}

const ol_record_type_t ol_ci_audit_type = {
    .name = "ci_audit",
    .path = "ci_audits",
    .prefix = "CA",
    .label_en = "CMDB audit",
    .label_zh = "配置审计",
    .fields = fields,
    .nfields = sizeof fields / sizeof fields[0],
    .states = states,
    .transitions = transitions,
    .ntransitions = sizeof transitions / sizeof transitions[0],
    .perms = {.read = readers, .create = config_staff, .update = config_staff,
              .comment = readers, .export = config_staff},
    .compute = compute,
};

/* ---- items and report ------------------------------------------------------------------------ */

typedef struct {
    ol_ctx_t *c;
    char *number, *status, *result, *note;
    long long item;
    json_t *corrections;
} item_job_t;

static void free_item(void *arg)
{
    item_job_t *j = arg;
    free(j->number);
    free(j->status);
    free(j->result);
    free(j->note);
    json_decref(j->corrections);
    free(j);
}

static json_t *item_json(const ol_rows_t *r, int i, json_t *ci)
{
    const char *note = ol_rows_get(r, i, 2), *by = ol_rows_get(r, i, 4), *at = ol_rows_get(r, i, 5);
    return json_pack("{sIssss?sbss?ss?so}", "id", ol_rows_int(r, i, 0), "status",
                     ol_rows_get(r, i, 1), "note", note, "corrected", ol_rows_int(r, i, 3) != 0,
                     "checked_by", by, "checked_at", at, "ci", ci ? ci : json_null());
}

static int items_fn(ol_conn_t *conn, void *arg)
{
    item_job_t *j = arg;
    ol_ctx_t *c = j->c;
    long long id;
    int rc = ol_rec_find_id(c, conn, &ol_ci_audit_type, j->number, &id);
    if (rc)
        return rc;
    ol_rows_t *r, *cis;
    ol_val_t p[] = {OL_VINT(id), OL_VTEXT(j->status)};
    rc = ol_db_exec(conn, "SELECT i.id, i.status, i.note, i.corrected, i.checked_by, "
                          "i.checked_at, i.ci_id FROM ci_audit_items i WHERE i.audit_id = ?1 AND "
                          "(CAST(?2 AS TEXT) IS NULL OR i.status = ?2) ORDER BY i.id",
                    p, 2, &r);
    if (rc)
        return ol_ctx_db_fail(c, conn, rc);
    rc = ol_db_exec(conn, "SELECT " OL_REC_COLUMNS " FROM records WHERE id IN "
                          "(SELECT ci_id FROM ci_audit_items WHERE audit_id = ?1)", p, 1, &cis);
    if (rc) {
        ol_rows_free(r);
        return ol_ctx_db_fail(c, conn, rc);
    }
    json_t *by_id = json_object(), *items = json_array();
    for (int i = 0; i < ol_rows_count(cis); i++)
        json_object_set_new(by_id, ol_rows_get(cis, i, 0), ol_rec_from_row(&ol_ci_type, cis, i));
    for (int i = 0; i < ol_rows_count(r); i++)
        json_array_append_new(items, item_json(r, i, json_incref(json_object_get(
                                                         by_id, ol_rows_get(r, i, 6)))));
    json_decref(by_id);
    ol_rows_free(r);
    ol_rows_free(cis);
    c->result = json_pack("{ssso}", "audit", j->number, "items", items);
    return 0;
}

int ol_cmdb_audit_items(ol_ctx_t *c, const char *number, const char *status)
{
    if (!ol_rec_allowed(c, &ol_ci_audit_type, "read"))
        return ol_ctx_fail(c, -OL_EFORBIDDEN, "you may not read CMDB audits");
    if (status && strcmp(status, "unaudited") && strcmp(status, "matched") &&
        strcmp(status, "mismatched") && strcmp(status, "missing")) {
        ol_schema_add_error(c->errors, "status", "enum", c->lang,
                            "unaudited, matched, mismatched, missing");
        return ol_ctx_fail(c, -OL_EINVAL, "bad status");
    }
    item_job_t j = {c, (char *)number, (char *)status, NULL, NULL, 0, NULL};
    return ol_db_read(c->db, items_fn, &j);
}

static int check_job(ol_conn_t *conn, void *arg)
{
    item_job_t *j = arg;
    ol_ctx_t *c = j->c;
    char now[32];
    ol_now_iso(now);
    ol_rows_t *r;
    ol_val_t p[] = {OL_VTEXT(j->number), OL_VINT(j->item)};
    int rc = ol_db_exec(conn,
                        "SELECT a.state, x.number, x.version FROM ci_audit_items i JOIN records a "
                        "ON a.id = i.audit_id JOIN records x ON x.id = i.ci_id WHERE "
                        "a.type = 'ci_audit' AND a.number = ?1 AND i.id = ?2",
                        p, 2, &r);
    if (rc)
        return ol_ctx_db_fail(c, conn, rc);
    if (ol_rows_count(r) == 0) {
        ol_rows_free(r);
        return ol_ctx_fail(c, -OL_ENOTFOUND, "%s has no item %lld", j->number, j->item);
    }
    char *ci = ol_xstrdup(ol_rows_get(r, 0, 1));
    long long version = ol_rows_int(r, 0, 2);
    int in_progress = !strcmp(ol_rows_get(r, 0, 0), "in_progress");
    ol_rows_free(r);
    if (!in_progress) {
        free(ci);
        return ol_ctx_fail(c, -OL_ESTATE, "%s is not in progress", j->number);
    }
    /* Correct the CI from the finding, through the engine (validation, history, audit). */
    if (j->corrections) {
        ol_write_t w;
        const char *via = c->via;
        c->via = "audit"; /* K5: a correction from an audit needs no change_ref */
        rc = ol_rec_update_prepare(c, &ol_ci_type, ci, version, j->corrections, &w);
        if (rc == 0) {
            rc = w.fn(conn, w.arg);
            w.free_arg(w.arg);
        }
        c->via = via;
        json_decref(c->result);
        c->result = NULL;
        if (rc) {
            free(ci);
            return rc;
        }
    }
    ol_val_t u[] = {OL_VTEXT(j->result), OL_VTEXT(j->note), OL_VINT(j->corrections != NULL),
                    OL_VTEXT(c->user), OL_VTEXT(now), OL_VINT(j->item)};
    rc = ol_db_exec(conn,
                    "UPDATE ci_audit_items SET status = ?1, note = ?2, corrected = ?3, "
                    "checked_by = ?4, checked_at = ?5 WHERE id = ?6 RETURNING id, status, note, "
                    "corrected, checked_by, checked_at",
                    u, 6, &r);
    if (rc == 0) {
        c->result = item_json(r, 0, json_string(ci));
        ol_rows_free(r);
        char detail[160];
        snprintf(detail, sizeof detail, "{\"item\":%lld,\"ci\":\"%s\",\"result\":\"%s\"}",
                 j->item, ci, j->result); /* a CI number and a checked enum value */
        rc = ol_audit_write(conn, c, "ci.audit.check", j->number, "ok", detail);
    }
    free(ci);
    return rc ? ol_ctx_db_fail(c, conn, rc) : 0;
}

int ol_cmdb_audit_check_prepare(ol_ctx_t *c, const char *number, long long item,
                                const json_t *input, ol_write_t *w)
{
    if (!ol_rec_allowed(c, &ol_ci_audit_type, "update"))
        return ol_ctx_fail(c, -OL_EFORBIDDEN, "you may not record CMDB audit findings");
    static const char *const keys[] = {"result", "note", "corrections", NULL};
    if (ol_input_check_keys(input, keys, c->lang, c->errors) && !json_is_object(input))
        return ol_ctx_fail(c, -OL_EINVAL, "the body must be a JSON object");
    const char *result = json_string_value(json_object_get(input, "result"));
    const json_t *note = json_object_get(input, "note");
    const json_t *corr = json_object_get(input, "corrections");
    if (!result || (strcmp(result, "matched") && strcmp(result, "mismatched") &&
                    strcmp(result, "missing")))
        ol_schema_add_error(c->errors, "result", "enum", c->lang, "matched, mismatched, missing");
    if (note && (!json_is_string(note) || ol_utf8_len(json_string_value(note)) > 2000))
        ol_schema_add_error(c->errors, "note", "too_long", c->lang, "2000");
    if (corr && (!result || strcmp(result, "mismatched") || !json_is_object(corr)))
        ol_schema_add_error(c->errors, "corrections", "bad_filter", c->lang,
                            "only with result mismatched, as an object of CI fields");
    else if (corr)
        ol_schema_validate(&ol_ci_type, corr, 0, c->lang, c->errors);
    if (json_array_size(c->errors))
        return ol_ctx_fail(c, -OL_EINVAL, "the finding is invalid");
    item_job_t *j = ol_xcalloc(1, sizeof(*j));
    *j = (item_job_t){c, ol_xstrdup(number), NULL, ol_xstrdup(result),
                      note ? ol_xstrdup(json_string_value(note)) : NULL, item,
                      corr ? json_deep_copy(corr) : NULL};
    *w = (ol_write_t){check_job, j, free_item};
    return 0;
}

static int report_fn(ol_conn_t *conn, void *arg)
{
    item_job_t *j = arg;
    ol_ctx_t *c = j->c;
    long long id;
    int rc = ol_rec_find_id(c, conn, &ol_ci_audit_type, j->number, &id);
    if (rc)
        return rc;
    ol_rows_t *r;
    ol_val_t p[] = {OL_VINT(id)};
    rc = ol_db_exec(conn, "SELECT COALESCE(x.grp, ''), i.status, COUNT(*), SUM(i.corrected) "
                          "FROM ci_audit_items i JOIN records x ON x.id = i.ci_id "
                          "WHERE i.audit_id = ?1 GROUP BY 1, 2 ORDER BY 1, 2",
                    p, 1, &r);
    if (rc)
        return ol_ctx_db_fail(c, conn, rc);
    double target = (double)ol_config_int(ol_config()->cmdb_accuracy_target);
    double floor_pct = (double)ol_config_int(ol_config()->cmdb_accuracy_governance_below);
    long long t[4] = {0}, corrected = 0; /* unaudited, matched, mismatched, missing */
    static const char *const names[] = {"unaudited", "matched", "mismatched", "missing"};
    json_t *groups = json_object();
    for (int i = 0; i < ol_rows_count(r); i++) {
        const char *grp = ol_rows_get(r, i, 0), *st = ol_rows_get(r, i, 1);
        long long n = ol_rows_int(r, i, 2);
        corrected += ol_rows_int(r, i, 3);
        json_t *g = json_object_get(groups, grp);
        if (!g)
            json_object_set_new(groups, grp, g = json_pack("{sIsI}", "checked", (json_int_t)0,
                                                          "matched", (json_int_t)0));
        for (int k = 0; k < 4; k++) {
            if (strcmp(st, names[k]))
                continue;
            t[k] += n;
            if (k > 0)
                json_object_set_new(g, "checked", json_integer(json_integer_value(
                                                      json_object_get(g, "checked")) + n));
            if (k == 1)
                json_object_set_new(g, "matched", json_integer(n));
        }
    }
    ol_rows_free(r);
    json_t *by_group = json_array();
    const char *grp;
    json_t *g;
    json_object_foreach(groups, grp, g) {
        long long checked = json_integer_value(json_object_get(g, "checked"));
        long long matched = json_integer_value(json_object_get(g, "matched"));
        double acc = checked ? 100.0 * (double)matched / (double)checked : 100.0;
        json_array_append_new(by_group, json_pack("{sssIsIsfsb}", "group", grp, "checked",
                                                  (json_int_t)checked, "matched",
                                                  (json_int_t)matched, "accuracy", acc,
                                                  "needs_governance", checked && acc < floor_pct));
    }
    json_decref(groups);
    long long checked = t[1] + t[2] + t[3];
    double acc = checked ? 100.0 * (double)t[1] / (double)checked : 100.0;
    c->result = json_pack("{sssIsIsIsIsIsIsIsfsfsbso}", "audit", j->number, "sampled",
                          (json_int_t)(checked + t[0]), "checked", (json_int_t)checked,
                          "unaudited", (json_int_t)t[0], "matched", (json_int_t)t[1],
                          "mismatched", (json_int_t)t[2], "missing", (json_int_t)t[3],
                          "corrected", (json_int_t)corrected, "accuracy", acc, "target", target,
                          "meets_target", checked > 0 && acc >= target, "by_group", by_group);
    return 0;
}

int ol_cmdb_audit_report(ol_ctx_t *c, const char *number)
{
    if (!ol_rec_allowed(c, &ol_ci_audit_type, "read"))
        return ol_ctx_fail(c, -OL_EFORBIDDEN, "you may not read CMDB audits");
    item_job_t j = {c, (char *)number, NULL, NULL, NULL, 0, NULL};
    return ol_db_read(c->db, report_fn, &j);
}
