/* tests/unit/test_directory.c - directory login and S9 pieces without a server: LDAP filter
 * escaping (RFC 4515), the group-to-role map, the checks of the ldap_*, tls_* and proxy
 * settings, the client address behind trusted proxies, and the empty password refused before
 * any connection. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/directory.h"
#include "auth/ldap_client.h"
#include "core/config.h"
#include "core/err.h"
#include "core/proxy.h"

static ol_config_t cfg;

/* Loads the defaults plus "--key value" pairs (NULL-terminated); returns ol_config_check's rc. */
static int load(char *err, size_t errlen, ...)
{
    char *argv[32] = {"opsledger"};
    int argc = 1;
    va_list ap;
    va_start(ap, errlen);
    for (char *a; argc < 30 && (a = va_arg(ap, char *));)
        argv[argc++] = a;
    va_end(ap);
    argv[argc] = NULL;
    assert_int_equal(ol_config_load(&cfg, &argc, argv, err, errlen), 0);
    return ol_config_check(&cfg, err, errlen);
}

static char *filter(const char *tmpl, const char *value)
{
    ol_buf_t b;
    ol_buf_init(&b);
    ol_ldap_filter(tmpl, value, &b);
    return ol_buf_steal(&b);
}

static void ldap_1_1_filter_values_are_escaped(void **state)
{
    (void)state;
    char *f = filter("(uid=%s)", "*)(uid=*");
    assert_string_equal(f, "(uid=\\2a\\29\\28uid=\\2a)");
    free(f);
    f = filter("(|(sAMAccountName=%s)(userPrincipalName=%s))", "a\\b");
    assert_string_equal(f, "(|(sAMAccountName=a\\5cb)(userPrincipalName=a\\5cb))");
    free(f);
    f = filter("(uid=%s)", "张三.li-1");
    assert_string_equal(f, "(uid=张三.li-1)");
    free(f);
}

static void ldap_1_2_groups_map_to_roles_ignoring_case(void **state)
{
    (void)state;
    const char *map = " cn=Ops,ou=groups,dc=example,dc=com = ops_engineer ;"
                      "cn=admins,ou=groups,dc=example,dc=com=admin;"
                      "CN=OPS-LEADS,ou=groups,dc=example,dc=com=ops_engineer;";
    const char *groups[] = {"cn=ops,OU=groups,DC=example,DC=com",
                            "cn=ops-leads,ou=groups,dc=example,dc=com",
                            "cn=other,ou=groups,dc=example,dc=com", NULL};
    const char *roles[8];
    ol_arena_t a;
    ol_arena_init(&a);
    assert_int_equal(ol_directory_map_roles(map, groups, &a, roles, 7), 1);
    assert_string_equal(roles[0], "ops_engineer");
    assert_null(roles[1]);
    const char *none[] = {"cn=ops,ou=groups,dc=example", NULL};
    assert_int_equal(ol_directory_map_roles(map, none, &a, roles, 7), 0);
    ol_arena_clear(&a);
}

static void ldap_1_3_settings_are_checked(void **state)
{
    (void)state;
    char err[512];
    const char *base[] = {"--ldap_url", "ldap://127.0.0.1:1", "--ldap_base_dn", "dc=x"};
    assert_int_equal(load(err, sizeof err, base[0], base[1], base[2], base[3], "--ldap_role_map",
                          "cn=g,dc=x=ops_engineer", NULL), 0);
    assert_int_equal(ol_directory_check_config(&cfg, err, sizeof err), 0);
    assert_int_equal(load(err, sizeof err, base[0], base[1], base[2], base[3], "--ldap_role_map",
                          "cn=g,dc=x=wizard", NULL), 0);
    assert_int_equal(ol_directory_check_config(&cfg, err, sizeof err), -1);
    assert_non_null(strstr(err, "'wizard' is not a role"));
    assert_int_equal(load(err, sizeof err, base[0], base[1], base[2], base[3], "--ldap_role_map",
                          "no pair here", NULL), 0);
    assert_int_equal(ol_directory_check_config(&cfg, err, sizeof err), -1);
    assert_int_equal(load(err, sizeof err, base[0], base[1], base[2], base[3],
                          "--ldap_user_filter", "(uid=%d)", NULL), -1);
    assert_non_null(strstr(err, "the only placeholder allowed is %s"));
    assert_int_equal(load(err, sizeof err, base[0], base[1], base[2], base[3],
                          "--ldap_user_filter", "uid=%s", NULL), -1);
    assert_int_equal(load(err, sizeof err, base[0], base[1], NULL), -1);
    assert_non_null(strstr(err, "ldap_base_dn is required"));
    assert_int_equal(load(err, sizeof err, "--ldap_url", "ldaps://h", "--ldap_base_dn", "dc=x",
                          "--ldap_starttls", "on", NULL), -1);
    assert_int_equal(
        load(err, sizeof err, "--ldap_url", "http://h", "--ldap_base_dn", "dc=x", NULL), -1);
    assert_int_equal(load(err, sizeof err, base[0], base[1], base[2], base[3], "--ldap_bind_dn",
                          "cn=svc", NULL), -1);
    assert_non_null(strstr(err, "ldap_bind_password_file"));
    assert_int_equal(load(err, sizeof err, "--tls_min_version", "1.1", NULL), -1);
    assert_int_equal(load(err, sizeof err, "--tls_key", "/k.pem", NULL), -1);
    assert_int_equal(
        load(err, sizeof err, "--trusted_proxies", "10.0.0.0/8,::1, 192.168.1.1", NULL), 0);
    assert_int_equal(
        load(err, sizeof err, "--trusted_proxies", "10.0.0.0/8,proxy.local", NULL), -1);
}

