/* cli/status_cli.c - `opsledger status [--json]`: the database, its schema, and the `serve`
 * processes sharing it, with the one that leads (runs the sweeps; core/leader.h). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "core/db.h"

static void add_node(const char *node, const char *addr, const char *since, int leader, void *arg)
{
    json_array_append_new(arg, json_pack("{s:s, s:s?, s:s?, s:b}", "node", node ? node : "",
                                         "address", addr, "since", since, "leader", leader));
}

int ol_cli_status(ol_config_t *cfg, int argc, char **argv)
{
    ol_db_t *db;
    int rc = ol_cli_open_db(cfg, &db);
    if (rc)
        return rc;
    int pg = ol_db_kind(db) == OL_DB_PG;
    json_t *nodes = json_array();
    rc = ol_db_lease_nodes(db, add_node, nodes);
    int version = ol_db_schema_version(db);
    if (rc || version < 0) {
        fprintf(stderr, "opsledger: cannot read the %s: database error %d\n",
                rc ? "nodes" : "schema version", rc);
        json_decref(nodes);
        ol_db_close(db);
        return 1;
    }
    if (ol_cli_has(argc, argv, "json")) {
        json_t *out = json_pack("{s:s, s:i, s:i, s:O}", "database", pg ? "postgresql" : "sqlite",
                                "schema", version, "schema_latest",
                                ol_db_latest_version(ol_db_kind(db)), "nodes", nodes);
        char *text = json_dumps(out, JSON_INDENT(2));
        printf("%s\n", text);
        free(text);
        json_decref(out);
    } else {
        printf("database: %s%s, schema %d (this binary's: %d)\n", pg ? "PostgreSQL" : "SQLite ",
               pg ? "" : ol_db_path(db), version, ol_db_latest_version(ol_db_kind(db)));
        if (!pg)
            printf("nodes: one (SQLite): the serve process of this file runs the sweeps\n");
        else
            printf("nodes: %zu serving%s\n", json_array_size(nodes),
                   json_array_size(nodes) ? "" : " (none running: nobody leads)");
        size_t i;
        json_t *n;
        json_array_foreach(nodes, i, n) {
            const char *addr = json_string_value(json_object_get(n, "address"));
            const char *since = json_string_value(json_object_get(n, "since"));
            printf("  %-40s %-8s from %-16s since %s\n",
                   json_string_value(json_object_get(n, "node")),
                   json_is_true(json_object_get(n, "leader")) ? "leader" : "standby",
                   addr ? addr : "local socket",
                   since ? since : "-");
        }
    }
    json_decref(nodes);
    ol_db_close(db);
    return 0;
}
