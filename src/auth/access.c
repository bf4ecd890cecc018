/* auth/access.c - role holdings, groups, org units and grants; see access.h. */
#include "auth/access.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/authz.h"
#include "auth/roles.h"
#include "core/err.h"
#include "core/json.h"
#include "records/audit.h"
#include "records/schema.h"

#define MAX_LIST 64 /* roles, groups or members named in one request */

/* ---- reading -------------------------------------------------------------------------------- */

/* Appends column 0 of every row to list (NULL-terminated, at most max), skipping duplicates. */
static void add_rows(ol_rows_t *r, ol_arena_t *arena, const char **list, int max)
{
    int n = 0;
    while (list[n])
        n++;
    for (int i = 0; i < ol_rows_count(r) && n < max; i++) {
        const char *v = ol_rows_get(r, i, 0);
        int dup = 0;
        for (int k = 0; k < n && !dup; k++)
            dup = !strcmp(list[k], v);
        if (!dup)
            list[n++] = arena ? ol_arena_strdup(arena, v) : v;
    }
    list[n] = NULL;
}

static const char *const effective_sql =
    "SELECT role FROM user_roles WHERE user_id = ?1 AND (expires_at IS NULL OR expires_at > ?2) "
    "UNION SELECT gr.role FROM group_roles gr JOIN group_members gm ON gm.group_id = gr.group_id "
    "WHERE gm.user_id = ?1 ORDER BY 1";

int ol_access_load(ol_conn_t *conn, long long user_id, ol_arena_t *arena, ol_principal_t *p)
{
    char now[32];
    ol_val_t v[] = {OL_VINT(user_id), OL_VTEXT(ol_now_iso(now))};
    ol_rows_t *r;
    int rc = ol_db_exec(conn, effective_sql, v, 2, &r);
    if (rc)
        return rc;
    p->roles[0] = NULL;
    add_rows(r, arena, p->roles, OL_MAX_ROLES);
    ol_rows_free(r);
    rc = ol_db_exec(conn,
                    "SELECT g.name FROM groups g JOIN group_members m ON m.group_id = g.id "
                    "WHERE m.user_id = ?1 ORDER BY g.name",
                    v, 1, &r);
    if (rc)
        return rc;
    p->groups[0] = NULL;
    add_rows(r, arena, p->groups, OL_MAX_GROUPS);
    ol_rows_free(r);
    rc = ol_db_exec(conn, "SELECT data_scope, org_unit FROM users WHERE id = ?1", v, 1, &r);
    if (rc)
        return rc;
    const char *scope = ol_rows_count(r) ? ol_rows_get(r, 0, 0) : "all";
    p->scope = NULL;
    if (strcmp(scope, "all")) {
        p->scope = ol_arena_alloc(arena, (OL_MAX_GROUPS + 1) * sizeof(char *));
        p->scope[0] = NULL;
        if (!strcmp(scope, "group")) {
            for (int i = 0; p->groups[i]; i++)
                p->scope[i] = p->groups[i], p->scope[i + 1] = NULL;
        } else { /* org: every group of the user's organisation unit */
            ol_rows_t *g;
            ol_val_t ov[] = {OL_VTEXT(ol_rows_get(r, 0, 1))};
            rc = ol_db_exec(conn, "SELECT name FROM groups WHERE org_unit = ?1 ORDER BY name", ov,
                            1, &g);
            if (rc == 0) {
                add_rows(g, arena, p->scope, OL_MAX_GROUPS);
                ol_rows_free(g);
            }
        }
    }
    ol_rows_free(r);
    return rc;
}

static long long user_id(ol_conn_t *conn, const char *username)
{
    ol_rows_t *r;
    ol_val_t v[] = {OL_VTEXT(username)};
    if (ol_db_exec(conn, "SELECT id FROM users WHERE username = ?1", v, 1, &r))
        return -1;
    long long id = ol_rows_count(r) ? ol_rows_int(r, 0, 0) : 0;
    ol_rows_free(r);
    return id;
}

static long long group_id(ol_conn_t *conn, const char *name)
{
    ol_rows_t *r;
    ol_val_t v[] = {OL_VTEXT(name)};
    if (ol_db_exec(conn, "SELECT id FROM groups WHERE name = ?1", v, 1, &r))
        return -1;
    long long id = ol_rows_count(r) ? ol_rows_int(r, 0, 0) : 0;
    ol_rows_free(r);
    return id;
}

static json_t *column(ol_rows_t *r, int col)
{
    json_t *a = json_array();
    for (int i = 0; i < ol_rows_count(r); i++)
        json_array_append_new(a, json_string(ol_rows_get(r, i, col)));
    return a;
}

typedef struct {
    ol_ctx_t *c;
    const char *name, *label, *extra, *scope, *unit, *head;
    const char *const *list;
    int list_given;
} job_t;

static int query_column(ol_conn_t *conn, const char *sql, const ol_val_t *v, int n, json_t **out)
{
    ol_rows_t *r;
    int rc = ol_db_exec(conn, sql, v, n, &r);
    if (rc)
        return rc;
    *out = column(r, 0);
    ol_rows_free(r);
    return 0;
}

