/* cli/sla_cli.c - `opsledger sla report|due|sweep` (I4), on the database directly (the server may
 * be running): the monthly SLA report as JSON or CSV, the open timers due soon, and one sweep
 * (what serve runs every second; for operators and the benchmark). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "core/err.h"
#include "modules/registry.h"
#include "records/audit.h"
#include "records/sla.h"

static const char *const cli_roles[] = {"admin", NULL};

static const char usage[] =
    "usage: opsledger sla report [--month YYYY-MM | --from DATE --to DATE] [--type incidents]\n"
    "                            [--group GROUP] [--format json|csv]\n"
    "       opsledger sla due [--within 60m] [--type incidents] [--limit 50]\n"
    "       opsledger sla sweep      (fire the warnings and breaches due now)\n";

static int report(ol_ctx_t *c, int argc, char **argv)
{
    const char *format = ol_cli_flag(argc, argv, "format");
    time_t from, to;
    if (format && strcmp(format, "json") && strcmp(format, "csv"))
        ol_schema_add_error(c->errors, "format", "enum", c->lang, "json, csv");
    int rc = ol_sla_period(c, ol_cli_flag(argc, argv, "month"), ol_cli_flag(argc, argv, "from"),
                           ol_cli_flag(argc, argv, "to"), &from, &to);
    if (rc || json_array_size(c->errors))
        return ol_ctx_fail(c, -OL_EINVAL, "bad arguments");
    rc = ol_sla_report(c, from, to, ol_cli_flag(argc, argv, "type"),
                       ol_cli_flag(argc, argv, "group"));
    if (rc == 0) /* S8: as GET /api/v1/reports/sla */
        rc = ol_audit_write_now(c->db, c, "sla.report", "sla_report", "ok",
                                format && !strcmp(format, "csv") ? "{\"format\":\"csv\"}"
                                                                  : "{\"format\":\"json\"}");
    if (rc)
        return rc;
    if (format && !strcmp(format, "csv")) {
        char *text = ol_sla_report_csv(c->result);
        fputs(text + 3, stdout); /* without the UTF-8 mark */
        free(text);
    } else {
        char *text = json_dumps(c->result, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        printf("%s\n", text);
        free(text);
    }
    return 0;
}

static int due(ol_ctx_t *c, int argc, char **argv)
{
    const char *within = ol_cli_flag(argc, argv, "within"), *limit = ol_cli_flag(argc, argv, "limit");
    long minutes = within ? ol_sla_parse_duration(within) : 60;
    long n = limit ? strtol(limit, NULL, 10) : 50;
    if (minutes < 0)
        ol_schema_add_error(c->errors, "within", "bad_filter", c->lang,
                            "is a duration such as 30m, 2h or 1d");
    if (n < 1 || n > 500)
        ol_schema_add_error(c->errors, "limit", "bad_filter", c->lang, "is 1 to 500");
    if (json_array_size(c->errors))
        return ol_ctx_fail(c, -OL_EINVAL, "bad arguments");
    int rc = ol_sla_due(c, ol_cli_flag(argc, argv, "type"), minutes * 60, (int)n);
    size_t i;
    const json_t *t;
    if (rc == 0)
        json_array_foreach(json_object_get(c->result, "items"), i, t)
            printf("%-12s %-10s %-8s %-24s %6lld min  %s\n",
                   json_string_value(json_object_get(t, "number")),
                   json_string_value(json_object_get(t, "kind")),
                   json_string_value(json_object_get(t, "priority")),
                   json_string_value(json_object_get(t, "deadline")),
                   (long long)json_integer_value(json_object_get(t, "remaining_minutes")),
                   json_string_value(json_object_get(t, "title")));
    return rc;
}

int ol_cli_sla(ol_config_t *cfg, int argc, char **argv)
{
    if (argc < 2 || (strcmp(argv[1], "report") && strcmp(argv[1], "due") &&
                     strcmp(argv[1], "sweep"))) {
        fputs(usage, stderr);
        return 2;
    }
    ol_db_t *db;
    int rc = ol_cli_open_db(cfg, &db);
    if (rc)
        return rc;
    char err[512];
    ol_schema_register_all();
    if (ol_sla_check_types(err, sizeof err)) {
        fprintf(stderr, "opsledger: configuration: %s\n", err);
        ol_db_close(db);
        return 2;
    }
    ol_ctx_t c;
    ol_ctx_init(&c, db, "cli", cli_roles);
    c.via = "cli";
    c.ip = "local";
    if (!strcmp(argv[1], "report")) {
        rc = report(&c, argc, argv);
    } else if (!strcmp(argv[1], "due")) {
        rc = due(&c, argc, argv);
    } else {
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        int fired = ol_sla_sweep(db);
        clock_gettime(CLOCK_MONOTONIC, &b);
        rc = fired < 0 ? ol_ctx_fail(&c, fired, "the sweep failed: %s", ol_strerror(fired)) : 0;
        if (rc == 0)
            printf("fired %d warnings and breaches in %.3f ms\n", fired,
                   (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6);
    }
    if (rc)
        ol_cli_print_failure(&c, rc, argv[1]);
    ol_ctx_clear(&c);
    ol_db_close(db);
    return rc ? 1 : 0;
}
