/* auth/directory.h - directory (LDAP / Active Directory) login: the directory checks the
 * password, and the local account and its roles follow the directory's groups. */
#ifndef OL_DIRECTORY_H
#define OL_DIRECTORY_H
#include <stddef.h>

#include "core/config.h"
#include "core/mem.h"
#include "records/ctx.h"

#define OL_DIRECTORY_LOCAL 1 /* not a directory login: check the local password */

/* Called by ol_login before the local password check. Local accounts (auth_source 'local')
 * never go to the directory: returns OL_DIRECTORY_LOCAL for them, and for unknown names while
 * ldap_url is empty. Otherwise binds to the directory as the user, creates or updates the
 * account (auth_source 'ldap', no local password, name and e-mail from the directory), sets its
 * roles to exactly the mapped ones (removals first, S4), audits it all, writes the account name
 * (the login name in lower case) into name (>= 65 bytes) and returns 0: ol_login then goes on as
 * after a correct password. Failures are audited and return -OL_EUNAUTH (wrong password,
 * unknown user), -OL_EUNAVAILABLE (directory unreachable or not configured), -OL_ECONFLICT
 * (the mapped roles are incompatible, S6) or -OL_EFORBIDDEN (no group maps to a role; the
 * account's roles are removed), with the reason in c->detail. */
int ol_directory_login(ol_ctx_t *c, const char *username, const char *password, char *name);

/* Checks ldap_role_map: "GROUP_DN=role;GROUP_DN=role", every role a shipped one. 0 or -1. */
int ol_directory_check_config(const ol_config_t *cfg, char *err, size_t errlen);

/* Maps group DNs (NULL-terminated) to roles through ldap_role_map, DNs compared ignoring case;
 * writes at most max roles, without repeats, as strings in arena into roles (NULL-terminated).
 * Returns how many. */
int ol_directory_map_roles(const char *map, const char *const *groups, ol_arena_t *arena,
                           const char **roles, int max);

#endif