static int access_get_job(ol_conn_t *conn, void *arg)
{
    job_t *j = arg;
    long long id = user_id(conn, j->name);
    if (id <= 0)
        return id < 0 ? ol_ctx_db_fail(j->c, conn, -OL_EINTERNAL)
                      : ol_ctx_fail(j->c, -OL_ENOTFOUND, "no user '%s'", j->name);
    char now[32];
    ol_val_t v[] = {OL_VINT(id), OL_VTEXT(ol_now_iso(now))};
    json_t *direct = NULL, *groups = NULL, *group_roles = NULL, *effective = NULL;
    ol_rows_t *r = NULL, *u = NULL;
    int rc = query_column(conn, "SELECT role FROM user_roles WHERE user_id = ?1 AND expires_at IS "
                                "NULL ORDER BY role", v, 1, &direct);
    if (!rc)
        rc = query_column(conn, "SELECT g.name FROM groups g JOIN group_members m ON m.group_id "
                                "= g.id WHERE m.user_id = ?1 ORDER BY g.name", v, 1, &groups);
    if (!rc)
        rc = query_column(conn, "SELECT DISTINCT gr.role FROM group_roles gr JOIN group_members gm "
                                "ON gm.group_id = gr.group_id WHERE gm.user_id = ?1 ORDER BY 1",
                          v, 1, &group_roles);
    if (!rc)
        rc = query_column(conn, effective_sql, v, 2, &effective);
    if (!rc)
        rc = ol_db_exec(conn, "SELECT role, expires_at FROM user_roles WHERE user_id = ?1 AND "
                              "expires_at > ?2 ORDER BY role", v, 2, &r);
    if (!rc)
        rc = ol_db_exec(conn, "SELECT data_scope, org_unit FROM users WHERE id = ?1", v, 1, &u);
    if (rc) {
        json_decref(direct), json_decref(groups), json_decref(group_roles), json_decref(effective);
        ol_rows_free(r);
        return ol_ctx_db_fail(j->c, conn, rc);
    }
    json_t *elevated = json_array();
    for (int i = 0; i < ol_rows_count(r); i++)
        json_array_append_new(elevated, json_pack("{ssss}", "role", ol_rows_get(r, i, 0),
                                                  "expires_at", ol_rows_get(r, i, 1)));
    json_t *o = json_object();
    json_object_set_new(o, "username", json_string(j->name));
    json_object_set_new(o, "roles", direct);
    json_object_set_new(o, "elevated", elevated);
    json_object_set_new(o, "groups", groups);
    json_object_set_new(o, "group_roles", group_roles);
    json_object_set_new(o, "effective", effective);
    json_object_set_new(o, "data_scope", json_string(ol_rows_get(u, 0, 0)));
    const char *unit = ol_rows_get(u, 0, 1);
    json_object_set_new(o, "org_unit", unit ? json_string(unit) : json_null());
    j->c->result = o;
    ol_rows_free(r);
    ol_rows_free(u);
    return 0;
}

int ol_access_get(ol_ctx_t *c, const char *username)
{
    job_t j = {.c = c, .name = username};
    return ol_db_read(c->db, access_get_job, &j);
}

/* ---- S6: incompatible roles --------------------------------------------------------------- */

/* Refuses (409) when user id would hold incompatible roles: its effective roles now, minus
 * dropped (its direct roles being replaced, or NULL), plus add (NULL-terminated). */
static int check_compatible(ol_conn_t *conn, ol_ctx_t *c, long long id, const char *who,
                            const char *const *add, int replace_direct)
{
    char now[32];
    ol_val_t v[] = {OL_VINT(id), OL_VTEXT(ol_now_iso(now))};
    ol_rows_t *r;
    int rc = ol_db_exec(conn,
                        replace_direct
                            ? "SELECT role FROM user_roles WHERE user_id = ?1 AND expires_at > ?2 "
                              "UNION SELECT gr.role FROM group_roles gr JOIN group_members gm ON "
                              "gm.group_id = gr.group_id WHERE gm.user_id = ?1"
                            : effective_sql,
                        v, 2, &r);
    if (rc)
        return ol_ctx_db_fail(c, conn, rc);
    const char *all[2 * MAX_LIST + OL_MAX_ROLES + 2] = {NULL};
    int n = 0;
    for (const char *const *a = add; a && *a && n < MAX_LIST; a++)
        all[n++] = *a;
    all[n] = NULL;
    add_rows(r, NULL, all, (int)(sizeof all / sizeof all[0]) - 1);
    char conflict[200];
    rc = 0;
    if (ol_roles_conflict(all, conflict, sizeof conflict))
        rc = ol_ctx_fail(c, -OL_ECONFLICT,
                         "separation of duties (S6): %s would hold %s, which are incompatible",
                         who, conflict);
    ol_rows_free(r);
    return rc;
}

static int roles_known(ol_ctx_t *c, const char *const *roles, const char *field)
{
    for (const char *const *r = roles; r && *r; r++)
        if (!ol_role_find(*r)) {
            ol_schema_add_error(c->errors, field, "bad_filter", c->lang, "unknown role");
            return ol_ctx_fail(c, -OL_EINVAL, "'%s' is not a role", *r);
        }
    return 0;
}

static int audit_role(ol_conn_t *conn, ol_ctx_t *c, const char *action, const char *target,
                      const char *role, const char *extra)
{
    json_t *d = json_pack("{ssss*}", "role", role, "until", extra);
    char *text = ol_json_dump(d);
    json_decref(d);
    int rc = ol_audit_write(conn, c, action, target, "ok", text);
    free(text);
    return rc;
}

static int in_list(const char *const *list, const char *s)
{
    for (; list && *list; list++)
        if (!strcmp(*list, s))
            return 1;
    return 0;
}

