/* auth/directory.c - directory (LDAP / Active Directory) login: the directory checks the
 * password; the local account and its roles follow the directory's groups. */
#include "auth/directory.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth/auth.h"
#include "auth/ldap_client.h"
#include "auth/roles.h"
#include "core/err.h"
#include "core/json.h"
#include "core/log.h"
#include "records/audit.h"
#include "records/schema.h"

/* ---- the role map --------------------------------------------------------------------------- */

static void trim(const char **s, size_t *len)
{
    while (*len && isspace((unsigned char)**s))
        (*s)++, (*len)--;
    while (*len && isspace((unsigned char)(*s)[*len - 1]))
        (*len)--;
}

/* Calls fn for each "DN=role" pair of the map; the role follows the last '=' (DNs hold '=').
 * Stops and returns fn's non-zero answer, or -1 on a malformed pair. */
typedef int (*pair_fn)(void *arg, const char *dn, size_t dnlen, const char *role, size_t rolelen);

static int each_pair(const char *map, pair_fn fn, void *arg)
{
    for (const char *p = map; *p;) {
        size_t len = strcspn(p, ";");
        const char *eq = NULL;
        for (const char *q = p; q < p + len; q++)
            if (*q == '=')
                eq = q;
        if (len && !eq)
            return -1;
        if (len) {
            const char *dn = p, *role = eq + 1;
            size_t dnlen = (size_t)(eq - p), rolelen = (size_t)(p + len - role);
            trim(&dn, &dnlen);
            trim(&role, &rolelen);
            if (!dnlen || !rolelen)
                return -1;
            int rc = fn(arg, dn, dnlen, role, rolelen);
            if (rc)
                return rc;
        }
        p += len + (p[len] == ';');
    }
    return 0;
}

typedef struct {
    char *err;
    size_t errlen;
} check_t;

static int check_pair(void *arg, const char *dn, size_t dnlen, const char *role, size_t rolelen)
{
    check_t *k = arg;
    char name[64];
    (void)dn;
    snprintf(name, sizeof name, "%.*s", (int)rolelen, role);
    if (rolelen >= sizeof name || !ol_role_find(name)) {
        snprintf(k->err, k->errlen, "ldap_role_map: '%.*s' is not a role of opsledger (group "
                 "%.*s)", (int)rolelen, role, (int)dnlen, dn);
        return 2;
    }
    return 0;
}

int ol_directory_check_config(const ol_config_t *cfg, char *err, size_t errlen)
{
    check_t k = {err, errlen};
    int rc = each_pair(cfg->ldap_role_map, check_pair, &k);
    if (rc == -1)
        snprintf(err, errlen, "ldap_role_map: use GROUP_DN=role pairs separated by ';', e.g. "
                 "cn=ops,ou=groups,dc=example,dc=com=ops_engineer");
    if (rc == 0 && *cfg->ldap_url && !*cfg->ldap_role_map) {
        snprintf(err, errlen, "ldap_role_map is empty: no directory user could log in");
        rc = -1;
    }
    return rc ? -1 : 0;
}

typedef struct {
    const char *const *groups;
    ol_arena_t *arena;
    const char **roles;
    int n, max;
} map_t;

static int map_pair(void *arg, const char *dn, size_t dnlen, const char *role, size_t rolelen)
{
    map_t *m = arg;
    for (const char *const *g = m->groups; *g; g++) {
        if (strlen(*g) != dnlen || strncasecmp(*g, dn, dnlen))
            continue;
        char *r = ol_arena_strndup(m->arena, role, rolelen);
        for (int i = 0; i < m->n; i++)
            if (!strcmp(m->roles[i], r))
                return 0;
        if (m->n < m->max)
            m->roles[m->n++] = r;
        return 0;
    }
    return 0;
}

int ol_directory_map_roles(const char *map, const char *const *groups, ol_arena_t *arena,
                           const char **roles, int max)
{
    map_t m = {groups, arena, roles, 0, max};
    each_pair(map, map_pair, &m);
    roles[m.n] = NULL;
    return m.n;
}

/* ---- the local account ---------------------------------------------------------------------- */

typedef struct {
    const char *name;
    int found, disabled;
    char source[16];
} account_t;

static int load_account(ol_conn_t *conn, void *arg)
{
    account_t *a = arg;
    ol_rows_t *r;
    ol_val_t p[] = {OL_VTEXT(a->name)};
    int rc = ol_db_exec(conn, "SELECT auth_source, disabled FROM users WHERE username = ?1", p, 1,
                        &r);
    if (rc)
        return rc;
    a->found = ol_rows_count(r) > 0;
    if (a->found) {
        snprintf(a->source, sizeof a->source, "%s", ol_rows_get(r, 0, 0));
        a->disabled = (int)ol_rows_int(r, 0, 1);
    }
    ol_rows_free(r);
    return 0;
}

