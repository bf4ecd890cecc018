/* cli/change_cli.c - `opsledger change check [--number CHG-…] [--change_type T] [--category C]
 * [--failure_impact L] [--failure_likelihood L] [--emergency true|false] [--planned_start ISO]
 * [--planned_end ISO] [--cis A,B] [--model CHM-…]` (REQUIREMENTS C3-C5): the dry run of
 * GET /api/v1/changes/check, read directly from the database as an administrator; exits 0 when
 * the schedule meets the rules, 3 when it would be refused. */
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "modules/change.h"
#include "modules/registry.h"

static const char *const cli_roles[] = {"admin", NULL};

int ol_cli_change(ol_config_t *cfg, int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "check")) {
        fprintf(stderr, "usage: opsledger change check [--number CHG-…] [--change_type T] "
                        "[--category C] [--failure_impact L] [--failure_likelihood L] "
                        "[--emergency true|false] [--planned_start ISO] [--planned_end ISO] "
                        "[--cis A,B] [--model CHM-…]\n");
        return 2;
    }
    static const char *const keys[] = {"number", "change_type", "category", "failure_impact",
                                       "failure_likelihood", "emergency", "planned_start",
                                       "planned_end", "cis", "model", NULL};
    json_t *args = json_object();
    for (int k = 0; keys[k]; k++) {
        const char *v = ol_cli_flag(argc, argv, keys[k]);
        if (v)
            json_object_set_new(args, keys[k], json_string(v));
    }
    ol_db_t *db;
    if (ol_cli_open_db(cfg, &db)) {
        json_decref(args);
        return 1;
    }
    ol_schema_register_all();
    const struct passwd *pw = getpwuid(geteuid());
    char actor[96];
    snprintf(actor, sizeof actor, "cli:%s", pw && pw->pw_name ? pw->pw_name : "unknown");
    ol_ctx_t c;
    ol_ctx_init(&c, db, actor, cli_roles);
    c.via = "cli";
    int rc = ol_change_check(&c, args), status = 1;
    if (rc) {
        ol_cli_print_failure(&c, rc, "check the change's schedule");
    } else {
        char *text = json_dumps(c.result, JSON_INDENT(2) | JSON_SORT_KEYS);
        printf("%s\n", text);
        free(text);
        status = json_is_true(json_object_get(c.result, "ok")) ? 0 : 3;
    }
    json_decref(args);
    ol_ctx_clear(&c);
    ol_db_close(db);
    return status;
}