static int access_set_job(ol_conn_t *conn, void *arg)
{
    job_t *j = arg;
    ol_ctx_t *c = j->c;
    long long id = user_id(conn, j->name);
    if (id <= 0)
        return id < 0 ? ol_ctx_db_fail(c, conn, -OL_EINTERNAL)
                      : ol_ctx_fail(c, -OL_ENOTFOUND, "no user '%s'", j->name);
    int rc = 0;
    if (j->list_given) {
        if ((rc = check_compatible(conn, c, id, j->name, j->list, 1)))
            return rc;
        ol_rows_t *r;
        ol_val_t v[] = {OL_VINT(id)};
        rc = ol_db_exec(conn, "SELECT role FROM user_roles WHERE user_id = ?1 AND expires_at IS "
                              "NULL ORDER BY role", v, 1, &r);
        if (rc)
            return ol_ctx_db_fail(c, conn, rc);
        /* S4 "先减后增": take the old rights away first, then add the new ones. */
        for (int i = 0; i < ol_rows_count(r) && !rc; i++) {
            const char *old = ol_rows_get(r, i, 0);
            if (in_list(j->list, old))
                continue;
            ol_val_t d[] = {OL_VINT(id), OL_VTEXT(old)};
            rc = ol_db_exec(conn, "DELETE FROM user_roles WHERE user_id = ?1 AND role = ?2", d, 2,
                            NULL);
            if (!rc)
                rc = audit_role(conn, c, "role.revoke", j->name, old, NULL);
        }
        for (const char *const *n = j->list; *n && !rc; n++) {
            int had = 0;
            for (int i = 0; i < ol_rows_count(r) && !had; i++)
                had = !strcmp(ol_rows_get(r, i, 0), *n);
            if (had)
                continue;
            char now[32];
            ol_val_t a[] = {OL_VINT(id), OL_VTEXT(*n), OL_VTEXT(c->user), OL_VTEXT(ol_now_iso(now))};
            /* A permanent grant replaces an elevation of the same role. */
            rc = ol_db_exec(conn, "DELETE FROM user_roles WHERE user_id = ?1 AND role = ?2", a, 2,
                            NULL);
            if (!rc)
                rc = ol_db_exec(conn, "INSERT INTO user_roles(user_id, role, granted_by, "
                                      "granted_at) VALUES (?1, ?2, ?3, ?4)", a, 4, NULL);
            if (!rc)
                rc = audit_role(conn, c, "role.grant", j->name, *n, NULL);
        }
        ol_rows_free(r);
    }
    if (!rc && (j->scope || j->unit)) {
        ol_val_t v[] = {OL_VINT(id), OL_VTEXT(j->scope), OL_VTEXT(j->unit && *j->unit ? j->unit : NULL),
                        OL_VINT(j->unit != NULL)};
        rc = ol_db_exec(conn, "UPDATE users SET data_scope = COALESCE(?2, data_scope), org_unit = "
                              "CASE WHEN ?4 = 1 THEN ?3 ELSE org_unit END WHERE id = ?1",
                        v, 4, NULL);
        if (rc == -OL_ECONFLICT)
            return ol_ctx_fail(c, -OL_EINVAL, "there is no organisation unit '%s'", j->unit);
        if (!rc) {
            json_t *d = json_pack("{ss*ss*}", "data_scope", j->scope, "org_unit", j->unit);
            char *text = ol_json_dump(d);
            json_decref(d);
            rc = ol_audit_write(conn, c, "user.scope", j->name, "ok", text);
            free(text);
        }
    }
    if (rc)
        return ol_ctx_db_fail(c, conn, rc);
    return access_get_job(conn, j);
}

int ol_access_set(ol_ctx_t *c, const char *username, const char *const *roles,
                  const char *data_scope, const char *org_unit)
{
    if (roles && roles_known(c, roles, "roles"))
        return -OL_EINVAL;
    if (data_scope && strcmp(data_scope, "all") && strcmp(data_scope, "group") &&
        strcmp(data_scope, "org")) {
        ol_schema_add_error(c->errors, "data_scope", "bad_filter", c->lang, "all, group or org");
        return ol_ctx_fail(c, -OL_EINVAL, "data_scope must be all, group or org");
    }
    job_t j = {.c = c, .name = username, .list = roles, .list_given = roles != NULL,
               .scope = data_scope, .unit = org_unit};
    return ol_db_write(c->db, access_set_job, &j);
}

int ol_access_elevate(ol_conn_t *conn, ol_ctx_t *c, const char *username, const char *role,
                      const char *expires_at)
{
    long long id = user_id(conn, username);
    if (id <= 0)
        return id < 0 ? ol_ctx_db_fail(c, conn, -OL_EINTERNAL)
                      : ol_ctx_fail(c, -OL_ENOTFOUND, "no user '%s'", username);
    if (!ol_role_find(role))
        return ol_ctx_fail(c, -OL_EINVAL, "'%s' is not a role", role);
    const char *add[] = {role, NULL};
    int rc = check_compatible(conn, c, id, username, add, 0);
    if (rc)
        return rc;
    char now[32];
    ol_val_t v[] = {OL_VINT(id), OL_VTEXT(role), OL_VTEXT(expires_at), OL_VTEXT(c->user),
                    OL_VTEXT(ol_now_iso(now))};
    ol_rows_t *r;
    rc = ol_db_exec(conn, "SELECT expires_at FROM user_roles WHERE user_id = ?1 AND role = ?2", v,
                    2, &r);
    if (rc)
        return ol_ctx_db_fail(c, conn, rc);
    int permanent = ol_rows_count(r) && !ol_rows_get(r, 0, 0);
    ol_rows_free(r);
    if (permanent)
        return ol_ctx_fail(c, -OL_ECONFLICT, "%s already holds %s permanently", username, role);
    rc = ol_db_exec(conn, "DELETE FROM user_roles WHERE user_id = ?1 AND role = ?2", v, 2, NULL);
    if (!rc)
        rc = ol_db_exec(conn, "INSERT INTO user_roles(user_id, role, expires_at, granted_by, "
                              "granted_at) VALUES (?1, ?2, ?3, ?4, ?5)", v, 5, NULL);
    if (!rc)
        rc = audit_role(conn, c, "role.elevate", username, role, expires_at);
    return rc ? ol_ctx_db_fail(c, conn, rc) : 0;
}

