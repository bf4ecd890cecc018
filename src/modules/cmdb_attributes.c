/* modules/cmdb_attributes.c - attributes that configuration administrators add to a CI class
 * without a rebuild (REQUIREMENTS K1; 004 §7.1.4.1 a "制定配置模型", §7.1.4.2.2 "根据配置管理数据库
 * 模型定义不同类型的配置信息收集模板").
 *
 * An attribute definition (ATTR-000001) is a record: class, name, kind (string, int, bool,
 * enum with its values), required. A CI carries its class's attributes in the field
 * "attributes" as "name=value" entries, checked against the active definitions of its class
 * whenever a CI is created or its attributes or class change (the CI type's check hook). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/json.h"
#include "modules/cmdb.h"
#include "records/store.h"

static const char *const kinds[] = {"string", "int", "bool", "enum", NULL};

static const ol_field_t fields[] = {
    {"title", OL_F_STRING, OL_FIELD_REQUIRED | OL_FIELD_SEARCHABLE, 1, 200, NULL, NULL, "Label",
     "名称"},
    {"class", OL_F_ENUM, OL_FIELD_REQUIRED | OL_FIELD_FILTERABLE, 0, 0, ol_ci_classes, NULL,
     "CI class", "配置项类别"},
    {"name", OL_F_STRING, OL_FIELD_REQUIRED | OL_FIELD_FILTERABLE, 1, 40, NULL, NULL,
     "Attribute name (a-z, 0-9, _)", "属性名(a-z、0-9、_)"},
    {"kind", OL_F_ENUM, OL_FIELD_REQUIRED | OL_FIELD_FILTERABLE, 0, 0, kinds, "\"string\"",
     "Kind", "类型"},
    {"required", OL_F_BOOL, OL_FIELD_FILTERABLE, 0, 0, NULL, "false", "Required", "必填"},
    {"values", OL_F_TAGS, 0, 0, 50, NULL, "[]", "Allowed values (enum)", "可选值(枚举)"},
    {"description", OL_F_TEXT, OL_FIELD_SEARCHABLE, 0, 2000, NULL, NULL, "Description", "说明"},
};

static const char *const states[] = {"active", "retired", NULL};
static const char *const st_active[] = {"active", NULL};
static const char *const st_retired[] = {"retired", NULL};
static const char *const everyone[] = {"*", NULL};
static const char *const managers[] = {"config_manager", NULL};
static const char *const config_staff[] = {"config_manager", "config_admin", NULL};

static const ol_transition_t transitions[] = {
    {"retire", st_active, "retired", managers, NULL, 1, NULL, "Retire", "停用"},
    {"reinstate", st_retired, "active", managers, NULL, 0, NULL, "Reinstate", "恢复"},
};

static int name_valid(const char *s)
{
    if (!s || !*s || strlen(s) > 40 || !(*s >= 'a' && *s <= 'z'))
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
            return 0;
    return 1;
}

static const char *const defs_sql[] = {
    "SELECT number, data FROM records WHERE type = 'ci_attribute' AND state = 'active' AND "
    "json_extract(data, '$.class') = ?1",
    "SELECT number, data FROM records WHERE type = 'ci_attribute' AND state = 'active' AND "
    "(data->>'class') = ?1",
};

/* The active definitions of a class: an object name -> definition. Caller frees. */
static int definitions(ol_conn_t *conn, const char *cls, json_t **out)
{
    ol_rows_t *r;
    ol_val_t p[] = {OL_VTEXT(cls)};
    int rc = ol_db_exec(conn, defs_sql[ol_conn_kind(conn) == OL_DB_PG], p, 1, &r);
    if (rc)
        return rc;
    *out = json_object();
    for (int i = 0; i < ol_rows_count(r); i++) {
        json_t *d = json_loads(ol_rows_get(r, i, 1), 0, NULL);
        json_object_set_new(d, "number", json_string(ol_rows_get(r, i, 0)));
        const char *name = json_string_value(json_object_get(d, "name"));
        if (name)
            json_object_set(*out, name, d);
        json_decref(d);
    }
    ol_rows_free(r);
    return 0;
}

