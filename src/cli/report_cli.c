/* cli/report_cli.c - `opsledger report complaints|satisfaction|incidents|changes [--from ISO]
 * [--to ISO] [--group G (incidents)] [--format json|csv]` (REQUIREMENTS V3, I9, C9): the reports
 * of GET /api/v1/reports/..., read directly
 * from the database (the server may be running) as an administrator. */
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/json.h"
#include "modules/change.h"
#include "modules/incident_major.h"
#include "modules/registry.h"
#include "modules/service_desk.h"
#include "records/ctx.h"

static const char *const cli_roles[] = {"admin", NULL};

int ol_cli_report(ol_config_t *cfg, int argc, char **argv)
{
    const char *which = argc >= 2 ? argv[1] : "";
    const char *format = ol_cli_flag(argc, argv, "format");
    int complaints = !strcmp(which, "complaints"), incidents = !strcmp(which, "incidents");
    int changes = !strcmp(which, "changes"); /* C9 */
    if ((!complaints && !incidents && !changes && strcmp(which, "satisfaction")) ||
        (format && strcmp(format, "json") && strcmp(format, "csv"))) {
        fprintf(stderr, "usage: opsledger report complaints|satisfaction|incidents|changes "
                        "[--from ISO] [--to ISO] [--group G] [--format json|csv]\n");
        return 2;
    }
    ol_db_t *db;
    if (ol_cli_open_db(cfg, &db))
        return 1;
    ol_schema_register_all();
    const struct passwd *pw = getpwuid(geteuid());
    char actor[96];
    snprintf(actor, sizeof actor, "cli:%s", pw && pw->pw_name ? pw->pw_name : "unknown");
    ol_ctx_t c;
    ol_ctx_init(&c, db, actor, cli_roles);
    c.via = "cli";
    const char *from = ol_cli_flag(argc, argv, "from"), *to = ol_cli_flag(argc, argv, "to");
    int rc = incidents    ? ol_report_incidents(&c, from, to, ol_cli_flag(argc, argv, "group"))
             : complaints ? ol_report_complaints(&c, from, to)
             : changes    ? ol_report_changes(&c, from, to)
                          : ol_report_satisfaction(&c, from, to);
    if (rc) {
        ol_cli_print_failure(&c, rc, incidents    ? "make the incident KPI report"
                                     : complaints ? "make the complaint report"
                                     : changes    ? "make the change report"
                                                  : "make the satisfaction report");
    } else if (format && !strcmp(format, "csv")) {
        ol_buf_t b;
        ol_buf_init(&b);
        ol_report_csv(c.result, &b);
        fwrite(b.p, 1, b.len, stdout);
        ol_buf_clear(&b);
    } else {
        char *text = json_dumps(c.result, JSON_INDENT(2) | JSON_SORT_KEYS);
        printf("%s\n", text);
        free(text);
    }
    ol_ctx_clear(&c);
    ol_db_close(db);
    return rc ? 1 : 0;
}
