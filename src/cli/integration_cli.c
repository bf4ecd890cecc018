/* cli/integration_cli.c - `opsledger integration create|list|revoke`: I1 monitoring integrations
 * on the database directly, mirroring /api/v1/integrations. The token is printed once. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "core/err.h"
#include "modules/intake.h"

static const char *const cli_roles[] = {"admin", NULL};

static const char usage[] =
    "usage: opsledger integration create NAME --kind alertmanager|zabbix|generic\n"
    "                          [--labels 'service=service;ci=instance,host']\n"
    "                          [--severities 'critical=high/high;warning=medium/medium']\n"
    "                          [--group GROUP]     (prints the token once)\n"
    "       opsledger integration list\n"
    "       opsledger integration revoke NAME\n";

static int create(ol_ctx_t *c, int argc, char **argv)
{
    static const char *const flags[] = {"kind", "labels", "severities", "group"};
    json_t *in = json_pack("{s:s}", "name", argv[2]);
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
        const char *v = ol_cli_flag(argc, argv, flags[i]);
        if (v)
            json_object_set_new(in, flags[i], json_string(v));
    }
    char token[96];
    int rc = ol_integration_create(c, in, token);
    json_decref(in);
    if (rc == 0) {
        printf("integration %s (%s) created; its token (shown only now):\n%s\n", argv[2],
               json_string_value(json_object_get(c->result, "kind")), token);
        memset(token, 0, sizeof token);
    }
    return rc;
}

static int list(ol_ctx_t *c)
{
    int rc = ol_integration_list(c);
    size_t i;
    json_t *it;
    if (rc == 0)
        json_array_foreach(json_object_get(c->result, "items"), i, it) {
            const char *used = json_string_value(json_object_get(it, "last_used_at"));
            printf("%-24s %-12s %-8s created %s  last used %s\n",
                   json_string_value(json_object_get(it, "name")),
                   json_string_value(json_object_get(it, "kind")),
                   json_is_true(json_object_get(it, "revoked")) ? "revoked" : "active",
                   json_string_value(json_object_get(it, "created_at")), used ? used : "never");
        }
    return rc;
}

int ol_cli_integration(ol_config_t *cfg, int argc, char **argv)
{
    const char *verb = argc >= 2 ? argv[1] : "";
    int known = !strcmp(verb, "create") || !strcmp(verb, "list") || !strcmp(verb, "revoke");
    if (!known || (strcmp(verb, "list") && (argc < 3 || argv[2][0] == '-'))) {
        fputs(usage, stderr);
        return 2;
    }
    ol_db_t *db;
    int rc = ol_cli_open_db(cfg, &db);
    if (rc)
        return rc;
    ol_ctx_t c;
    ol_ctx_init(&c, db, "cli", cli_roles);
    c.via = "cli";
    c.ip = "local";
    if (!strcmp(verb, "create")) {
        rc = create(&c, argc, argv);
    } else if (!strcmp(verb, "list")) {
        rc = list(&c);
    } else {
        rc = ol_integration_revoke(&c, argv[2]);
        if (rc == 0)
            printf("integration %s revoked\n", argv[2]);
    }
    if (rc)
        ol_cli_print_failure(&c, rc, verb);
    ol_ctx_clear(&c);
    ol_db_close(db);
    return rc ? 1 : 0;
}
