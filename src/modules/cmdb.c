/* modules/cmdb.c - configuration items (REQUIREMENTS K1, K5; 004 §7.1, 002 §2.2.1): a class,
 * a unique identifier (device type + serial, software + version + instance, document type +
 * version + date, service + region), the business-impact level of key CIs, owner, location and
 * a lifecycle state. Every change is versioned by the engine's history; the relationships and
 * the impact analysis are in cmdb_graph.c, discovery and import in cmdb_discovery.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/err.h"
#include "core/json.h"
#include "modules/cmdb.h"
#include "records/schema.h"

const char *const ol_ci_classes[] = {"server",          "network_device", "storage",
                                     "operating_system", "database",      "middleware",
                                     "application",     "api",            "business_service",
                                     "document",        NULL};
/* The category of each class above (002 §2.2.1: hardware, software, document, service). */
static const char *const class_category[] = {"hardware", "hardware", "hardware", "software",
                                             "software", "software", "software", "service",
                                             "service",  "document"};
static const char *const categories[] = {"hardware", "software", "document", "service", NULL};
static const char *const impacts[] = {"high", "medium", "low", NULL};
static const char *const environments[] = {"production", "dr", "test", "development", NULL};

static const ol_field_t fields[] = {
    {"title", OL_F_STRING, OL_FIELD_REQUIRED | OL_FIELD_SEARCHABLE, 1, 200, NULL, NULL, "Name",
     "名称"},
    {"ci_id", OL_F_STRING,
     OL_FIELD_REQUIRED | OL_FIELD_SEARCHABLE | OL_FIELD_FILTERABLE | OL_FIELD_UNIQUE, 1, 128,
     NULL, NULL, "Unique ID (e.g. CSW-<serial>, Oracle-19c-APP01, CRM-Prod-Shanghai)",
     "唯一标识(如 CSW-序列号、Oracle-19c-APP01、CRM-Prod-Shanghai)"},
    {"class", OL_F_ENUM, OL_FIELD_REQUIRED | OL_FIELD_FILTERABLE, 0, 0, ol_ci_classes, NULL,
     "Class", "配置项类别"},
    {"category", OL_F_ENUM, OL_FIELD_READONLY | OL_FIELD_FILTERABLE, 0, 0, categories, NULL,
     "Category (from the class)", "大类(由类别决定)"},
    {"business_impact", OL_F_ENUM, OL_FIELD_REQUIRED | OL_FIELD_FILTERABLE, 0, 0, impacts,
     "\"medium\"", "Business impact", "业务影响等级"},
    {"environment", OL_F_ENUM, OL_FIELD_FILTERABLE, 0, 0, environments, "\"production\"",
     "Environment", "环境"},
    {"owner", OL_F_USER, OL_FIELD_FILTERABLE, 0, 0, NULL, NULL, "Responsible person",
     "维护责任人"},
    {"group", OL_F_STRING, OL_FIELD_FILTERABLE, 0, 100, NULL, NULL, "Maintenance team",
     "维护团队"},
    {"location", OL_F_STRING, OL_FIELD_SEARCHABLE | OL_FIELD_FILTERABLE, 0, 200, NULL, NULL,
     "Location", "部署位置"},
    {"vendor", OL_F_STRING, OL_FIELD_SEARCHABLE | OL_FIELD_FILTERABLE, 0, 100, NULL, NULL,
     "Vendor", "厂商"},
    {"model", OL_F_STRING, OL_FIELD_SEARCHABLE, 0, 100, NULL, NULL, "Model", "型号"},
    {"serial_number", OL_F_STRING, OL_FIELD_SEARCHABLE | OL_FIELD_FILTERABLE, 0, 100, NULL,
     NULL, "Serial number", "序列号"},
    {"sw_version", OL_F_STRING, OL_FIELD_FILTERABLE, 0, 100, NULL, NULL, "Version", "版本"},
    {"ip_address", OL_F_STRING, OL_FIELD_SEARCHABLE | OL_FIELD_FILTERABLE, 0, 100, NULL, NULL,
     "IP address", "IP 地址"},
    {"support_contract", OL_F_STRING, OL_FIELD_SEARCHABLE, 0, 200, NULL, NULL,
     "Support contract", "支持合同"},
    {"change_ref", OL_F_STRING, 0, 0, 64, NULL, NULL,
     "Change, incident or request behind this change (K5)", "本次修改依据的变更/事件/请求单"},
    {"last_change_ref", OL_F_STRING, OL_FIELD_READONLY | OL_FIELD_FILTERABLE, 0, 64, NULL, NULL,
     "Change, incident or request behind the last change", "最近一次修改依据的变更/事件/请求单"},
    {"tags", OL_F_TAGS, OL_FIELD_SEARCHABLE | OL_FIELD_FILTERABLE, 0, 20, NULL, "[]", "Tags",
     "标签"},
    {"attributes", OL_F_TAGS, OL_FIELD_SEARCHABLE | OL_FIELD_FILTERABLE, 0, 50, NULL, "[]",
     "Class attributes (name=value, as the class defines them)",
     "类别属性(名称=值,按类别定义)"},
    {"description", OL_F_TEXT, OL_FIELD_SEARCHABLE, 0, 20000, NULL, NULL, "Description", "描述"},
};