int ol_access_unelevate(ol_conn_t *conn, ol_ctx_t *c, const char *username, const char *role)
{
    long long id = user_id(conn, username);
    if (id <= 0)
        return id < 0 ? ol_ctx_db_fail(c, conn, -OL_EINTERNAL) : 0;
    ol_val_t v[] = {OL_VINT(id), OL_VTEXT(role)};
    int rc = ol_db_exec(conn, "DELETE FROM user_roles WHERE user_id = ?1 AND role = ?2 AND "
                              "expires_at IS NOT NULL", v, 2, NULL);
    if (!rc)
        rc = audit_role(conn, c, "role.unelevate", username, role, NULL);
    return rc ? ol_ctx_db_fail(c, conn, rc) : 0;
}

/* ---- groups ----------------------------------------------------------------------------------- */

static int group_list_job(ol_conn_t *conn, void *arg)
{
    job_t *j = arg;
    ol_rows_t *r;
    int rc = ol_db_exec(conn,
                        "SELECT g.name, g.label, g.org_unit, (SELECT COUNT(*) FROM group_members m "
                        "WHERE m.group_id = g.id) FROM groups g ORDER BY g.name",
                        NULL, 0, &r);
    if (rc)
        return ol_ctx_db_fail(j->c, conn, rc);
    json_t *items = json_array();
    for (int i = 0; i < ol_rows_count(r); i++)
        json_array_append_new(items, json_pack("{ssssss?sI}", "name", ol_rows_get(r, i, 0),
                                               "label", ol_rows_get(r, i, 1), "org_unit",
                                               ol_rows_get(r, i, 2), "members",
                                               (json_int_t)ol_rows_int(r, i, 3)));
    ol_rows_free(r);
    j->c->result = json_pack("{so}", "items", items);
    return 0;
}

int ol_group_list(ol_ctx_t *c)
{
    job_t j = {.c = c};
    return ol_db_read(c->db, group_list_job, &j);
}

static int group_get_job(ol_conn_t *conn, void *arg)
{
    job_t *j = arg;
    ol_rows_t *r;
    ol_val_t v[] = {OL_VTEXT(j->name)};
    int rc = ol_db_exec(conn, "SELECT id, name, label, org_unit FROM groups WHERE name = ?1", v, 1,
                        &r);
    if (rc)
        return ol_ctx_db_fail(j->c, conn, rc);
    if (!ol_rows_count(r)) {
        ol_rows_free(r);
        return ol_ctx_fail(j->c, -OL_ENOTFOUND, "no group '%s'", j->name);
    }
    ol_val_t g[] = {OL_VINT(ol_rows_int(r, 0, 0))};
    json_t *members = NULL, *roles = NULL;
    rc = query_column(conn, "SELECT u.username FROM users u JOIN group_members m ON m.user_id = "
                            "u.id WHERE m.group_id = ?1 ORDER BY u.username", g, 1, &members);
    if (!rc)
        rc = query_column(conn, "SELECT role FROM group_roles WHERE group_id = ?1 ORDER BY role", g,
                          1, &roles);
    if (rc) {
        json_decref(members);
        ol_rows_free(r);
        return ol_ctx_db_fail(j->c, conn, rc);
    }
    j->c->result = json_pack("{ssssss?soso}", "name", ol_rows_get(r, 0, 1), "label",
                             ol_rows_get(r, 0, 2), "org_unit", ol_rows_get(r, 0, 3), "members",
                             members, "roles", roles);
    ol_rows_free(r);
    return 0;
}

int ol_group_get(ol_ctx_t *c, const char *name)
{
    job_t j = {.c = c, .name = name};
    return ol_db_read(c->db, group_get_job, &j);
}

static int valid_ident(const char *s)
{
    if (!s || !*s || strlen(s) > 64)
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_' || *s == '-' ||
              *s == '.'))
            return 0;
    return 1;
}

/* A group's or unit's name and label; field errors and -OL_EINVAL when invalid. */
static int check_name_label(ol_ctx_t *c, const char *name, const char *label)
{
    if (!valid_ident(name))
        ol_schema_add_error(c->errors, "name", "bad_filter", c->lang,
                            "1-64 of a-z, 0-9, '_', '-', '.'");
    if (label && ol_utf8_len(label) > 200)
        ol_schema_add_error(c->errors, "label", "too_long", c->lang, "200");
    return json_array_size(c->errors) ? ol_ctx_fail(c, -OL_EINVAL, "the name or label is invalid")
                                      : 0;
}

