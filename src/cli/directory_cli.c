/* cli/directory_cli.c - `opsledger directory check NAME`: what a directory login of NAME would
 * find (entry, groups, mapped roles), to set up the ldap_* settings without trial and error. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"
#include "auth/directory.h"
#include "auth/ldap_client.h"
#include "auth/roles.h"
#include "cli/cli.h"
#include "core/err.h"

int ol_cli_directory(ol_config_t *cfg, int argc, char **argv)
{
    char err[512];
    if (argc < 3 || strcmp(argv[1], "check") || !strncmp(argv[2], "--", 2)) {
        fprintf(stderr, "usage: opsledger directory check NAME [--password-file FILE]\n"
                        "  looks NAME up with the ldap_* settings and prints its entry, groups and "
                        "mapped roles;\n  with --password-file (or OPSLEDGER_LDAP_TEST_PASSWORD) "
                        "also binds as NAME. Changes nothing.\n");
        return 2;
    }
    if (ol_config_check(cfg, err, sizeof err) || ol_directory_check_config(cfg, err, sizeof err)) {
        fprintf(stderr, "opsledger: configuration: %s\n", err);
        return 2;
    }
    if (!*cfg->ldap_url) {
        fprintf(stderr, "opsledger: directory login is off: set ldap_url\n");
        return 2;
    }
    const char *pwfile = ol_cli_flag(argc, argv, "password-file");
    char *pw = pwfile || getenv("OPSLEDGER_LDAP_TEST_PASSWORD")
                   ? ol_cli_read_secret(pwfile, "OPSLEDGER_LDAP_TEST_PASSWORD", "Password: ", 0)
                   : NULL;
    if (pwfile && !pw)
        return 2;
    ol_arena_t a;
    ol_arena_init(&a);
    ol_ldap_user_t u;
    int bound = pw != NULL;
    int rc = ol_ldap_authenticate(cfg, argv[2], pw, &a, &u, err, sizeof err);
    if (pw) {
        memset(pw, 0, strlen(pw));
        free(pw);
    }
    if (rc) {
        fprintf(stderr, "opsledger: %s: %s\n", argv[2], err);
        ol_arena_clear(&a);
        return rc == -OL_EUNAVAILABLE ? 3 : 1;
    }
    printf("dn: %s\nname: %s\nemail: %s\n", u.dn, u.display_name, u.email);
    for (int i = 0; i < u.ngroups; i++)
        printf("group: %s\n", u.groups[i]);
    const char *roles[OL_MAX_ROLES + 1];
    int n = ol_directory_map_roles(cfg->ldap_role_map, u.groups, &a, roles, OL_MAX_ROLES);
    for (int i = 0; i < n; i++)
        printf("role: %s\n", roles[i]);
    char conflict[160];
    if (ol_roles_conflict(roles, conflict, sizeof conflict)) {
        fprintf(stderr, "opsledger: %s would be refused: the roles %s are incompatible (S6)\n",
                argv[2], conflict);
        rc = 1;
    } else if (!n) {
        fprintf(stderr, "opsledger: %s would be refused: no group is mapped to a role "
                "(ldap_role_map)\n", argv[2]);
        rc = 1;
    } else if (bound) {
        printf("password: accepted by the directory\n");
    }
    ol_arena_clear(&a);
    return rc;
}