static const char *const states[] = {"planned", "in_use", "maintenance", "retired", NULL};
static const char *const st_planned[] = {"planned", NULL};
static const char *const st_in_use[] = {"in_use", NULL};
static const char *const st_maintenance[] = {"maintenance", NULL};
static const char *const st_retirable[] = {"planned", "in_use", "maintenance", NULL};

static const char *const everyone[] = {"*", NULL};
static const char *const config_staff[] = {"config_manager", "config_admin", NULL};

static const ol_transition_t transitions[] = {
    {"commission", st_planned, "in_use", config_staff, NULL, 0, NULL, "Put in use", "投入使用"},
    {"start_maintenance", st_in_use, "maintenance", config_staff, NULL, 1, NULL,
     "Start maintenance", "开始维护"},
    {"end_maintenance", st_maintenance, "in_use", config_staff, NULL, 0, NULL, "End maintenance",
     "结束维护"},
    {"retire", st_retirable, "retired", config_staff, NULL, 1, NULL, "Retire", "退役"},
};

/* The category follows the class. */
static void compute(json_t *rec, const char *state)
{
    (void)state;
    const char *cls = json_string_value(json_object_get(rec, "class"));
    for (int k = 0; cls && ol_ci_classes[k]; k++)
        if (!strcmp(ol_ci_classes[k], cls))
            json_object_set_new(rec, "category", json_string(class_category[k]));
}

/* 1 when name is in the comma-separated list. */
static int listed(const char *list, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = list; p && *p;) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == n && !strncmp(p, name, n))
            return 1;
        p = e ? e + 1 : p + len;
    }
    return 0;
}

/* 1 when the write changes the CI: its state or a field a person sets. */
static int changes(const json_t *rec, const char *state, const json_t *old)
{
    if (strcmp(state, json_string_value(json_object_get(old, "state")) ? json_string_value(
                                                                            json_object_get(old, "state"))
                                                                      : ""))
        return 1;
    for (size_t k = 0; k < sizeof fields / sizeof fields[0]; k++) {
        const ol_field_t *f = &fields[k];
        if (f->flags & OL_FIELD_READONLY || !strcmp(f->name, "change_ref"))
            continue;
        const json_t *a = json_object_get(rec, f->name), *b = json_object_get(old, f->name);
        if (!json_equal(a ? a : json_null(), b ? b : json_null()))
            return 1;
    }
    return 0;
}

/* The CI by number or unique ID (two indexed probes), and whether its last_change_ref is ?3 or
 * its history holds one set to ?2 (JSON text, as the history keeps values). */