static int group_create_job(ol_conn_t *conn, void *arg)
{
    job_t *j = arg;
    char now[32];
    ol_val_t v[] = {OL_VTEXT(j->name), OL_VTEXT(j->label ? j->label : ""), OL_VTEXT(j->unit),
                    OL_VTEXT(ol_now_iso(now))};
    if (j->unit) {
        ol_rows_t *r;
        int rc = ol_db_exec(conn, "SELECT 1 FROM org_units WHERE name = ?1", &v[2], 1, &r);
        if (rc)
            return ol_ctx_db_fail(j->c, conn, rc);
        int found = ol_rows_count(r);
        ol_rows_free(r);
        if (!found) {
            ol_schema_add_error(j->c->errors, "org_unit", "bad_filter", j->c->lang,
                                "no such organisation unit");
            return ol_ctx_fail(j->c, -OL_EINVAL, "there is no organisation unit '%s'", j->unit);
        }
    }
    int rc = ol_db_exec(conn, "INSERT INTO groups(name, label, org_unit, created_at) VALUES (?1, "
                              "?2, ?3, ?4)", v, 4, NULL);
    if (rc == -OL_ECONFLICT)
        return ol_ctx_fail(j->c, rc, "a group named '%s' exists", j->name);
    if (!rc)
        rc = ol_audit_write(conn, j->c, "group.create", j->name, "ok", NULL);
    if (rc)
        return ol_ctx_db_fail(j->c, conn, rc);
    j->c->status = 201;
    return group_get_job(conn, j);
}

int ol_group_create(ol_ctx_t *c, const char *name, const char *label, const char *org_unit)
{
    if (check_name_label(c, name, label))
        return -OL_EINVAL;
    job_t j = {.c = c, .name = name, .label = label, .unit = org_unit};
    return ol_db_write(c->db, group_create_job, &j);
}

/* Checks every member of group gid would stay compatible with the group's roles replaced by
 * roles (or, with member set, that this one new member would). */
static int check_members(ol_conn_t *conn, ol_ctx_t *c, long long gid, const char *const *roles,
                         long long only_user)
{
    ol_rows_t *m;
    ol_val_t v[] = {OL_VINT(only_user ? only_user : gid)};
    int rc = ol_db_exec(conn,
                        only_user ? "SELECT id, username FROM users WHERE id = ?1"
                                  : "SELECT u.id, u.username FROM users u JOIN group_members gm "
                                    "ON gm.user_id = u.id WHERE gm.group_id = ?1",
                        v, 1, &m);
    if (rc)
        return ol_ctx_db_fail(c, conn, rc);
    for (int i = 0; i < ol_rows_count(m) && !rc; i++) {
        /* The member's roles from everything but this group, plus the group's new roles. */
        char now[32];
        ol_val_t u[] = {OL_VINT(ol_rows_int(m, i, 0)), OL_VTEXT(ol_now_iso(now)), OL_VINT(gid)};
        ol_rows_t *r;
        rc = ol_db_exec(conn,
                        "SELECT role FROM user_roles WHERE user_id = ?1 AND (expires_at IS NULL OR "
                        "expires_at > ?2) UNION SELECT gr.role FROM group_roles gr JOIN "
                        "group_members gm ON gm.group_id = gr.group_id WHERE gm.user_id = ?1 AND "
                        "gr.group_id <> ?3",
                        u, 3, &r);
        if (rc) {
            rc = ol_ctx_db_fail(c, conn, rc);
            break;
        }
        const char *all[2 * MAX_LIST + 2] = {NULL};
        int n = 0;
        for (const char *const *a = roles; a && *a && n < MAX_LIST; a++)
            all[n++] = *a;
        add_rows(r, NULL, all, (int)(sizeof all / sizeof all[0]) - 1);
        char conflict[200];
        if (ol_roles_conflict(all, conflict, sizeof conflict))
            rc = ol_ctx_fail(c, -OL_ECONFLICT,
                             "separation of duties (S6): %s would hold %s (through the group), "
                             "which are incompatible",
                             ol_rows_get(m, i, 1), conflict);
        ol_rows_free(r);
    }
    ol_rows_free(m);
    return rc;
}

static int group_roles_job(ol_conn_t *conn, void *arg)
{
    job_t *j = arg;
    long long gid = group_id(conn, j->name);
    if (gid <= 0)
        return gid < 0 ? ol_ctx_db_fail(j->c, conn, -OL_EINTERNAL)
                       : ol_ctx_fail(j->c, -OL_ENOTFOUND, "no group '%s'", j->name);
    int rc = check_members(conn, j->c, gid, j->list, 0);
    if (rc)
        return rc;
    ol_rows_t *r;
    ol_val_t v[] = {OL_VINT(gid)};
    rc = ol_db_exec(conn, "SELECT role FROM group_roles WHERE group_id = ?1", v, 1, &r);
    if (rc)
        return ol_ctx_db_fail(j->c, conn, rc);
    for (int i = 0; i < ol_rows_count(r) && !rc; i++) { /* remove first (S4) */
        const char *old = ol_rows_get(r, i, 0);
        if (in_list(j->list, old))
            continue;
        ol_val_t d[] = {OL_VINT(gid), OL_VTEXT(old)};
        rc = ol_db_exec(conn, "DELETE FROM group_roles WHERE group_id = ?1 AND role = ?2", d, 2,
                        NULL);
        if (!rc)
            rc = audit_role(conn, j->c, "group.role.revoke", j->name, old, NULL);
    }
    for (const char *const *n = j->list; *n && !rc; n++) {
        int had = 0;
        for (int i = 0; i < ol_rows_count(r) && !had; i++)
            had = !strcmp(ol_rows_get(r, i, 0), *n);
        if (had)
            continue;
        ol_val_t a[] = {OL_VINT(gid), OL_VTEXT(*n)};
        rc = ol_db_exec(conn, "INSERT INTO group_roles(group_id, role) VALUES (?1, ?2)", a, 2, NULL);
        if (!rc)
            rc = audit_role(conn, j->c, "group.role.grant", j->name, *n, NULL);
    }
    ol_rows_free(r);
    if (rc)
        return ol_ctx_db_fail(j->c, conn, rc);
    return group_get_job(conn, j);
}

