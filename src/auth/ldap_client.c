/* auth/ldap_client.c - the conversation with an LDAP or Active Directory server (libldap). */
#include "auth/ldap_client.h"

#include <errno.h>
#include <lber.h>
#include <ldap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "core/err.h"

void ol_ldap_filter(const char *tmpl, const char *value, ol_buf_t *out)
{
    for (const char *p = tmpl; *p; p++) {
        if (p[0] != '%' || p[1] != 's') {
            ol_buf_append(out, p, 1);
            continue;
        }
        for (const char *v = value; *v; v++) {
            if (*v == '*' || *v == '(' || *v == ')' || *v == '\\')
                ol_buf_printf(out, "\\%02x", (unsigned char)*v);
            else
                ol_buf_append(out, v, 1);
        }
        p++;
    }
    ol_buf_append(out, "", 1); /* NUL-terminate; len counts it */
    out->len--;
}

/* Server-side trouble (unreachable, busy, timed out) as opposed to an answer about the user. */
static int unreachable(int lrc)
{
    return lrc == LDAP_SERVER_DOWN || lrc == LDAP_CONNECT_ERROR || lrc == LDAP_TIMEOUT ||
           lrc == LDAP_TIMELIMIT_EXCEEDED || lrc == LDAP_UNAVAILABLE || lrc == LDAP_BUSY ||
           lrc == LDAP_UNWILLING_TO_PERFORM;
}

/* Describes a failed operation: libldap's message, its diagnostic when it has one, and a hint
 * when the connection uses TLS (a certificate that cannot be verified reads as "Can't contact
 * LDAP server"). */
static int fail(LDAP *ld, const ol_config_t *cfg, int rc, char *err, size_t errlen,
                const char *what, int lrc)
{
    char *diag = NULL;
    if (ld)
        ldap_get_option(ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &diag);
    int tls = !strncmp(cfg->ldap_url, "ldaps://", 8) || !strcmp(cfg->ldap_starttls, "on");
    snprintf(err, errlen, "%s: %s%s%s%s", what, ldap_err2string(lrc), diag && *diag ? " (" : "",
             diag && *diag ? diag : "", diag && *diag ? ")" : "");
    if (tls && unreachable(lrc)) {
        size_t n = strlen(err);
        snprintf(err + n, errlen - n, "; or its TLS certificate is not trusted (ldap_ca_file)");
    }
    ldap_memfree(diag);
    return rc;
}

static int simple_bind(LDAP *ld, const char *dn, const char *pw)
{
    struct berval cred = {strlen(pw), (char *)pw};
    return ldap_sasl_bind_s(ld, dn, LDAP_SASL_SIMPLE, &cred, NULL, NULL, NULL);
}

/* Reads the service account's password file (first line). Caller wipes and frees. */
static char *read_password_file(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "cannot read ldap_bind_password_file %s: %s", path, strerror(errno));
        return NULL;
    }
    char *pw = ol_xcalloc(1, 1024);
    if (!fgets(pw, 1024, f))
        pw[0] = 0;
    fclose(f);
    pw[strcspn(pw, "\r\n")] = 0;
    if (!*pw) {
        free(pw);
        snprintf(err, errlen, "ldap_bind_password_file %s is empty", path);
        return NULL;
    }
    return pw;
}

