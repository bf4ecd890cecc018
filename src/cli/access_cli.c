/* cli/access_cli.c - access control from the command line (S4-S6), for administrators on the
 * server itself; the same operations as /api/v1/roles, /groups, /org_units and
 * /users/{name}/access, audited as the actor "cli":
 *   opsledger role list | show USER | set USER [ROLE...] [--scope all|group|org] [--org-unit U]
 *   opsledger role grant|revoke ROLE RESOURCE ACTION
 *   opsledger group list | add NAME [--label L] [--org-unit U] | show NAME | roles NAME [ROLE...]
 *   opsledger group add-member|remove-member NAME USER
 *   opsledger org-unit list | show NAME | add NAME [--label L] [--parent P] [--head USER]
 *   opsledger org-unit set NAME [--label L] [--head USER | --no-head] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/access.h"
#include "cli/cli.h"
#include "core/err.h"
#include "modules/registry.h"

#define MAX_ARGS 64

static const char *const cli_roles[] = {"admin", NULL};
static const char *const value_flags[] = {"label", "org-unit", "parent", "scope", "head", NULL};

/* The words of argv that are not flags (nor a value flag's value), from argv[1] on. */
static int positional(int argc, char **argv, const char **out)
{
    int n = 0;
    for (int i = 1; i < argc && n < MAX_ARGS; i++) {
        if (!strncmp(argv[i], "--", 2)) {
            for (const char *const *f = value_flags; *f; f++)
                if (!strcmp(argv[i] + 2, *f) && i + 1 < argc)
                    i++;
            continue;
        }
        out[n++] = argv[i];
    }
    out[n] = NULL;
    return n;
}

/* Prints the operation's result (or its error) and returns the exit status. */
static int finish(ol_ctx_t *c, int rc)
{
    if (rc) {
        fprintf(stderr, "opsledger: %s\n", c->detail[0] ? c->detail : ol_strerror(rc));
        size_t i;
        json_t *e;
        json_array_foreach(c->errors, i, e)
            fprintf(stderr, "  %s: %s\n", json_string_value(json_object_get(e, "field")),
                    json_string_value(json_object_get(e, "message")));
    } else if (c->result) {
        char *s = json_dumps(c->result, JSON_INDENT(2) | JSON_SORT_KEYS);
        printf("%s\n", s);
        free(s);
    }
    return rc ? 1 : 0;
}

typedef int (*op_fn)(ol_ctx_t *c, int argc, char **argv, const char **args, int n);

static int run(ol_config_t *cfg, int argc, char **argv, op_fn op)
{
    const char *args[MAX_ARGS + 1];
    int n = positional(argc, argv, args);
    ol_db_t *db;
    int rc = ol_cli_open_db(cfg, &db);
    if (rc)
        return rc;
    ol_schema_register_all(); /* record types name resources of grants */
    ol_ctx_t c;
    ol_ctx_init(&c, db, "cli", cli_roles);
    c.ip = "local";
    c.via = "cli";
    rc = op(&c, argc, argv, args, n);
    int status = rc == 2 ? 2 : finish(&c, rc);
    ol_ctx_clear(&c);
    ol_db_close(db);
    return status;
}

static int role_op(ol_ctx_t *c, int argc, char **argv, const char **a, int n)
{
    if (n == 1 && !strcmp(a[0], "list"))
        return ol_role_list(c);
    if (n == 2 && !strcmp(a[0], "show"))
        return ol_access_get(c, a[1]);
    if (n >= 2 && !strcmp(a[0], "set")) {
        const char *scope = ol_cli_flag(argc, argv, "scope");
        const char *unit = ol_cli_flag(argc, argv, "org-unit");
        int only_scope = n == 2 && (scope || unit) && !ol_cli_has(argc, argv, "none");
        return ol_access_set(c, a[1], only_scope ? NULL : a + 2, scope, unit);
    }
    if (n == 4 && !strcmp(a[0], "grant"))
        return ol_role_grant(c, a[1], a[2], a[3]);
    if (n == 4 && !strcmp(a[0], "revoke"))
        return ol_role_revoke(c, a[1], a[2], a[3]);
    fprintf(stderr, "usage: opsledger role list | show USER | set USER [ROLE...] [--none] "
                    "[--scope all|group|org] [--org-unit UNIT]\n"
                    "       opsledger role grant|revoke ROLE RESOURCE ACTION\n");
    return 2;
}

static int group_op(ol_ctx_t *c, int argc, char **argv, const char **a, int n)
{
    if (n == 1 && !strcmp(a[0], "list"))
        return ol_group_list(c);
    if (n == 2 && !strcmp(a[0], "add"))
        return ol_group_create(c, a[1], ol_cli_flag(argc, argv, "label"),
                               ol_cli_flag(argc, argv, "org-unit"));
    if (n == 2 && !strcmp(a[0], "show"))
        return ol_group_get(c, a[1]);
    if (n >= 2 && !strcmp(a[0], "roles"))
        return ol_group_set_roles(c, a[1], a + 2);
    if (n == 3 && !strcmp(a[0], "add-member"))
        return ol_group_add_member(c, a[1], a[2]);
    if (n == 3 && !strcmp(a[0], "remove-member"))
        return ol_group_remove_member(c, a[1], a[2]);
    fprintf(stderr, "usage: opsledger group list | add NAME [--label L] [--org-unit U] | show NAME"
                    " | roles NAME [ROLE...] | add-member NAME USER | remove-member NAME USER\n");
    return 2;
}

static int unit_op(ol_ctx_t *c, int argc, char **argv, const char **a, int n)
{
    if (n == 1 && !strcmp(a[0], "list"))
        return ol_org_unit_list(c);
    if (n == 2 && !strcmp(a[0], "show"))
        return ol_org_unit_get(c, a[1]);
    if (n == 2 && !strcmp(a[0], "add"))
        return ol_org_unit_create(c, a[1], ol_cli_flag(argc, argv, "label"),
                                  ol_cli_flag(argc, argv, "parent"), ol_cli_flag(argc, argv, "head"));
    if (n == 2 && !strcmp(a[0], "set"))
        return ol_org_unit_update(c, a[1], ol_cli_flag(argc, argv, "label"),
                                  ol_cli_has(argc, argv, "no-head") ? ""
                                                                    : ol_cli_flag(argc, argv, "head"));
    fprintf(stderr, "usage: opsledger org-unit list | show NAME | add NAME [--label L] [--parent P] "
                    "[--head USER]\n"
                    "       opsledger org-unit set NAME [--label L] [--head USER | --no-head]\n");
    return 2;
}

int ol_cli_role(ol_config_t *cfg, int argc, char **argv)
{
    return run(cfg, argc, argv, role_op);
}

int ol_cli_group(ol_config_t *cfg, int argc, char **argv)
{
    return run(cfg, argc, argv, group_op);
}

int ol_cli_org_unit(ol_config_t *cfg, int argc, char **argv)
{
    return run(cfg, argc, argv, unit_op);
}
