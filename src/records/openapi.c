/* records/openapi.c - the OpenAPI 3 document, generated from the declared record types. */
#include "records/openapi.h"

#include <stdio.h>
#include <string.h>

#include "records/query.h"
#include "records/schema.h"
#include "records/sensitive.h"
#include "records/sla.h"
#include "records/store.h"

static json_t *field_schema(const ol_field_t *f)
{
    json_t *s = json_object();
    switch (f->type) {
    case OL_F_STRING:
    case OL_F_TEXT:
    case OL_F_USER:
        json_object_set_new(s, "type", json_string("string"));
        json_object_set_new(s, "maxLength", json_integer(f->max ? f->max
                                                         : f->type == OL_F_TEXT ? 100000 : 255));
        if (f->min)
            json_object_set_new(s, "minLength", json_integer(f->min));
        break;
    case OL_F_INT:
        json_object_set_new(s, "type", json_string("integer"));
        if (f->min || f->max) {
            json_object_set_new(s, "minimum", json_integer(f->min));
            json_object_set_new(s, "maximum", json_integer(f->max));
        }
        break;
    case OL_F_BOOL:
        json_object_set_new(s, "type", json_string("boolean"));
        break;
    case OL_F_ENUM: {
        json_t *e = json_array();
        for (const char *const *v = f->values; *v; v++)
            json_array_append_new(e, json_string(*v));
        json_object_set_new(s, "type", json_string("string"));
        json_object_set_new(s, "enum", e);
        break;
    }
    case OL_F_DATETIME:
        json_object_set_new(s, "type", json_string("string"));
        json_object_set_new(s, "format", json_string("date-time"));
        break;
    case OL_F_TAGS:
        json_object_set_new(s, "type", json_string("array"));
        json_object_set_new(s, "items", json_pack("{sssi}", "type", "string", "maxLength", 50));
        json_object_set_new(s, "maxItems", json_integer(f->max ? f->max : 20));
        break;
    }
    json_object_set_new(s, "title", json_string(f->label_en));
    json_object_set_new(s, "x-label-zh", json_string(f->label_zh));
    if (f->flags & OL_FIELD_READONLY)
        json_object_set_new(s, "readOnly", json_true());
    if (f->flags & OL_FIELD_FILTERABLE)
        json_object_set_new(s, "x-filterable", json_true());
    if (f->flags & OL_FIELD_SEARCHABLE)
        json_object_set_new(s, "x-searchable", json_true());
    if (f->flags & OL_FIELD_SENSITIVE) /* S7: masked unless revealed */
        json_object_set_new(s, "x-sensitive", json_true());
    if (f->default_json)
        json_object_set_new(s, "default", json_loads(f->default_json, JSON_DECODE_ANY, NULL));
    return s;
}

static json_t *ref(const char *name)
{
    char buf[160];
    snprintf(buf, sizeof buf, "#/components/schemas/%s", name);
    return json_pack("{ss}", "$ref", buf);
}

static json_t *json_body(json_t *schema)
{
    return json_pack("{s{s{so}}}", "content", "application/json", "schema", schema);
}

static json_t *responses(const char *ok_code, json_t *ok_schema)
{
    json_t *r = json_object();
    json_t *ok = json_pack("{ss}", "description", "success");
    if (ok_schema)
        json_object_set_new(ok, "content",
                            json_pack("{s{so}}", "application/json", "schema", ok_schema));
    json_object_set_new(r, ok_code, ok);
    json_object_set_new(r, "default", json_pack("{sss{s{so}}}", "description",
                                                "an RFC 9457 problem", "content",
                                                "application/problem+json", "schema",
                                                ref("Problem")));
    return r;
}

static json_t *param(const char *name, const char *in, int required, const char *desc)
{
    return json_pack("{sssssbsss{ss}}", "name", name, "in", in, "required", required,
                     "description", desc, "schema", "type", "string");
}