static int connect_directory(const ol_config_t *cfg, LDAP **out, char *err, size_t errlen)
{
    LDAP *ld = NULL;
    int lrc = ldap_initialize(&ld, cfg->ldap_url);
    if (lrc != LDAP_SUCCESS)
        return fail(NULL, cfg, -OL_EUNAVAILABLE, err, errlen, "ldap_url", lrc);
    *out = ld;
    int v3 = LDAP_VERSION3, off = 0;
    struct timeval tv = {ol_config_int(cfg->ldap_timeout), 0};
    ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &v3);
    ldap_set_option(ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF); /* AD's referrals need other binds */
    ldap_set_option(ld, LDAP_OPT_NETWORK_TIMEOUT, &tv);
    ldap_set_option(ld, LDAP_OPT_TIMEOUT, &tv);
    if (*cfg->ldap_ca_file) {
        int demand = LDAP_OPT_X_TLS_DEMAND;
        ldap_set_option(ld, LDAP_OPT_X_TLS_CACERTFILE, cfg->ldap_ca_file);
        ldap_set_option(ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &demand);
        ldap_set_option(ld, LDAP_OPT_X_TLS_NEWCTX, &off);
    }
    if (!strcmp(cfg->ldap_starttls, "on") &&
        (lrc = ldap_start_tls_s(ld, NULL, NULL)) != LDAP_SUCCESS)
        return fail(ld, cfg, -OL_EUNAVAILABLE, err, errlen, "StartTLS with the directory failed",
                    lrc);
    return 0;
}

/* Binds as the service account (or stays anonymous when ldap_bind_dn is empty). */
static int bind_service(const ol_config_t *cfg, LDAP *ld, char *err, size_t errlen)
{
    if (!*cfg->ldap_bind_dn)
        return 0;
    char *pw = read_password_file(cfg->ldap_bind_password_file, err, errlen);
    if (!pw)
        return -OL_EUNAVAILABLE;
    int lrc = simple_bind(ld, cfg->ldap_bind_dn, pw);
    memset(pw, 0, 1024);
    free(pw);
    if (lrc != LDAP_SUCCESS)
        return fail(ld, cfg, -OL_EUNAVAILABLE, err, errlen,
                    unreachable(lrc) ? "the directory server is unreachable"
                                     : "the directory refused the service account (ldap_bind_dn)",
                    lrc);
    return 0;
}

static const char *first_value(LDAP *ld, LDAPMessage *e, const char *attr, ol_arena_t *a)
{
    struct berval **v = ldap_get_values_len(ld, e, attr);
    const char *s = v && v[0] ? ol_arena_strndup(a, v[0]->bv_val, v[0]->bv_len) : NULL;
    ldap_value_free_len(v);
    return s;
}

static void add_group(ol_ldap_user_t *u, const char *dn)
{
    if (u->ngroups < OL_LDAP_MAX_GROUPS) {
        u->groups[u->ngroups++] = dn;
        u->groups[u->ngroups] = NULL;
    }
}

/* Finds the one entry that the user filter selects and reads its attributes. */
static int find_user(const ol_config_t *cfg, LDAP *ld, const char *username, ol_arena_t *a,
                     ol_ldap_user_t *u, char *err, size_t errlen)
{
    ol_buf_t f;
    ol_buf_init(&f);
    ol_ldap_filter(cfg->ldap_user_filter, username, &f);
    char *attrs[] = {"displayName", "cn", "mail", (char *)cfg->ldap_group_attr, NULL};
    if (!*cfg->ldap_group_attr || *cfg->ldap_group_filter)
        attrs[3] = NULL;
    struct timeval tv = {ol_config_int(cfg->ldap_timeout), 0};
    LDAPMessage *res = NULL;
    int lrc = ldap_search_ext_s(ld, cfg->ldap_base_dn, LDAP_SCOPE_SUBTREE, f.p, attrs, 0, NULL,
                                NULL, &tv, 2, &res);
    ol_buf_clear(&f);
    int n = res ? ldap_count_entries(ld, res) : 0;
    int rc = 0;
    if (lrc == LDAP_SIZELIMIT_EXCEEDED || n > 1) {
        rc = -OL_EUNAUTH;
        snprintf(err, errlen, "the user filter matches more than one directory entry");
    } else if (lrc != LDAP_SUCCESS && lrc != LDAP_NO_SUCH_OBJECT) {
        rc = fail(ld, cfg, -OL_EUNAVAILABLE, err, errlen, "the directory search failed", lrc);
    } else if (n == 0) {
        rc = -OL_EUNAUTH;
        snprintf(err, errlen, "no such user in the directory");
    } else {
        LDAPMessage *e = ldap_first_entry(ld, res);
        char *dn = ldap_get_dn(ld, e);
        u->dn = ol_arena_strdup(a, dn ? dn : "");
        ldap_memfree(dn);
        const char *name = first_value(ld, e, "displayName", a);
        const char *mail = first_value(ld, e, "mail", a);
        u->display_name = name ? name : first_value(ld, e, "cn", a);
        u->display_name = u->display_name ? u->display_name : "";
        u->email = mail ? mail : "";
        struct berval **g = attrs[3] ? ldap_get_values_len(ld, e, attrs[3]) : NULL;
        for (int i = 0; g && g[i]; i++)
            add_group(u, ol_arena_strndup(a, g[i]->bv_val, g[i]->bv_len));
        ldap_value_free_len(g);
    }
    ldap_msgfree(res);
    return rc;
}

