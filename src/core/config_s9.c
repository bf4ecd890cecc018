/* core/config_s9.c - checks of the directory (LDAP), TLS and proxy settings; the role names
 * of ldap_role_map are checked by auth/directory.c, which knows the roles. */
#include <stdio.h>
#include <string.h>

#include "core/config.h"
#include "core/proxy.h"
#include "core/tls.h"

/* A filter template: one LDAP filter in parentheses using %s (the escaped value) and no other
 * conversion, so that it can never be read as a printf format. */
static int bad_template(const char *key, const char *t, char *err, size_t errlen)
{
    size_t n = strlen(t);
    int uses = 0;
    for (const char *p = t; (p = strchr(p, '%')); p += 2) {
        if (p[1] != 's') {
            snprintf(err, errlen, "%s = '%s': the only placeholder allowed is %%s", key, t);
            return 1;
        }
        uses++;
    }
    if (n < 3 || t[0] != '(' || t[n - 1] != ')' || !uses) {
        snprintf(err, errlen, "%s = '%s': use an LDAP filter in parentheses with %%s, "
                 "e.g. (uid=%%s)", key, t);
        return 1;
    }
    return 0;
}

int ol_config_check_s9(const ol_config_t *cfg, char *err, size_t errlen)
{
    if (ol_proxy_list_check(cfg->trusted_proxies, err, errlen))
        return -1;
    if (!ol_tls_priorities(cfg->tls_min_version)) {
        snprintf(err, errlen, "tls_min_version = '%s': use 1.2 or 1.3", cfg->tls_min_version);
        return -1;
    }
    if (!*cfg->tls_cert != !*cfg->tls_key) {
        snprintf(err, errlen, "set both tls_cert and tls_key for native HTTPS, or neither");
        return -1;
    }
    if (strcmp(cfg->ldap_starttls, "on") && strcmp(cfg->ldap_starttls, "off")) {
        snprintf(err, errlen, "ldap_starttls = '%s': use on or off", cfg->ldap_starttls);
        return -1;
    }
    if (!*cfg->ldap_url)
        return 0;
    int ldaps = !strncmp(cfg->ldap_url, "ldaps://", 8);
    if (!ldaps && strncmp(cfg->ldap_url, "ldap://", 7)) {
        snprintf(err, errlen, "ldap_url = '%s': use ldap://HOST[:PORT] or ldaps://HOST[:PORT]",
                 cfg->ldap_url);
        return -1;
    }
    if (ldaps && !strcmp(cfg->ldap_starttls, "on")) {
        snprintf(err, errlen, "ldap_starttls = on needs an ldap:// URL (ldaps:// is TLS already)");
        return -1;
    }
    if (!*cfg->ldap_base_dn) {
        snprintf(err, errlen, "ldap_base_dn is required when ldap_url is set");
        return -1;
    }
    if (*cfg->ldap_bind_dn && !*cfg->ldap_bind_password_file) {
        snprintf(err, errlen, "ldap_bind_dn needs ldap_bind_password_file (the password is "
                 "never given on the command line)");
        return -1;
    }
    if (bad_template("ldap_user_filter", cfg->ldap_user_filter, err, errlen) ||
        (*cfg->ldap_group_filter &&
         bad_template("ldap_group_filter", cfg->ldap_group_filter, err, errlen)))
        return -1;
    if (!*cfg->ldap_group_filter && !*cfg->ldap_group_attr) {
        snprintf(err, errlen, "set ldap_group_attr (e.g. memberOf) or ldap_group_filter");
        return -1;
    }
    return 0;
}