static void add_type(json_t *paths, json_t *schemas, const ol_record_type_t *t)
{
    char name[96], input[96], path[160];
    snprintf(name, sizeof name, "%s", t->name);
    snprintf(input, sizeof input, "%sInput", t->name);

    json_t *props = json_object(), *in_props = json_object(), *req = json_array();
    static const char *const shared[] = {"number", "type", "state", "created_at", "updated_at",
                                         "state_changed_at", "created_by", "updated_by"};
    for (size_t i = 0; i < sizeof shared / sizeof shared[0]; i++)
        json_object_set_new(props, shared[i], json_pack("{sssb}", "type", "string", "readOnly", 1));
    json_t *states = json_array();
    for (const char *const *s = t->states; *s; s++)
        json_array_append_new(states, json_string(*s));
    json_object_set_new(json_object_get(props, "state"), "enum", states);
    json_object_set_new(props, "version", json_pack("{sssb}", "type", "integer", "readOnly", 1));
    for (size_t i = 0; i < t->nfields; i++) {
        const ol_field_t *f = &t->fields[i];
        json_object_set_new(props, f->name, field_schema(f));
        if (!(f->flags & OL_FIELD_READONLY))
            json_object_set_new(in_props, f->name, field_schema(f));
        if ((f->flags & OL_FIELD_REQUIRED) && !f->default_json)
            json_array_append_new(req, json_string(f->name));
    }
    json_t *transitions = json_array();
    for (size_t i = 0; i < t->ntransitions; i++) {
        const ol_transition_t *tr = &t->transitions[i];
        json_t *from = json_array(), *roles = json_array(), *requires = json_array();
        for (const char *const *s = tr->from; s && *s; s++)
            json_array_append_new(from, json_string(*s));
        for (const char *const *s = tr->roles; s && *s; s++)
            json_array_append_new(roles, json_string(*s));
        for (const char *const *s = tr->requires; s && *s; s++)
            json_array_append_new(requires, json_string(*s));
        json_array_append_new(transitions,
                              json_pack("{sssosssososbssss}", "name", tr->name, "from", from, "to",
                                        tr->to, "roles", roles, "requires", requires,
                                        "reason_required", tr->reason_required, "label",
                                        tr->label_en, "label_zh", tr->label_zh));
    }
    json_object_set_new(schemas, name,
                        json_pack("{sssssssssssososo}", "type", "object", "title", t->label_en,
                                  "x-label-zh", t->label_zh, "x-path", t->path, "x-prefix",
                                  t->prefix, "properties", props, "x-transitions", transitions,
                                  "x-states", json_deep_copy(json_object_get(
                                                  json_object_get(props, "state"), "enum"))));
    json_object_set_new(json_object_get(schemas, name), "x-number-example",
                        json_sprintf("%s-000001", t->prefix));
    json_object_set_new(schemas, input, json_pack("{sssososb}", "type", "object", "properties",
                                                  in_props, "required", req,
                                                  "additionalProperties", 0));

    json_t *list_params = json_array();
    json_array_append_new(list_params, param("limit", "query", 0, "page size, 1 to 200 (50)"));
    json_array_append_new(list_params, param("cursor", "query", 0, "next_cursor of the previous page"));
    json_array_append_new(list_params, param("sort", "query", 0, "number, title, state, priority, created_at, updated_at, state_changed_at; - for descending"));
    json_array_append_new(list_params, param("q", "query", 0, "full-text search (Chinese substrings too)"));
    json_array_append_new(list_params, param("{field}[op]", "query", 0, "filter: eq (default), ne, gt, gte, lt, lte, in (comma list)"));
    json_t *list_schema = json_pack("{sss{s{ssso}s{ss}}}", "type", "object", "properties", "items",
                                    "type", "array", "items", ref(name), "next_cursor", "type",
                                    "string");
    char list_op[96], create_op[96];
    snprintf(list_op, sizeof list_op, "list_%s", t->name);
    snprintf(create_op, sizeof create_op, "create_%s", t->name);
    snprintf(path, sizeof path, "/api/v1/%s", t->path);
    json_object_set_new(paths, path, json_pack("{s{sssossso}s{sssossso}}",
        "get", "summary", "List and search", "parameters", list_params, "operationId",
        list_op, "responses",
        responses("200", list_schema),
        "post", "summary", "Create", "requestBody", json_body(ref(input)), "operationId", create_op,
        "responses", responses("201", ref(name))));

    json_t *num = param("number", "path", 1, "the record's number");
    snprintf(path, sizeof path, "/api/v1/%s/{number}", t->path);
    json_object_set_new(paths, path, json_pack("{s[O]s{ssso}s{sss[{sssssbs{ss}}]soso}}",
        "parameters", num, "get", "summary", "Read", "responses", responses("200", ref(name)),
        "patch", "summary", "Update (send If-Match: the version read)", "parameters", "name",
        "If-Match", "in", "header", "required", 1, "schema", "type", "string", "requestBody",
        json_body(ref(input)), "responses", responses("200", ref(name))));
    if (ol_sens_type(t)) /* S7: sensitive fields in clear, for those who may reveal them */
        json_object_set_new(json_object_get(json_object_get(paths, path), "get"), "parameters",
                            json_pack("[o]", param("reveal", "query", 0,
                                                   "sensitive fields to show in clear, comma-"
                                                   "separated (needs reveal; audited)")));
    static const char *const subs[][2] = {{"transitions/{name}", "Take a transition"},
                                          {"comments", "Comments and work notes"},
                                          {"links", "Links, both directions"},
                                          {"history", "Field history"}};
    for (size_t i = 0; i < 4; i++) {
        snprintf(path, sizeof path, "/api/v1/%s/{number}/%s", t->path, subs[i][0]);
        json_t *item = json_pack("{s[O]}", "parameters", num);
        if (i == 0) {
            json_array_append_new(json_object_get(item, "parameters"),
                                  param("name", "path", 1, "transition name"));
            json_object_set_new(item, "post", json_pack("{ssso}", "summary", subs[i][1],
                                                        "responses", responses("200", ref(name))));
        } else {
            json_object_set_new(item, "get", json_pack("{ssso}", "summary", subs[i][1],
                                                       "responses", responses("200", NULL)));
            if (i != 3)
                json_object_set_new(item, "post", json_pack("{ssso}", "summary", subs[i][1],
                                                            "responses", responses("201", NULL)));
        }
        json_object_set_new(paths, path, item);
    }
    if (ol_sla_type_has_policy(t->name)) { /* I4 (api/sla_api.c) */
        snprintf(path, sizeof path, "/api/v1/%s/{number}/sla", t->path);
        json_object_set_new(paths, path, json_pack("{s[O]s{ssso}}", "parameters", num, "get",
            "summary", "SLA timers: targets, deadlines, remaining, paused, breached",
            "responses", responses("200", NULL)));
    }
    json_decref(num);
}

