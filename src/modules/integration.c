/* modules/integration.c - I1: the monitoring integrations administrators create. Each has a
 * kind (which intake route it may post to), its own token (shown once, stored as its SHA-256
 * like API tokens, revocable) and optional mapping rules that override the intake policies.
 * Creation and revocation are audited. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"
#include "core/err.h"
#include "modules/intake.h"
#include "records/audit.h"
#include "records/schema.h"

static const char *const kinds[] = {"alertmanager", "zabbix", "generic", NULL};

static int valid_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 48 || !strcmp(s, "alertmanager") || !strcmp(s, "zabbix"))
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || strchr("._-", *s)))
            return 0;
    return 1;
}

/* The API form of a row: name, kind, mapping (JSON text), revoked, created_at, created_by,
 * revoked_at, last_used_at. */
static json_t *from_row(const ol_rows_t *r, int i)
{
    json_t *m = json_loads(ol_rows_get(r, i, 2), 0, NULL);
    const char *revoked_at = ol_rows_get(r, i, 6), *used = ol_rows_get(r, i, 7);
    char actor[80];
    snprintf(actor, sizeof actor, "integration.%s", ol_rows_get(r, i, 0));
    json_t *o = json_pack("{sssssssbssssso so}", "name", ol_rows_get(r, i, 0), "kind",
                          ol_rows_get(r, i, 1), "actor", actor, "revoked",
                          (int)ol_rows_int(r, i, 3), "created_at", ol_rows_get(r, i, 4),
                          "created_by", ol_rows_get(r, i, 5), "revoked_at",
                          revoked_at ? json_string(revoked_at) : json_null(), "last_used_at",
                          used ? json_string(used) : json_null());
    const char *keys[] = {"labels", "severities", "group"};
    for (int k = 0; k < 3; k++) {
        const char *v = json_string_value(json_object_get(m, keys[k]));
        json_object_set_new(o, keys[k], json_string(v ? v : ""));
    }
    json_decref(m);
    return o;
}

#define COLS "name, kind, mapping, revoked, created_at, created_by, revoked_at, last_used_at"

/* ---- create ---------------------------------------------------------------------------------- */

typedef struct {
    ol_ctx_t *c;
    const char *name, *kind;
    char *mapping;
    char hash[65];
} create_job_t;

static int create_fn(ol_conn_t *conn, void *arg)
{
    create_job_t *j = arg;
    char now[32];
    ol_rows_t *r;
    ol_val_t p[] = {OL_VTEXT(j->name), OL_VTEXT(j->kind), OL_VTEXT(j->hash), OL_VTEXT(j->mapping),
                    OL_VTEXT(ol_now_iso(now)), OL_VTEXT(j->c->user)};
    int rc = ol_db_exec(conn,
                        "INSERT INTO integrations(name, kind, token_hash, mapping, created_at, "
                        "created_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6) RETURNING " COLS,
                        p, 6, &r);
    if (rc == -OL_ECONFLICT)
        return ol_ctx_fail(j->c, rc, "an integration named %s exists already", j->name);
    if (rc)
        return ol_ctx_db_fail(j->c, conn, rc);
    j->c->result = from_row(r, 0);
    ol_rows_free(r);
    json_t *d = json_pack("{ss}", "kind", j->kind);
    char *detail = json_dumps(d, JSON_COMPACT);
    json_decref(d);
    rc = ol_audit_write(conn, j->c, "integration.create", j->name, "ok", detail);
    free(detail);
    return rc ? ol_ctx_db_fail(j->c, conn, rc) : 0;
}