/* An empty password is refused before connecting (a simple bind without a password is an
 * anonymous bind that servers accept); a real one gets as far as the unreachable server. */
static void ldap_1_4_empty_password_never_reaches_the_server(void **state)
{
    (void)state;
    char err[512];
    assert_int_equal(load(err, sizeof err, "--ldap_url", "ldap://127.0.0.1:1", "--ldap_base_dn",
                          "dc=x", "--ldap_timeout", "2", NULL), 0);
    ol_arena_t a;
    ol_arena_init(&a);
    ol_ldap_user_t u;
    assert_int_equal(ol_ldap_authenticate(&cfg, "alice", "", &a, &u, err, sizeof err), -OL_EUNAUTH);
    assert_non_null(strstr(err, "empty password"));
    assert_int_equal(ol_ldap_authenticate(&cfg, "alice", "pw", &a, &u, err, sizeof err),
                     -OL_EUNAVAILABLE);
    ol_arena_clear(&a);
}

static void proxy_1_1_client_address_behind_trusted_proxies(void **state)
{
    (void)state;
    char ip[64];
    const char *trusted = "10.0.0.0/8, 127.0.0.1, fd00::/8";
    ol_proxy_client_ip(trusted, "127.0.0.1", "203.0.113.9", ip, sizeof ip);
    assert_string_equal(ip, "203.0.113.9");
    ol_proxy_client_ip(trusted, "127.0.0.1", "6.6.6.6, 203.0.113.9, 10.2.3.4", ip, sizeof ip);
    assert_string_equal(ip, "203.0.113.9");
    ol_proxy_client_ip(trusted, "192.0.2.1", "203.0.113.9", ip, sizeof ip);
    assert_string_equal(ip, "192.0.2.1"); /* the peer is no proxy: the header is ignored */
    ol_proxy_client_ip("", "127.0.0.1", "203.0.113.9", ip, sizeof ip);
    assert_string_equal(ip, "127.0.0.1");
    ol_proxy_client_ip(trusted, "127.0.0.1", "not-an-ip", ip, sizeof ip);
    assert_string_equal(ip, "127.0.0.1");
    ol_proxy_client_ip(trusted, "127.0.0.1", "2001:db8::1, fd00::5", ip, sizeof ip);
    assert_string_equal(ip, "2001:db8::1");
    ol_proxy_client_ip(trusted, "127.0.0.1", "10.0.0.7, 10.0.0.8", ip, sizeof ip);
    assert_string_equal(ip, "10.0.0.7"); /* all trusted: the left-most */
    ol_proxy_client_ip("10.0.0.0/9", "10.200.0.1", "203.0.113.9", ip, sizeof ip);
    assert_string_equal(ip, "10.200.0.1"); /* outside the /9 */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ldap_1_1_filter_values_are_escaped),
        cmocka_unit_test(ldap_1_2_groups_map_to_roles_ignoring_case),
        cmocka_unit_test(ldap_1_3_settings_are_checked),
        cmocka_unit_test(ldap_1_4_empty_password_never_reaches_the_server),
        cmocka_unit_test(proxy_1_1_client_address_behind_trusted_proxies),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