json_t *ol_openapi_document(const char *version)
{
    json_t *paths = json_object(), *schemas = json_object();
    json_object_set_new(schemas, "Problem", json_pack(
        "{sss{s{ss}s{ss}s{ss}s{ss}s{sss{sss{s{ss}s{ss}s{ss}}}}}}", "type", "object", "properties",
        "type", "type", "string", "title", "type", "string", "status", "type", "integer",
        "detail", "type", "string", "errors", "type", "array", "items", "type", "object",
        "properties", "field", "type", "string", "code", "type", "string", "message", "type",
        "string"));
    for (size_t i = 0; i < ol_schema_count(); i++)
        add_type(paths, schemas, ol_schema_at(i));
    json_object_set_new(paths, "/api/v1/search", json_pack("{s{sss[oo]so}}", "get", "summary",
        "Search every readable record type", "parameters",
        param("q", "query", 1, "search text"), param("types", "query", 0, "comma list of types"),
        "responses", responses("200", NULL)));
    json_object_set_new(paths, "/api/v1/session", json_pack("{s{ssso}s{ssso}}", "post", "summary",
        "Log in (username, password): sets the session cookie, returns the CSRF token",
        "responses", responses("200", NULL), "delete", "summary", "Log out", "responses",
        responses("204", NULL)));
    /* S3 multi-factor authentication (api/mfa_api.c, docs/api.md). */
    static const struct {
        const char *path, *method, *summary, *status;
    } mfa[] = {
        {"/api/v1/me/mfa", "get", "Your MFA state: enabled, required, recovery codes left", "200"},
        {"/api/v1/me/mfa", "delete", "Turn MFA off ({code}); refused when it is mandatory", "204"},
        {"/api/v1/me/mfa/enrol", "post", "New TOTP secret: base32, otpauth URI, QR code (SVG)", "200"},
        {"/api/v1/me/mfa/confirm", "post", "Turn MFA on with the first {code}; returns 10 recovery "
                                           "codes, shown once", "200"},
        {"/api/v1/session/mfa", "post", "Finish a login: {mfa_token, code | recovery_code}", "200"},
        {"/api/v1/session/mfa/enrol", "post", "Mandatory MFA: enrol with {mfa_token}", "200"},
        {"/api/v1/session/mfa/confirm", "post", "Mandatory MFA: {mfa_token, code} turns MFA on "
                                                "and finishes the login", "200"},
        {"/api/v1/session/step-up", "post", "Confirm a {code} for sensitive operations", "200"},
        {"/api/v1/users/{name}/mfa/reset", "post", "Administrators: remove a user's MFA", "200"},
        /* P7 notifications (api/notify_api.c). */
        {"/api/v1/notification_channels", "get", "Notification channels (admin, auditor)", "200"},
        {"/api/v1/notification_channels", "post", "Create a webhook or e-mail channel", "201"},
        {"/api/v1/notification_channels/{name}", "get", "A channel (never its secret)", "200"},
        {"/api/v1/notification_channels/{name}", "patch", "Change a channel", "200"},
        {"/api/v1/notification_channels/{name}", "delete", "Disable a channel", "200"},
        {"/api/v1/notification_channels/{name}/test", "post", "Queue a test notice", "202"},
        {"/api/v1/outbox", "get", "Notices by state, newest first (cursor)", "200"},
        {"/api/v1/outbox/{id}/retry", "post", "Send a dead notice again", "200"},
        /* I4 SLA (api/sla_api.c). */
        {"/api/v1/sla/due", "get", "Open SLA timers due within ?within=60m, soonest first", "200"},
        {"/api/v1/reports/sla", "get", "SLA report: ?month=YYYY-MM or from/to, type, group, "
                                       "format=json|csv", "200"},
        /* I1 monitoring intake (api/intake_api.c); the three intake routes take an
         * integration's token, not a person's. */
        {"/api/v1/integrations", "get", "Monitoring integrations (admin, auditor)", "200"},
        {"/api/v1/integrations", "post", "Create an integration; its token is shown once", "201"},
        {"/api/v1/integrations/{name}", "get", "An integration (never its token)", "200"},
        {"/api/v1/integrations/{name}", "delete", "Revoke an integration's token", "200"},
        {"/api/v1/integrations/alertmanager", "post", "Alertmanager webhook (version 4), with "
                                                      "an alertmanager integration's token", "200"},
        {"/api/v1/integrations/zabbix", "post", "Zabbix webhook media type, with a zabbix "
                                                "integration's token", "200"},
        {"/api/v1/events", "post", "A monitoring event {dedupe_key, summary, severity, status, "
                                   "...}, with a generic integration's token", "200"},
        {"/api/v1/incidents/{number}/alerts", "get", "The alerts merged into an incident", "200"},
        /* Q3 (api/problem_api.c). */
        {"/api/v1/known_errors/suggest", "get", "Known errors and articles for ?q=TEXT or "
                                                "?incident=INC-..., best first (&limit=1-50)", "200"},
        /* C3-C5, C9 changes (api/change_api.c, api/reports_api.c). */
        {"/api/v1/changes/check", "get", "Dry run of a change's schedule: lead time, windows, "
                                         "freezes, conflicts (?planned_start, planned_end, "
                                         "category, ... or number)", "200"},
        {"/api/v1/reports/changes", "get", "Change KPIs of ?from/to: success rate, emergency "
                                           "share, changes causing incidents (format=json|csv)",
         "200"},
    };
    for (size_t i = 0; i < sizeof mfa / sizeof mfa[0]; i++) {
        json_t *item = json_object_get(paths, mfa[i].path);
        if (!item)
            json_object_set_new(paths, mfa[i].path, item = json_object());
        json_object_set_new(item, mfa[i].method, json_pack("{ssso}", "summary", mfa[i].summary,
                                                           "responses",
                                                           responses(mfa[i].status, NULL)));
    }
    /* S8: the audit trail, for administrators and auditors. */
    json_t *audit_params = json_array();
    static const char *const audit_filters[][2] = {
        {"actor", "exact actor"}, {"action", "exact action, e.g. auth.login"},
        {"target", "exact target"}, {"result", "ok, denied, failed ..."},
        {"severity", "info or high"}, {"since", "UTC time or date, inclusive"},
        {"until", "UTC time or date, exclusive"}, {"limit", "1-200 (default 50)"},
        {"cursor", "next_cursor of the previous page"}};
    for (size_t i = 0; i < sizeof audit_filters / sizeof audit_filters[0]; i++)
        json_array_append_new(audit_params,
                              param(audit_filters[i][0], "query", 0, audit_filters[i][1]));
    json_object_set_new(paths, "/api/v1/audit", json_pack("{s{sssoso}}", "get", "summary",
        "Audit entries, newest first (admin, auditor; the read is audited)", "parameters",
        audit_params, "responses", responses("200", NULL)));
    json_object_set_new(paths, "/api/v1/audit/verify", json_pack("{s{ssso}}", "get", "summary",
        "Verify the audit hash chain: ok, entries, first_bad {seq, reason}", "responses",
        responses("200", NULL)));
    return json_pack("{sss{ssssss}s[{ss}]sos{sos{s{ssssss}s{ssss}}}s[{s[]}{s[]}]}",
        "openapi", "3.0.3", "info", "title", "opsledger API", "version", version,
        "description", "Generated from the declared record types.", "servers", "url", "/",
        "paths", paths, "components", "schemas", schemas, "securitySchemes", "cookie", "type",
        "apiKey", "in", "cookie", "name", "ol_session", "bearer", "type", "http", "scheme",
        "bearer", "security", "bearer", "cookie");
}
