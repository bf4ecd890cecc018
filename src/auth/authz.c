/* auth/authz.c - the one access check; see authz.h for the rules. */
#include "auth/authz.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "records/schema.h"

typedef struct {
    char *role, *resource, *action;
} grant_t;

/* THREAD SAFETY: grants is replaced whole under the write lock and read under the read lock. */
static pthread_rwlock_t lock = PTHREAD_RWLOCK_INITIALIZER;
static grant_t *grants;
static size_t ngrants;

static const char *const system_resources[] = {"audit", "user", "group", "role", "org_unit",
                                                "notification_channel", "config",
                                                "integration", NULL};
static const char *const actions[] = {"read",   "create", "update",  "comment",    "delete",
                                      "export", "reveal", "administer", NULL};

static int has(const char *const *list, const char *s)
{
    for (; list && *list; list++)
        if (!strcmp(*list, s))
            return 1;
    return 0;
}

int ol_authz_action_valid(const char *action)
{
    return action && (has(actions, action) || !strncmp(action, "transition:", 11));
}

int ol_authz_resource_valid(const char *resource)
{
    return resource && (has(system_resources, resource) || ol_schema_by_name(resource));
}

/* What the record type's declaration grants (its module's defaults). */
static int declared(const char *const *roles, const ol_record_type_t *t, const char *action)
{
    const ol_perms_t *p = &t->perms;
    if (!strncmp(action, "transition:", 11)) {
        const ol_transition_t *tr = ol_schema_transition(t, action + 11);
        return tr && ol_roles_allow(p->update, roles) &&
               (!tr->roles || ol_roles_allow(tr->roles, roles));
    }
    const char *const *allowed = !strcmp(action, "read")      ? p->read
                                 : !strcmp(action, "create")  ? p->create
                                 : !strcmp(action, "update")  ? p->update
                                 : !strcmp(action, "comment") ? p->comment
                                 : !strcmp(action, "delete")  ? p->delete
                                 : !strcmp(action, "export")  ? p->export
                                 : !strcmp(action, "reveal")  ? p->reveal
                                                              : NULL;
    return allowed && ol_roles_allow(allowed, roles);
}

static int granted(const char *const *roles, const char *resource, const char *action)
{
    int ok = 0;
    pthread_rwlock_rdlock(&lock);
    for (size_t i = 0; i < ngrants && !ok; i++) {
        const grant_t *g = &grants[i];
        ok = has(roles, g->role) && (!strcmp(g->resource, "*") || !strcmp(g->resource, resource)) &&
             (!strcmp(g->action, "*") || !strcmp(g->action, action));
    }
    pthread_rwlock_unlock(&lock);
    return ok;
}

int ol_authz_granted(const char *const *roles, const char *resource, const char *action)
{
    return granted(roles, resource, action);
}

int ol_authz(const char *const *roles, const char *resource, const char *action)
{
    if (has(roles, "admin"))
        return 1;
    /* An auditor's account is read-only, whatever else the declarations grant to "*". */
    if (has(roles, "auditor"))
        return !strcmp(action, "read") || !strcmp(action, "export");
    const ol_record_type_t *t = ol_schema_by_name(resource);
    if (t && declared(roles, t, action))
        return 1;
    return granted(roles, resource, action);
}

static int load(ol_conn_t *conn, void *arg)
{
    ol_rows_t **out = arg;
    return ol_db_exec(conn, "SELECT role, resource, action FROM role_grants ORDER BY role", NULL,
                      0, out);
}

int ol_authz_reload(ol_db_t *db)
{
    ol_rows_t *r = NULL;
    int rc = ol_db_read(db, load, &r);
    if (rc)
        return rc;
    size_t n = (size_t)ol_rows_count(r);
    grant_t *g = ol_xcalloc(n ? n : 1, sizeof *g);
    for (size_t i = 0; i < n; i++)
        g[i] = (grant_t){ol_xstrdup(ol_rows_get(r, (int)i, 0)), ol_xstrdup(ol_rows_get(r, (int)i, 1)),
                         ol_xstrdup(ol_rows_get(r, (int)i, 2))};
    ol_rows_free(r);
    pthread_rwlock_wrlock(&lock);
    grant_t *old = grants;
    size_t nold = ngrants;
    grants = g;
    ngrants = n;
    pthread_rwlock_unlock(&lock);
    for (size_t i = 0; i < nold; i++) {
        free(old[i].role);
        free(old[i].resource);
        free(old[i].action);
    }
    free(old);
    return 0;
}