/* ldap_group_filter: the groups are the entries whose filter names the user's DN. */
static int search_groups(const ol_config_t *cfg, LDAP *ld, ol_arena_t *a, ol_ldap_user_t *u,
                         char *err, size_t errlen)
{
    ol_buf_t f;
    ol_buf_init(&f);
    ol_ldap_filter(cfg->ldap_group_filter, u->dn, &f);
    char *attrs[] = {LDAP_NO_ATTRS, NULL};
    struct timeval tv = {ol_config_int(cfg->ldap_timeout), 0};
    LDAPMessage *res = NULL;
    int lrc = ldap_search_ext_s(ld, cfg->ldap_base_dn, LDAP_SCOPE_SUBTREE, f.p, attrs, 0, NULL,
                                NULL, &tv, OL_LDAP_MAX_GROUPS, &res);
    ol_buf_clear(&f);
    int rc = 0;
    if (lrc != LDAP_SUCCESS && lrc != LDAP_SIZELIMIT_EXCEEDED && lrc != LDAP_NO_SUCH_OBJECT)
        rc = fail(ld, cfg, -OL_EUNAVAILABLE, err, errlen, "the directory group search failed", lrc);
    for (LDAPMessage *e = rc ? NULL : ldap_first_entry(ld, res); e; e = ldap_next_entry(ld, e)) {
        char *dn = ldap_get_dn(ld, e);
        if (dn)
            add_group(u, ol_arena_strdup(a, dn));
        ldap_memfree(dn);
    }
    ldap_msgfree(res);
    return rc;
}

int ol_ldap_authenticate(const ol_config_t *cfg, const char *username, const char *password,
                         ol_arena_t *arena, ol_ldap_user_t *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (password && !*password) {
        snprintf(err, errlen, "an empty password is refused (it would be an anonymous bind)");
        return -OL_EUNAUTH;
    }
    LDAP *ld = NULL;
    int rc = connect_directory(cfg, &ld, err, errlen);
    if (rc == 0)
        rc = bind_service(cfg, ld, err, errlen);
    if (rc == 0)
        rc = find_user(cfg, ld, username, arena, out, err, errlen);
    if (rc == 0 && *cfg->ldap_group_filter)
        rc = search_groups(cfg, ld, arena, out, err, errlen);
    if (rc == 0 && password) {
        int lrc = simple_bind(ld, out->dn, password);
        if (lrc == LDAP_INVALID_CREDENTIALS)
            rc = -OL_EUNAUTH, snprintf(err, errlen, "wrong password");
        else if (lrc != LDAP_SUCCESS)
            rc = fail(ld, cfg, unreachable(lrc) ? -OL_EUNAVAILABLE : -OL_EUNAUTH, err, errlen,
                      "the directory refused the user's bind", lrc);
    }
    if (ld)
        ldap_unbind_ext_s(ld, NULL, NULL);
    return rc;
}