int ol_group_set_roles(ol_ctx_t *c, const char *name, const char *const *roles)
{
    if (roles_known(c, roles, "roles"))
        return -OL_EINVAL;
    job_t j = {.c = c, .name = name, .list = roles};
    return ol_db_write(c->db, group_roles_job, &j);
}

static int member_job(ol_conn_t *conn, void *arg)
{
    job_t *j = arg;
    int adding = j->list_given;
    long long gid = group_id(conn, j->name), uid = user_id(conn, j->extra);
    if (gid < 0 || uid < 0)
        return ol_ctx_db_fail(j->c, conn, -OL_EINTERNAL);
    if (!gid)
        return ol_ctx_fail(j->c, -OL_ENOTFOUND, "no group '%s'", j->name);
    if (!uid)
        return ol_ctx_fail(j->c, adding ? -OL_EINVAL : -OL_ENOTFOUND, "no user '%s'", j->extra);
    ol_val_t v[] = {OL_VINT(gid), OL_VINT(uid)};
    int rc;
    if (adding) {
        ol_rows_t *r;
        rc = ol_db_exec(conn, "SELECT role FROM group_roles WHERE group_id = ?1", v, 1, &r);
        if (rc)
            return ol_ctx_db_fail(j->c, conn, rc);
        const char *roles[MAX_LIST + 1] = {NULL};
        add_rows(r, NULL, roles, MAX_LIST);
        rc = check_members(conn, j->c, gid, roles, uid);
        ol_rows_free(r);
        if (rc)
            return rc;
        rc = ol_db_exec(conn, "INSERT INTO group_members(group_id, user_id) VALUES (?1, ?2)", v, 2,
                        NULL);
        if (rc == -OL_ECONFLICT)
            return ol_ctx_fail(j->c, rc, "%s is already a member of %s", j->extra, j->name);
    } else {
        ol_rows_t *r;
        rc = ol_db_exec(conn, "DELETE FROM group_members WHERE group_id = ?1 AND user_id = ?2 "
                              "RETURNING user_id", v, 2, &r);
        if (!rc && !ol_rows_count(r))
            rc = ol_ctx_fail(j->c, -OL_ENOTFOUND, "%s is not a member of %s", j->extra, j->name);
        ol_rows_free(r);
        if (rc == -OL_ENOTFOUND)
            return rc;
    }
    if (!rc) {
        json_t *d = json_pack("{ss}", "user", j->extra);
        char *text = ol_json_dump(d);
        json_decref(d);
        rc = ol_audit_write(conn, j->c, adding ? "group.member.add" : "group.member.remove",
                            j->name, "ok", text);
        free(text);
    }
    if (rc)
        return ol_ctx_db_fail(j->c, conn, rc);
    return group_get_job(conn, j);
}

int ol_group_add_member(ol_ctx_t *c, const char *name, const char *username)
{
    job_t j = {.c = c, .name = name, .extra = username, .list_given = 1};
    return ol_db_write(c->db, member_job, &j);
}

int ol_group_remove_member(ol_ctx_t *c, const char *name, const char *username)
{
    job_t j = {.c = c, .name = name, .extra = username, .list_given = 0};
    return ol_db_write(c->db, member_job, &j);
}

/* ---- organisation units ------------------------------------------------------------------- */

static json_t *unit_at(ol_rows_t *r, int i)
{
    return json_pack("{ssssss?ss?}", "name", ol_rows_get(r, i, 0), "label", ol_rows_get(r, i, 1),
                     "parent", ol_rows_get(r, i, 2), "head", ol_rows_get(r, i, 3));
}

static int unit_list_job(ol_conn_t *conn, void *arg)
{
    job_t *j = arg;
    ol_rows_t *r;
    int rc = ol_db_exec(conn, "SELECT name, label, parent, head FROM org_units ORDER BY name", NULL,
                        0, &r);
    if (rc)
        return ol_ctx_db_fail(j->c, conn, rc);
    json_t *items = json_array();
    for (int i = 0; i < ol_rows_count(r); i++)
        json_array_append_new(items, unit_at(r, i));
    ol_rows_free(r);
    j->c->result = json_pack("{so}", "items", items);
    return 0;
}

int ol_org_unit_list(ol_ctx_t *c)
{
    job_t j = {.c = c};
    return ol_db_read(c->db, unit_list_job, &j);
}

static int unit_get_job(ol_conn_t *conn, void *arg)
{
    job_t *j = arg;
    ol_rows_t *r;
    ol_val_t v[] = {OL_VTEXT(j->name)};
    int rc = ol_db_exec(conn, "SELECT name, label, parent, head FROM org_units WHERE name = ?1", v,
                        1, &r);
    if (rc)
        return ol_ctx_db_fail(j->c, conn, rc);
    if (ol_rows_count(r) == 0) {
        ol_rows_free(r);
        return ol_ctx_fail(j->c, -OL_ENOTFOUND, "there is no organisation unit '%s'", j->name);
    }
    j->c->result = unit_at(r, 0);
    ol_rows_free(r);
    return 0;
}

int ol_org_unit_get(ol_ctx_t *c, const char *name)
{
    job_t j = {.c = c, .name = name};
    return ol_db_read(c->db, unit_get_job, &j);
}

