/* auth/ldap_client.h - the conversation with an LDAP or Active Directory server (libldap):
 * find a user with the service account, check the user's password by binding, read the groups. */
#ifndef OL_LDAP_CLIENT_H
#define OL_LDAP_CLIENT_H
#include <stddef.h>

#include "core/config.h"
#include "core/mem.h"

#define OL_LDAP_MAX_GROUPS 256

typedef struct {
    const char *dn;           /* the user's entry */
    const char *display_name; /* displayName, else cn; "" when neither */
    const char *email;        /* mail; "" when absent */
    const char *groups[OL_LDAP_MAX_GROUPS + 1]; /* group DNs, NULL-terminated */
    int ngroups;
} ol_ldap_user_t;

/* Finds username with the configured filter (the name escaped per RFC 4515), reads its groups,
 * and, when password is not NULL, binds as the user with it. A NULL password only looks the
 * user up (`opsledger directory check`); an empty one is refused here, before any connection,
 * because a simple bind with an empty password is an anonymous bind that servers accept.
 * Strings are allocated in arena. Returns 0; -OL_EUNAUTH when the user is not found, is found
 * twice, or the password is wrong; -OL_EUNAVAILABLE when the server cannot be reached, times
 * out or refuses the service account. err receives a reason for the audit trail and the log
 * (never a password). THREAD SAFETY: each call uses its own connection. */
int ol_ldap_authenticate(const ol_config_t *cfg, const char *username, const char *password,
                         ol_arena_t *arena, ol_ldap_user_t *out, char *err, size_t errlen);

/* Appends tmpl to out with every %s replaced by value escaped per RFC 4515 (the characters
 * * ( ) \ and NUL become \2a \28 \29 \5c \00), so that input can never change the filter. */
void ol_ldap_filter(const char *tmpl, const char *value, ol_buf_t *out);

#endif
