/* auth/access.h - who holds which roles (S4-S6): direct roles, roles inherited from groups
 * (support teams), time-bound elevations, organisation units, data scope, and the grants
 * administrators add to roles. Every change is one transaction with its audit entries, and is
 * refused with 409 when it would leave an account holding incompatible roles (S6). */
#ifndef OL_ACCESS_H
#define OL_ACCESS_H
#include "auth/auth.h"

/* Fills p's roles (direct, unexpired elevations and group roles), groups and data scope for
 * user_id; strings in arena. Used by ol_authenticate on every request. */
int ol_access_load(ol_conn_t *conn, long long user_id, ol_arena_t *arena, ol_principal_t *p);

/* {"username", "roles" (direct), "elevated" [{role, expires_at}], "group_roles", "groups",
 * "effective", "org_unit", "data_scope"} into c->result. */
int ol_access_get(ol_ctx_t *c, const char *username);
/* Changes a user's direct roles (NULL = unchanged), data scope ("all", "group", "org"; NULL =
 * unchanged) and org unit (NULL = unchanged, "" = none). Old roles are removed before new
 * ones are added (S4 "先减后增"), each audited. */
int ol_access_set(ol_ctx_t *c, const char *username, const char *const *roles,
                  const char *data_scope, const char *org_unit);
/* Grants role to username until expires_at (temporary elevation, S4), inside the caller's
 * transaction; and takes it back. */
int ol_access_elevate(ol_conn_t *conn, ol_ctx_t *c, const char *username, const char *role,
                      const char *expires_at);
int ol_access_unelevate(ol_conn_t *conn, ol_ctx_t *c, const char *username, const char *role);

int ol_group_list(ol_ctx_t *c);
int ol_group_get(ol_ctx_t *c, const char *name);
int ol_group_create(ol_ctx_t *c, const char *name, const char *label, const char *org_unit);
int ol_group_set_roles(ol_ctx_t *c, const char *name, const char *const *roles);
int ol_group_add_member(ol_ctx_t *c, const char *name, const char *username);
int ol_group_remove_member(ol_ctx_t *c, const char *name, const char *username);

/* Units are {"name", "label", "parent", "head"}; head (C6) is a user or null. */
int ol_org_unit_list(ol_ctx_t *c);
int ol_org_unit_get(ol_ctx_t *c, const char *name);
int ol_org_unit_create(ol_ctx_t *c, const char *name, const char *label, const char *parent,
                       const char *head);
/* Changes a unit's label (NULL = unchanged) and head (NULL = unchanged, "" = none), audited
 * "org_unit.update" with what changed. */
int ol_org_unit_update(ol_ctx_t *c, const char *name, const char *label, const char *head);
/* C6: the head of username's org unit, walking up the parents while a unit has no head (or is
 * headed by username itself, or by a disabled account), inside the caller's transaction. unit
 * gets the unit whose head was found (or the user's own unit when none was, "" when the user has
 * none), head the head ("" when none). Returns 0 or a database error. */
int ol_org_unit_head_of(ol_conn_t *conn, const char *username, char *unit, size_t unitlen,
                        char *head, size_t headlen);

/* Roles with their labels, privilege and administrators' grants. */
int ol_role_list(ol_ctx_t *c);
int ol_role_grant(ol_ctx_t *c, const char *role, const char *resource, const char *action);
int ol_role_revoke(ol_ctx_t *c, const char *role, const char *resource, const char *action);

#endif