/* C6: a unit's head is an existing, enabled account; else a field error on "head". */
static int check_head(ol_conn_t *conn, ol_ctx_t *c, const char *head)
{
    if (!head || !*head)
        return 0;
    ol_rows_t *r;
    ol_val_t v[] = {OL_VTEXT(head)};
    int rc = ol_db_exec(conn, "SELECT disabled FROM users WHERE username = ?1", v, 1, &r);
    if (rc)
        return ol_ctx_db_fail(c, conn, rc);
    int ok = ol_rows_count(r) && !ol_rows_int(r, 0, 0);
    ol_rows_free(r);
    if (ok)
        return 0;
    ol_schema_add_error(c->errors, "head", "org_unit_head_unknown", c->lang, head);
    return ol_ctx_fail(c, -OL_EINVAL, "'%s' is no enabled user to head the unit", head);
}

static int unit_create_job(ol_conn_t *conn, void *arg)
{
    job_t *j = arg;
    char now[32];
    const char *head = j->head && *j->head ? j->head : NULL;
    int rc = check_head(conn, j->c, head);
    if (rc)
        return rc;
    ol_val_t v[] = {OL_VTEXT(j->name), OL_VTEXT(j->label ? j->label : ""), OL_VTEXT(j->extra),
                    OL_VTEXT(ol_now_iso(now)), OL_VTEXT(head)};
    rc = ol_db_exec(conn, "INSERT INTO org_units(name, label, parent, created_at, head) VALUES "
                          "(?1, ?2, ?3, ?4, ?5)", v, 5, NULL);
    if (rc == -OL_ECONFLICT)
        return ol_ctx_fail(j->c, rc, "the unit '%s' exists or its parent does not", j->name);
    if (!rc) {
        json_t *d = json_pack("{ss*}", "head", head);
        char *text = head ? ol_json_dump(d) : NULL;
        json_decref(d);
        rc = ol_audit_write(conn, j->c, "org_unit.create", j->name, "ok", text);
        free(text);
    }
    if (rc)
        return ol_ctx_db_fail(j->c, conn, rc);
    j->c->status = 201;
    return unit_get_job(conn, j);
}

int ol_org_unit_create(ol_ctx_t *c, const char *name, const char *label, const char *parent,
                       const char *head)
{
    if (check_name_label(c, name, label))
        return -OL_EINVAL;
    job_t j = {.c = c, .name = name, .label = label, .extra = parent, .head = head};
    return ol_db_write(c->db, unit_create_job, &j);
}

static int unit_update_job(ol_conn_t *conn, void *arg)
{
    job_t *j = arg;
    ol_ctx_t *c = j->c;
    int rc = unit_get_job(conn, j);
    if (rc)
        return rc;
    json_t *old = c->result;
    c->result = NULL;
    const char *head = j->head && *j->head ? j->head : NULL;
    if ((rc = check_head(conn, c, head))) {
        json_decref(old);
        return rc;
    }
    json_t *changed = json_object();
    if (j->label && strcmp(j->label, json_string_value(json_object_get(old, "label"))))
        json_object_set_new(changed, "label",
                            json_pack("[Os]", json_object_get(old, "label"), j->label));
    const char *was = json_string_value(json_object_get(old, "head"));
    if (j->head && ((was == NULL) != (head == NULL) || (was && head && strcmp(was, head))))
        json_object_set_new(changed, "head",
                            json_pack("[Os?]", json_object_get(old, "head"), head));
    json_decref(old);
    if (json_object_size(changed)) {
        ol_val_t v[] = {OL_VTEXT(j->name), OL_VTEXT(j->label), OL_VTEXT(head),
                        OL_VINT(j->head != NULL)};
        rc = ol_db_exec(conn, "UPDATE org_units SET label = COALESCE(?2, label), head = CASE WHEN "
                              "?4 = 1 THEN ?3 ELSE head END WHERE name = ?1", v, 4, NULL);
        char *text = ol_json_dump(changed);
        if (!rc)
            rc = ol_audit_write(conn, c, "org_unit.update", j->name, "ok", text);
        free(text);
    }
    json_decref(changed);
    if (rc)
        return ol_ctx_db_fail(c, conn, rc);
    return unit_get_job(conn, j);
}

int ol_org_unit_update(ol_ctx_t *c, const char *name, const char *label, const char *head)
{
    if (label && ol_utf8_len(label) > 200) {
        ol_schema_add_error(c->errors, "label", "too_long", c->lang, "200");
        return ol_ctx_fail(c, -OL_EINVAL, "the label is invalid");
    }
    job_t j = {.c = c, .name = name, .label = label, .head = head};
    return ol_db_write(c->db, unit_update_job, &j);
}

int ol_org_unit_head_of(ol_conn_t *conn, const char *username, char *unit, size_t unitlen,
                        char *head, size_t headlen)
{
    *unit = *head = 0;
    if (!username)
        return 0;
    ol_rows_t *r;
    ol_val_t v[] = {OL_VTEXT(username)};
    int rc = ol_db_exec(conn, "SELECT org_unit FROM users WHERE username = ?1", v, 1, &r);
    if (rc)
        return rc;
    char name[80] = "";
    if (ol_rows_count(r) && ol_rows_get(r, 0, 0))
        snprintf(name, sizeof name, "%s", ol_rows_get(r, 0, 0));
    ol_rows_free(r);
    snprintf(unit, unitlen, "%s", name);
    /* Up the tree, at most 32 levels (a cycle cannot be made through the API, but is bounded). */
    for (int depth = 0; *name && depth < 32; depth++) {
        ol_val_t u[] = {OL_VTEXT(name)};
        if ((rc = ol_db_exec(conn, "SELECT o.head, o.parent, h.disabled FROM org_units o LEFT "
                                   "JOIN users h ON h.username = o.head WHERE o.name = ?1", u, 1,
                             &r)))
            return rc;
        const char *h = ol_rows_count(r) ? ol_rows_get(r, 0, 0) : NULL;
        if (h && strcmp(h, username) && !ol_rows_int(r, 0, 2)) {
            snprintf(unit, unitlen, "%s", name);
            snprintf(head, headlen, "%s", h);
            ol_rows_free(r);
            return 0;
        }
        const char *parent = ol_rows_count(r) ? ol_rows_get(r, 0, 1) : NULL;
        snprintf(name, sizeof name, "%s", parent ? parent : "");
        ol_rows_free(r);
    }
    return 0;
}