int ol_integration_create(ol_ctx_t *c, const json_t *input, char *token)
{
    static const char *const keys[] = {"name", "kind", "labels", "severities", "group", NULL};
    ol_input_check_keys(input, keys, c->lang, c->errors);
    const char *name = json_string_value(json_object_get(input, "name"));
    const char *kind = json_string_value(json_object_get(input, "kind"));
    if (!name || !valid_name(name))
        ol_schema_add_error(c->errors, "name", name ? "integration_name" : "required", c->lang,
                            NULL);
    int known = 0;
    for (int k = 0; kind && kinds[k]; k++)
        known |= !strcmp(kinds[k], kind);
    if (!known)
        ol_schema_add_error(c->errors, "kind", kind ? "integration_kind" : "required", c->lang,
                            NULL);
    json_t *mapping = json_object();
    const char *fields[] = {"labels", "severities", "group"};
    for (int k = 0; k < 3; k++) {
        const json_t *v = json_object_get(input, fields[k]);
        if (!v || json_is_null(v))
            continue;
        const char *s = json_string_value(v);
        char why[200] = "", buf[1024];
        const char *list[16], *imp, *urg;
        if (!s)
            ol_schema_add_error(c->errors, fields[k], "type_string", c->lang, NULL);
        else if (k == 0 && ol_intake_label_rules(s, "service", buf, sizeof buf, list, 16, why,
                                                 sizeof why) < 0)
            ol_schema_add_error(c->errors, fields[k], "policy_spec", c->lang, why);
        else if (k == 1 && (strlen(s) >= sizeof buf ||
                            ol_intake_severity(s, NULL, &imp, &urg, why, sizeof why) < 0))
            ol_schema_add_error(c->errors, fields[k], "policy_spec", c->lang,
                                *why ? why : "too long");
        else if (k == 2 && (strlen(s) > 100 || strpbrk(s, "\n\r\t")))
            ol_schema_add_error(c->errors, fields[k], "too_long", c->lang, "100");
        else if (*s)
            json_object_set(mapping, fields[k], (json_t *)v);
    }
    if (json_array_size(c->errors)) {
        json_decref(mapping);
        return ol_ctx_fail(c, -OL_EINVAL, "the integration is invalid");
    }
    unsigned char raw[32];
    randombytes_buf(raw, sizeof raw);
    memcpy(token, "oli_", 4);
    sodium_bin2base64(token + 4, 76, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    create_job_t j = {.c = c, .name = name, .kind = kind};
    ol_secret_hash(token, j.hash);
    j.mapping = json_dumps(mapping, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(mapping);
    int rc = ol_db_write(c->db, create_fn, &j);
    free(j.mapping);
    if (rc)
        return rc;
    json_object_set_new(c->result, "token", json_string(token));
    c->status = 201;
    return 0;
}

/* ---- read ------------------------------------------------------------------------------------ */

typedef struct {
    ol_ctx_t *c;
    const char *name; /* NULL: all */
    const char *hash;
    ol_integration_t *out;
    int found;
} read_job_t;

static int list_fn(ol_conn_t *conn, void *arg)
{
    read_job_t *j = arg;
    ol_rows_t *r;
    ol_val_t p[] = {OL_VTEXT(j->name)};
    int rc = ol_db_exec(conn, j->name ? "SELECT " COLS " FROM integrations WHERE name = ?1"
                                      : "SELECT " COLS " FROM integrations ORDER BY name",
                        p, j->name ? 1 : 0, &r);
    if (rc)
        return ol_ctx_db_fail(j->c, conn, rc);
    j->found = ol_rows_count(r);
    json_t *items = json_array();
    for (int i = 0; i < ol_rows_count(r); i++)
        json_array_append_new(items, from_row(r, i));
    ol_rows_free(r);
    if (j->name) {
        j->c->result = json_incref(json_array_get(items, 0));
        json_decref(items);
    } else {
        j->c->result = json_pack("{so}", "items", items);
    }
    return 0;
}

int ol_integration_list(ol_ctx_t *c)
{
    read_job_t j = {.c = c};
    return ol_db_read(c->db, list_fn, &j);
}

int ol_integration_get(ol_ctx_t *c, const char *name)
{
    read_job_t j = {.c = c, .name = name};
    int rc = ol_db_read(c->db, list_fn, &j);
    if (rc == 0 && !j.found)
        return ol_ctx_fail(c, -OL_ENOTFOUND, "there is no integration '%s'", name);
    return rc;
}

static int token_fn(ol_conn_t *conn, void *arg)
{
    read_job_t *j = arg;
    ol_rows_t *r;
    ol_val_t p[] = {OL_VTEXT(j->hash)};
    int rc = ol_db_exec(conn, "SELECT id, name, kind, mapping FROM integrations WHERE "
                              "token_hash = ?1 AND revoked = 0", p, 1, &r);
    if (rc)
        return rc;
    if ((j->found = ol_rows_count(r) > 0)) {
        ol_integration_t *o = j->out;
        memset(o, 0, sizeof *o);
        o->id = ol_rows_int(r, 0, 0);
        snprintf(o->name, sizeof o->name, "%s", ol_rows_get(r, 0, 1));
        snprintf(o->kind, sizeof o->kind, "%s", ol_rows_get(r, 0, 2));
        snprintf(o->actor, sizeof o->actor, "integration.%s", o->name);
        json_t *m = json_loads(ol_rows_get(r, 0, 3), 0, NULL);
        const char *v;
        if ((v = json_string_value(json_object_get(m, "labels"))))
            snprintf(o->labels, sizeof o->labels, "%s", v);
        if ((v = json_string_value(json_object_get(m, "severities"))))
            snprintf(o->severities, sizeof o->severities, "%s", v);
        if ((v = json_string_value(json_object_get(m, "group"))))
            snprintf(o->group, sizeof o->group, "%s", v);
        json_decref(m);
    }
    ol_rows_free(r);
    return 0;
}

int ol_integration_by_token(ol_db_t *db, const char *token, ol_integration_t *out)
{
    char hash[65];
    if (!token || strncmp(token, "oli_", 4))
        return -OL_EUNAUTH;
    ol_secret_hash(token, hash);
    read_job_t j = {.hash = hash, .out = out};
    int rc = ol_db_read(db, token_fn, &j);
    if (rc)
        return rc;
    return j.found ? 0 : -OL_EUNAUTH;
}

/* ---- revoke ---------------------------------------------------------------------------------- */

static int revoke_fn(ol_conn_t *conn, void *arg)
{
    read_job_t *j = arg;
    char now[32];
    ol_rows_t *r;
    ol_val_t p[] = {OL_VTEXT(j->name), OL_VTEXT(ol_now_iso(now))};
    int rc = ol_db_exec(conn, "UPDATE integrations SET revoked = 1, revoked_at = ?2 WHERE "
                              "name = ?1 AND revoked = 0 RETURNING " COLS, p, 2, &r);
    if (rc)
        return ol_ctx_db_fail(j->c, conn, rc);
    j->found = ol_rows_count(r);
    if (j->found)
        j->c->result = from_row(r, 0);
    ol_rows_free(r);
    if (!j->found)
        return 0;
    rc = ol_audit_write(conn, j->c, "integration.revoke", j->name, "ok", NULL);
    return rc ? ol_ctx_db_fail(j->c, conn, rc) : 0;
}

int ol_integration_revoke(ol_ctx_t *c, const char *name)
{
    read_job_t j = {.c = c, .name = name};
    int rc = ol_db_write(c->db, revoke_fn, &j);
    if (rc == 0 && !j.found)
        return ol_ctx_fail(c, -OL_ENOTFOUND, "there is no active integration '%s'", name);
    return rc;
}