typedef struct {
    ol_ctx_t *c;
    const char *name;
    const ol_ldap_user_t *u;
    const char *const *roles; /* NULL-terminated: exactly what the account must hold */
} sync_t;

static char *detail_json(const char *role, const sync_t *s)
{
    json_t *d = json_pack("{ssss}", "source", "ldap", "dn", s->u->dn);
    if (role)
        json_object_set_new(d, "role", json_string(role));
    char *out = ol_json_dump(d);
    json_decref(d);
    return out;
}

static int audit(ol_conn_t *conn, const sync_t *s, const char *action, const char *role)
{
    char *d = detail_json(role, s);
    int rc = ol_audit_write(conn, s->c, action, s->name, "ok", d);
    free(d);
    return rc;
}

static int has(const char *const *list, const char *s)
{
    for (; list && *list; list++)
        if (!strcmp(*list, s))
            return 1;
    return 0;
}

/* Creates or updates the account and sets its roles to s->roles: old rights are removed before
 * new ones are added (S4 "先减后增"), each change audited, all in one transaction. */
static int sync_job(ol_conn_t *conn, void *arg)
{
    sync_t *s = arg;
    char now[32];
    ol_rows_t *r;
    ol_val_t who[] = {OL_VTEXT(s->name)};
    int rc = ol_db_exec(conn, "SELECT id, auth_source, display_name, email FROM users WHERE "
                              "username = ?1", who, 1, &r);
    if (rc)
        return ol_ctx_db_fail(s->c, conn, rc);
    long long id = ol_rows_count(r) ? ol_rows_int(r, 0, 0) : 0;
    int local = id && strcmp(ol_rows_get(r, 0, 1), "ldap");
    int changed = id && (strcmp(ol_rows_get(r, 0, 2), s->u->display_name) ||
                         strcmp(ol_rows_get(r, 0, 3), s->u->email));
    ol_rows_free(r);
    if (local) /* created locally since the check before the bind */
        return ol_ctx_fail(s->c, -OL_ECONFLICT, "a local account is named '%s'", s->name);
    if (!id && !*s->roles)
        return 0;
    if (!id) {
        ol_val_t p[] = {OL_VTEXT(s->name), OL_VTEXT(s->u->display_name), OL_VTEXT(s->u->email),
                        OL_VTEXT(ol_now_iso(now))};
        /* '!' is no argon2id hash: no password can ever match it. */
        rc = ol_db_exec(conn, "INSERT INTO users(username, display_name, password_hash, "
                              "auth_source, email, created_at) VALUES (?1, ?2, '!', 'ldap', ?3, "
                              "?4) RETURNING id", p, 4, &r);
        if (rc == 0) {
            id = ol_rows_int(r, 0, 0);
            ol_rows_free(r);
            rc = audit(conn, s, "user.create", NULL);
        }
    } else if (changed) {
        ol_val_t p[] = {OL_VINT(id), OL_VTEXT(s->u->display_name), OL_VTEXT(s->u->email)};
        rc = ol_db_exec(conn, "UPDATE users SET display_name = ?2, email = ?3 WHERE id = ?1", p, 3,
                        NULL);
        if (rc == 0)
            rc = audit(conn, s, "user.update", NULL);
    }
    const char *held[OL_MAX_ROLES + 1] = {NULL};
    ol_arena_t a;
    ol_arena_init(&a);
    ol_val_t uid[] = {OL_VINT(id)};
    if (rc == 0)
        /* Permanent roles only: a temporary elevation (S4) is not the directory's to take. */
        rc = ol_db_exec(conn, "SELECT role FROM user_roles WHERE user_id = ?1 AND expires_at IS "
                              "NULL", uid, 1, &r);
    if (rc == 0) {
        for (int i = 0; i < ol_rows_count(r) && i < OL_MAX_ROLES; i++)
            held[i] = ol_arena_strdup(&a, ol_rows_get(r, i, 0));
        ol_rows_free(r);
    }
    for (const char *const *h = held; rc == 0 && *h; h++) {
        if (has(s->roles, *h))
            continue;
        ol_val_t p[] = {OL_VINT(id), OL_VTEXT(*h)};
        rc = ol_db_exec(conn, "DELETE FROM user_roles WHERE user_id = ?1 AND role = ?2 AND "
                              "expires_at IS NULL", p, 2, NULL);
        if (rc == 0)
            rc = audit(conn, s, "user.role.remove", *h);
    }
    for (const char *const *m = s->roles; rc == 0 && *m; m++) {
        if (has(held, *m))
            continue;
        ol_val_t p[] = {OL_VINT(id), OL_VTEXT(*m)};
        rc = ol_db_exec(conn, "DELETE FROM user_roles WHERE user_id = ?1 AND role = ?2", p, 2, NULL);
        if (rc == 0)
            rc = ol_db_exec(conn, "INSERT INTO user_roles(user_id, role, granted_by) VALUES (?1, ?2, "
                                  "'directory')", p, 2, NULL);
        if (rc == 0)
            rc = audit(conn, s, "user.role.add", *m);
    }
    if (rc == 0 && *s->roles)
        rc = audit(conn, s, "auth.directory", NULL);
    ol_arena_clear(&a);
    return rc ? ol_ctx_db_fail(s->c, conn, rc) : 0;
}