static const char *const updated_under_sql[] = {
    "SELECT r.number, CASE WHEN EXISTS (SELECT 1 FROM record_history h WHERE h.record_id = r.id "
    "AND h.field = 'last_change_ref' AND h.new_value = ?2) OR json_extract(r.data, "
    "'$.last_change_ref') = ?3 THEN 1 ELSE 0 END FROM records r WHERE r.id IN (SELECT id FROM "
    "records WHERE number = ?1 AND type = 'ci' UNION SELECT id FROM records WHERE type = 'ci' "
    "AND json_extract(data, '$.ci_id') = ?1)",
    "SELECT r.number, CASE WHEN EXISTS (SELECT 1 FROM record_history h WHERE h.record_id = r.id "
    "AND h.field = 'last_change_ref' AND h.new_value = ?2) OR (r.data->>'last_change_ref') = "
    "?3 THEN 1 ELSE 0 END FROM records r WHERE r.id IN (SELECT id FROM records WHERE number = "
    "?1 AND type = 'ci' UNION SELECT id FROM records WHERE type = 'ci' AND (data->>'ci_id') = "
    "?1)",
};

int ol_cmdb_updated_under(struct ol_conn *conn, struct ol_ctx *c, const char *name,
                          const char *ref, int *found, int *updated)
{
    json_t *j = json_string(ref);
    char *text = ol_json_dump(j);
    json_decref(j);
    ol_val_t p[] = {OL_VTEXT(name), OL_VTEXT(text), OL_VTEXT(ref)};
    ol_rows_t *r;
    int rc = ol_db_exec(conn, updated_under_sql[ol_conn_kind(conn) == OL_DB_PG], p, 3, &r);
    free(text);
    if (rc)
        return ol_ctx_db_fail(c, conn, rc);
    *found = ol_rows_count(r) > 0;
    *updated = *found && !strcmp(ol_rows_get(r, 0, 1), "1");
    ol_rows_free(r);
    return 0;
}

/* K5 (004 §7.1.3 c): after registration a CI changes only under a change, incident or request
 * or through automated discovery and import (and the corrections of an audit). The reference
 * is given with each change in change_ref and kept in last_change_ref, so that the next change
 * must name its own. Also checks the class attributes (K1). */
static int check(struct ol_conn *conn, struct ol_ctx *c, json_t *rec, const char *state,
                 const json_t *old)
{
    const ol_config_t *cfg = ol_config();
    int rc = ol_cmdb_check_attributes(conn, c, rec, old);
    if (rc)
        return rc;
    const char *ref = json_string_value(json_object_get(rec, "change_ref"));
    int exempt = !old || strcmp(cfg->cmdb_change_ref_required, "on") ||
                 (c->via && listed("discovery,import,audit,system", c->via)) ||
                 !changes(rec, state, old);
    if (!exempt && (!ref || !*ref)) {
        ol_schema_add_error(c->errors, "change_ref", "change_ref_required", c->lang,
                            cfg->cmdb_change_ref_types);
        return ol_ctx_fail(c, -OL_EINVAL, "a change to a configuration item names the %s behind "
                                          "it in change_ref (K5)", cfg->cmdb_change_ref_types);
    }
    if (!exempt) {
        ol_rows_t *r;
        ol_val_t p[] = {OL_VTEXT(ref)};
        rc = ol_db_exec(conn, "SELECT type FROM records WHERE number = ?1", p, 1, &r);
        if (rc)
            return ol_ctx_db_fail(c, conn, rc);
        int ok = ol_rows_count(r) && listed(cfg->cmdb_change_ref_types, ol_rows_get(r, 0, 0));
        ol_rows_free(r);
        if (!ok) {
            ol_schema_add_error(c->errors, "change_ref", "change_ref_unknown", c->lang,
                                cfg->cmdb_change_ref_types);
            return ol_ctx_fail(c, -OL_EINVAL, "change_ref %s is not a record of type %s", ref,
                               cfg->cmdb_change_ref_types);
        }
    }
    if (ref && *ref) { /* used: the next change names its own */
        json_object_set_new(rec, "last_change_ref", json_string(ref));
        json_object_set_new(rec, "change_ref", json_null());
    }
    return 0;
}

const ol_record_type_t ol_ci_type = {
    .name = "ci",
    .path = "cis",
    .prefix = "CI",
    .label_en = "Configuration item",
    .label_zh = "配置项",
    .fields = fields,
    .nfields = sizeof fields / sizeof fields[0],
    .states = states,
    .transitions = transitions,
    .ntransitions = sizeof transitions / sizeof transitions[0],
    .perms = {.read = everyone, .create = config_staff, .update = config_staff,
              .comment = everyone, .export = config_staff},
    .compute = compute,
    .check = check,
};