/* ---- roles and grants --------------------------------------------------------------------- */

static int role_list_job(ol_conn_t *conn, void *arg)
{
    job_t *j = arg;
    ol_rows_t *r;
    int rc = ol_db_exec(conn, "SELECT role, resource, action FROM role_grants ORDER BY role, "
                              "resource, action", NULL, 0, &r);
    if (rc)
        return ol_ctx_db_fail(j->c, conn, rc);
    json_t *items = json_array();
    for (const ol_role_t *role = ol_builtin_roles; role->name; role++) {
        json_t *grants = json_array();
        for (int i = 0; i < ol_rows_count(r); i++)
            if (!strcmp(ol_rows_get(r, i, 0), role->name))
                json_array_append_new(grants, json_pack("{ssss}", "resource", ol_rows_get(r, i, 1),
                                                        "action", ol_rows_get(r, i, 2)));
        json_array_append_new(items, json_pack("{sssssssbso}", "name", role->name, "label_en",
                                               role->label_en, "label_zh", role->label_zh,
                                               "privileged", role->privileged, "grants", grants));
    }
    ol_rows_free(r);
    j->c->result = json_pack("{so}", "items", items);
    return 0;
}

int ol_role_list(ol_ctx_t *c)
{
    job_t j = {.c = c};
    return ol_db_read(c->db, role_list_job, &j);
}

static int grant_job(ol_conn_t *conn, void *arg)
{
    job_t *j = arg;
    char now[32];
    ol_val_t v[] = {OL_VTEXT(j->name), OL_VTEXT(j->label), OL_VTEXT(j->extra), OL_VTEXT(j->c->user),
                    OL_VTEXT(ol_now_iso(now))};
    int granting = j->list_given, rc;
    if (granting) {
        rc = ol_db_exec(conn, "INSERT INTO role_grants(role, resource, action, granted_by, "
                              "granted_at) VALUES (?1, ?2, ?3, ?4, ?5)", v, 5, NULL);
        if (rc == -OL_ECONFLICT)
            return ol_ctx_fail(j->c, rc, "%s already has %s on %s", j->name, j->extra, j->label);
    } else {
        ol_rows_t *r;
        rc = ol_db_exec(conn, "DELETE FROM role_grants WHERE role = ?1 AND resource = ?2 AND "
                              "action = ?3 RETURNING role", v, 3, &r);
        if (!rc && !ol_rows_count(r))
            rc = ol_ctx_fail(j->c, -OL_ENOTFOUND, "%s has no grant of %s on %s", j->name, j->extra,
                             j->label);
        ol_rows_free(r);
        if (rc == -OL_ENOTFOUND)
            return rc;
    }
    if (!rc) {
        json_t *d = json_pack("{ssss}", "resource", j->label, "action", j->extra);
        char *text = ol_json_dump(d);
        json_decref(d);
        rc = ol_audit_write(conn, j->c, granting ? "role.permission.grant" : "role.permission.revoke",
                            j->name, "ok", text);
        free(text);
    }
    if (rc)
        return ol_ctx_db_fail(j->c, conn, rc);
    j->c->status = granting ? 201 : 204;
    if (granting)
        j->c->result = json_pack("{ssssss}", "role", j->name, "resource", j->label, "action",
                                 j->extra);
    return 0;
}

static int grant_change(ol_ctx_t *c, const char *role, const char *resource, const char *action,
                        int granting)
{
    if (!ol_role_find(role))
        return ol_ctx_fail(c, -OL_ENOTFOUND, "no role '%s'", role);
    if (!resource || (strcmp(resource, "*") && !ol_authz_resource_valid(resource)))
        ol_schema_add_error(c->errors, "resource", "bad_filter", c->lang,
                            "a record type, audit, user, group, role, org_unit or *");
    if (!action || (strcmp(action, "*") && !ol_authz_action_valid(action)))
        ol_schema_add_error(c->errors, "action", "bad_filter", c->lang,
                            "read, create, update, comment, delete, export, reveal, administer, "
                            "transition:NAME or *");
    if (json_array_size(c->errors))
        return ol_ctx_fail(c, -OL_EINVAL, "the grant is invalid");
    job_t j = {.c = c, .name = role, .label = resource, .extra = action, .list_given = granting};
    int rc = ol_db_write(c->db, grant_job, &j);
    if (rc == 0)
        ol_authz_reload(c->db);
    return rc;
}

int ol_role_grant(ol_ctx_t *c, const char *role, const char *resource, const char *action)
{
    return grant_change(c, role, resource, action, 1);
}

int ol_role_revoke(ol_ctx_t *c, const char *role, const char *resource, const char *action)
{
    return grant_change(c, role, resource, action, 0);
}