/* ---- login ---------------------------------------------------------------------------------- */

/* Audits a refused directory login and sets the user's message; returns rc. */
static int deny(ol_ctx_t *c, const char *name, int rc, const char *reason, const char *msg,
                const char *arg)
{
    ol_ctx_t as = *c;
    as.user = name;
    json_t *d = json_pack("{ssss}", "source", "ldap", "reason", reason);
    char *detail = ol_json_dump(d);
    json_decref(d);
    ol_audit_write_now(c->db, &as, "auth.login", name, "denied", detail);
    free(detail);
    char text[512];
    return ol_ctx_fail(c, rc, "%s", ol_msg(msg, c->lang, arg, text, sizeof text));
}

int ol_directory_login(ol_ctx_t *c, const char *username, const char *password, char *name)
{
    const ol_config_t *cfg = ol_config();
    account_t acc = {.name = username};
    int rc = ol_db_read(c->db, load_account, &acc);
    if (rc)
        return ol_ctx_fail(c, rc, "the database is unavailable");
    if (acc.found && strcmp(acc.source, "ldap"))
        return OL_DIRECTORY_LOCAL;
    /* Directory accounts are kept in lower case: the directory matches names ignoring case. */
    size_t n = strlen(username);
    if (n > 64) /* longer than any account name: the local check refuses it */
        return OL_DIRECTORY_LOCAL;
    for (size_t i = 0; i <= n; i++)
        name[i] = (char)tolower((unsigned char)username[i]);
    if (!acc.found && strcmp(name, username)) {
        acc.name = name;
        if ((rc = ol_db_read(c->db, load_account, &acc)))
            return ol_ctx_fail(c, rc, "the database is unavailable");
        if (acc.found && strcmp(acc.source, "ldap"))
            return OL_DIRECTORY_LOCAL;
    }
    if (!acc.found && !*cfg->ldap_url)
        return OL_DIRECTORY_LOCAL;
    if (!*cfg->ldap_url)
        return deny(c, name, -OL_EUNAVAILABLE, "directory login is not configured", "ldap_off",
                    NULL);

    ol_arena_t a;
    ol_arena_init(&a);
    ol_ldap_user_t u;
    char why[256];
    rc = ol_ldap_authenticate(cfg, username, password ? password : "", &a, &u, why, sizeof why);
    if (rc == -OL_EUNAVAILABLE) {
        ol_log(OL_LOG_WARN, "directory login of '%s': %s", name, why);
        rc = deny(c, name, rc, why, "ldap_unavailable", NULL);
    } else if (rc) {
        rc = deny(c, name, -OL_EUNAUTH, why, "ldap_bad_credentials", NULL);
    } else if (acc.found && acc.disabled) {
        rc = 0; /* ol_login refuses and audits a disabled account */
    } else {
        const char *roles[OL_MAX_ROLES + 1];
        int nroles = ol_directory_map_roles(cfg->ldap_role_map, u.groups, &a, roles, OL_MAX_ROLES);
        char conflict[160];
        sync_t s = {c, name, &u, roles};
        ol_ctx_t as = *c;
        as.user = name;
        s.c = &as;
        if (ol_roles_conflict(roles, conflict, sizeof conflict)) {
            char reason[256];
            snprintf(reason, sizeof reason, "S6: the directory groups map to incompatible roles "
                     "%s", conflict);
            rc = deny(c, name, -OL_ECONFLICT, reason, "ldap_roles_conflict", conflict);
        } else if ((rc = ol_db_write(c->db, sync_job, &s))) {
            snprintf(c->detail, sizeof c->detail, "%s", as.detail);
        } else if (!nroles) {
            rc = deny(c, name, -OL_EFORBIDDEN, "no directory group maps to a role", "ldap_no_role",
                      NULL);
        }
    }
    ol_arena_clear(&a);
    return rc;
}
