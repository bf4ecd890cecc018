/* api/schema_api.c - GET /api/v1/schema: the declared record types in the shape the web UI
 * builds its screens from (labels in en and zh-CN, field kinds, enums, states, transitions with
 * their required inputs) plus what the caller's roles allow, so the UI offers only the actions
 * the server would accept. Generated from the declarations; no per-type code. */
#include <stdio.h>
#include <string.h>

#include "api/web.h"
#include "auth/authz.h"
#include "modules/registry.h"
#include "records/schema.h"
#include "records/sla.h"

/* The shared columns every type may be filtered and sorted on (records/query.c, docs/api.md). */
static const char *const shared_filters[] = {"number", "title", "state", "priority", "owner",
                                             "group", "created_at", "updated_at",
                                             "state_changed_at", "created_by", "updated_by", NULL};
static const char *const shared_sorts[] = {"number", "title", "state", "priority", "created_at",
                                           "updated_at", "state_changed_at", NULL};

static const char *const kinds[] = {
    [OL_F_STRING] = "string", [OL_F_TEXT] = "text",         [OL_F_INT] = "int",
    [OL_F_BOOL] = "bool",     [OL_F_ENUM] = "enum",         [OL_F_DATETIME] = "datetime",
    [OL_F_TAGS] = "tags",     [OL_F_USER] = "user",
};

static json_t *label(const char *en, const char *zh)
{
    return json_pack("{ssss}", "en", en ? en : "", "zh-CN", zh ? zh : (en ? en : ""));
}

static json_t *strings(const char *const *v)
{
    json_t *a = json_array();
    for (; v && *v; v++)
        json_array_append_new(a, json_string(*v));
    return a;
}

static json_t *field_json(const ol_field_t *f)
{
    json_t *o = json_pack("{sssssosbsbsbsb}", "name", f->name, "kind", kinds[f->type], "label",
                          label(f->label_en, f->label_zh), "required",
                          (f->flags & OL_FIELD_REQUIRED) != 0, "readonly",
                          (f->flags & OL_FIELD_READONLY) != 0, "filterable",
                          (f->flags & OL_FIELD_FILTERABLE) != 0, "searchable",
                          (f->flags & OL_FIELD_SEARCHABLE) != 0);
    if (f->min || f->max) {
        json_object_set_new(o, "min", json_integer(f->min));
        json_object_set_new(o, "max", json_integer(f->max));
    }
    if (f->type == OL_F_ENUM)
        json_object_set_new(o, "values", strings(f->values));
    if (f->flags & OL_FIELD_SENSITIVE) /* S7: shown masked; ?reveal= for those allowed */
        json_object_set_new(o, "sensitive", json_true());
    if (f->default_json)
        json_object_set_new(o, "default", json_loads(f->default_json, JSON_DECODE_ANY, NULL));
    return o;
}

static json_t *type_json(const ol_record_type_t *t, const char *const *roles)
{
    json_t *fields = json_array(), *transitions = json_array();
    for (size_t i = 0; i < t->nfields; i++)
        json_array_append_new(fields, field_json(&t->fields[i]));
    for (size_t i = 0; i < t->ntransitions; i++) {
        const ol_transition_t *tr = &t->transitions[i];
        char action[96];
        snprintf(action, sizeof action, "transition:%s", tr->name);
        json_array_append_new(
            transitions,
            json_pack("{sssosossso sbsb}", "name", tr->name, "label",
                      label(tr->label_en, tr->label_zh), "from", strings(tr->from), "to", tr->to,
                      "requires", strings(tr->requires), "reason_required",
                      tr->reason_required != 0, "allowed", ol_authz(roles, t->name, action)));
    }
    static const char *const actions[] = {"read",   "create", "update", "comment",
                                          "export", "reveal", NULL};
    json_t *may = json_object();
    for (const char *const *a = actions; *a; a++)
        json_object_set_new(may, *a, json_boolean(ol_authz(roles, t->name, *a)));
    return json_pack("{sssssssosososososososbss*}", "name", t->name, "path", t->path, "prefix",
                     t->prefix, "label", label(t->label_en, t->label_zh), "states",
                     strings(t->states), "fields", fields, "transitions", transitions,
                     "filters", strings(shared_filters), "sorts", strings(shared_sorts), "may",
                     may, "sla", ol_sla_type_has_policy(t->name), /* I4: has SLA targets */
                     "area", ol_area_of(t));
}

void ol_api_schema(ol_req_t *r, ol_call_t *call)
{
    r->route = "/api/v1/schema";
    if (strcmp(r->method, "GET")) {
        ol_reply_problem(r, 405, "Method Not Allowed", "use GET", NULL);
        ol_reply_header(r, "Allow", "GET");
        return;
    }
    const char *const *roles = (const char *const *)call->who.roles;
    json_t *types = json_array();
    for (size_t i = 0; i < ol_schema_count(); i++)
        json_array_append_new(types, type_json(ol_schema_at(i), roles));
    json_t *areas = json_array();
    for (const ol_area_t *a = ol_areas; a->name; a++) {
        json_t *paths = json_array();
        for (const ol_record_type_t *const *x = a->types; *x; x++)
            json_array_append_new(paths, json_string((*x)->path));
        json_array_append_new(areas, json_pack("{sssoso}", "name", a->name, "label",
                                               label(a->label_en, a->label_zh), "types", paths));
    }
    json_t *doc = json_pack("{soso}", "types", types, "areas", areas);
    ol_reply_json(r, 200, doc);
    json_decref(doc);
}