/* A definition is well formed, and the only active one of its class and name. */
static int check_definition(struct ol_conn *conn, struct ol_ctx *c, json_t *rec,
                            const char *state, const json_t *old)
{
    (void)old;
    if (strcmp(state, "active"))
        return 0; /* a retired definition binds nothing */
    const char *name = json_string_value(json_object_get(rec, "name"));
    const char *kind = json_string_value(json_object_get(rec, "kind"));
    size_t before = json_array_size(c->errors);
    if (!name_valid(name))
        ol_schema_add_error(c->errors, "name", "attribute_name", c->lang, NULL);
    if (kind && !strcmp(kind, "enum") && !json_array_size(json_object_get(rec, "values")))
        ol_schema_add_error(c->errors, "values", "required", c->lang, NULL);
    if (json_array_size(c->errors) > before)
        return ol_ctx_fail(c, -OL_EINVAL, "the attribute definition is invalid");
    json_t *defs;
    int rc = definitions(conn, json_string_value(json_object_get(rec, "class")), &defs);
    if (rc)
        return ol_ctx_db_fail(c, conn, rc);
    const json_t *other = json_object_get(defs, name);
    const char *self = json_string_value(json_object_get(rec, "number"));
    if (other && (!self || strcmp(self, json_string_value(json_object_get(other, "number"))))) {
        ol_schema_add_error(c->errors, "name", "unique", c->lang, NULL);
        rc = ol_ctx_fail(c, -OL_ECONFLICT, "%s already defines %s for this class",
                         json_string_value(json_object_get(other, "number")), name);
    }
    json_decref(defs);
    return rc;
}

const ol_record_type_t ol_ci_attribute_type = {
    .name = "ci_attribute",
    .path = "ci_attributes",
    .prefix = "ATTR",
    .label_en = "CI class attribute",
    .label_zh = "配置项类别属性",
    .fields = fields,
    .nfields = sizeof fields / sizeof fields[0],
    .states = states,
    .transitions = transitions,
    .ntransitions = sizeof transitions / sizeof transitions[0],
    .perms = {.read = everyone, .create = managers, .update = managers, .comment = everyone,
              .export = config_staff},
    .check = check_definition,
};

/* ---- a CI's attributes ----------------------------------------------------------------------- */

static int value_ok(const json_t *def, const char *v)
{
    const char *kind = json_string_value(json_object_get(def, "kind"));
    char *end;
    if (!*v || ol_utf8_len(v) > 200)
        return 0;
    if (kind && !strcmp(kind, "int")) {
        (void)strtoll(v, &end, 10);
        return !*end;
    }
    if (kind && !strcmp(kind, "bool"))
        return !strcmp(v, "true") || !strcmp(v, "false");
    if (kind && !strcmp(kind, "enum")) {
        size_t i;
        json_t *x;
        json_array_foreach(json_object_get(def, "values"), i, x) if (!strcmp(json_string_value(x), v))
            return 1;
        return 0;
    }
    return 1;
}

int ol_cmdb_check_attributes(struct ol_conn *conn, struct ol_ctx *c, const json_t *rec,
                             const json_t *old)
{
    if (old && json_equal(json_object_get(old, "attributes"), json_object_get(rec, "attributes")) &&
        json_equal(json_object_get(old, "class"), json_object_get(rec, "class")))
        return 0; /* neither changed: definitions added since apply at the next change */
    json_t *defs, *seen = json_object();
    size_t before = json_array_size(c->errors); /* a batch may hold other items' errors */
    int rc = definitions(conn, json_string_value(json_object_get(rec, "class")), &defs);
    if (rc) {
        json_decref(seen);
        return ol_ctx_db_fail(c, conn, rc);
    }
    size_t i;
    json_t *e;
    char arg[96];
    json_array_foreach(json_object_get(rec, "attributes"), i, e) {
        const char *entry = json_string_value(e), *eq = entry ? strchr(entry, '=') : NULL;
        size_t n = eq ? (size_t)(eq - entry) : 0;
        snprintf(arg, sizeof arg, "%.*s", (int)(n < 60 ? n : 60), entry ? entry : "");
        const json_t *def = eq && n < 60 ? json_object_get(defs, arg) : NULL;
        if (!def)
            ol_schema_add_error(c->errors, "attributes", "attribute_unknown", c->lang,
                                eq ? arg : entry);
        else if (json_object_get(seen, arg))
            ol_schema_add_error(c->errors, "attributes", "attribute_twice", c->lang, arg);
        else if (!value_ok(def, eq + 1))
            ol_schema_add_error(c->errors, "attributes", "attribute_value", c->lang, arg);
        if (def)
            json_object_set_new(seen, arg, json_true());
    }
    const char *name;
    json_t *def;
    json_object_foreach(defs, name, def) {
        if (json_is_true(json_object_get(def, "required")) && !json_object_get(seen, name))
            ol_schema_add_error(c->errors, "attributes", "attribute_required", c->lang, name);
    }
    json_decref(seen);
    json_decref(defs);
    if (json_array_size(c->errors) > before)
        return ol_ctx_fail(c, -OL_EINVAL, "the CI's attributes do not match its class's "
                                          "definitions");
    return 0;
}
