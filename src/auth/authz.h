/* auth/authz.h - the one access check (REQUIREMENTS S5).
 *
 * A resource is a record type name ("article") or a system resource ("audit", "user", "group",
 * "role", "org_unit"). Actions: read, create, update, comment, delete, export, reveal,
 * administer, and "transition:NAME" for a record type's transition. Allowed when:
 *   - the roles include admin (system administrator); or
 *   - the action is read or export and the roles include auditor; an auditor may do nothing
 *     else (a read-only account, audit log included); or
 *   - the record type's declaration grants it to one of the roles (its module's defaults); or
 *   - an administrator granted it to one of the roles (role_grants, "*" matching anything).
 * Separation of duties (S6) and data scope are checked where the record is known. */
#ifndef OL_AUTHZ_H
#define OL_AUTHZ_H
#include "core/db.h"

int ol_authz(const char *const *roles, const char *resource, const char *action);
/* 1 when an administrator granted the action to one of the roles (the last rule above only):
 * for a check that narrows a declaration's default, e.g. a guard (C6). */
int ol_authz_granted(const char *const *roles, const char *resource, const char *action);
/* Reads the administrators' grants into memory (at start, after a change, and periodically so
 * that several nodes agree). Returns 0 or a database error. */
int ol_authz_reload(ol_db_t *db);
/* 1 when the action is a known one (see above); transitions are checked by the caller. */
int ol_authz_action_valid(const char *action);
/* 1 when resource names a record type or a system resource. */
int ol_authz_resource_valid(const char *resource);

#endif
