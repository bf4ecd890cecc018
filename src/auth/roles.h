/* auth/roles.h - the roles shipped with opsledger (JR/T 0079 Appendix A, plus auditor and system
 * administrator) and the rules about holding them: which are privileged (S1 longer passwords,
 * S3 mandatory MFA, S4 monthly reviews) and which may not be held together (S6). */
#ifndef OL_ROLES_H
#define OL_ROLES_H
#include <stddef.h>

typedef struct {
    const char *name; /* "ops_manager" */
    const char *label_en, *label_zh;
    int privileged;
} ol_role_t;

/* Every shipped role, NULL-name terminated. */
extern const ol_role_t ol_builtin_roles[];

const ol_role_t *ol_role_find(const char *name);
/* 1 when any of roles (NULL-terminated) is privileged. */
int ol_roles_privileged(const char *const *roles);
/* S6: when roles (NULL-terminated) hold two roles of different incompatible sets (config
 * incompatible_roles, e.g. "ops_manager,ops_engineer;dev_manager,developer"), writes
 * "ops_engineer and developer" into buf and returns buf; NULL when compatible. */
const char *ol_roles_conflict(const char *const *roles, char *buf, size_t len);

#endif
