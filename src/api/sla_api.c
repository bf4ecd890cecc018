/* api/sla_api.c - I4 SLA routes:
 *   GET /api/v1/{type}/{number}/sla   a record's timers (read on the type)
 *   GET /api/v1/sla/due?within=60m&type=&limit=   open timers by deadline ("breaching soon")
 *   GET /api/v1/reports/sla?month=YYYY-MM | from=&to= &type=&group=&format=json|csv
 *       the SLA report (export on the type) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "core/err.h"
#include "core/json.h"
#include "records/audit.h"
#include "records/sla.h"

static void reply_csv(ol_req_t *r, const json_t *report)
{
    char *text = ol_sla_report_csv(report);
    ol_reply(r, 200, "text/csv; charset=utf-8", text, strlen(text));
    ol_reply_header(r, "Content-Disposition", "attachment; filename=\"sla-report.csv\"");
    free(text);
}

int ol_api_sla_route(ol_req_t *r, ol_call_t *call, char **seg, int nseg)
{
    ol_ctx_t *c = &call->ctx;
    if (nseg == 5 && !strcmp(seg[4], "sla") && ol_schema_by_path(seg[2])) {
        r->route = "/api/v1/{type}/{number}/sla";
        if (ol_api_method_ok(r, "GET"))
            ol_api_reply_result(r, ol_sla_record(c, ol_schema_by_path(seg[2]), seg[3]), c);
        return 1;
    }
    if (nseg == 4 && !strcmp(seg[2], "sla") && !strcmp(seg[3], "due")) {
        r->route = "/api/v1/sla/due";
        if (!ol_api_method_ok(r, "GET"))
            return 1;
        const char *within = ol_req_query(r, "within"), *limit = ol_req_query(r, "limit");
        long minutes = within ? ol_sla_parse_duration(within) : 60, n = 50;
        char *end;
        if (minutes < 0)
            ol_schema_add_error(c->errors, "within", "bad_filter", c->lang,
                                "is a duration such as 30m, 2h or 1d");
        if (limit && ((n = strtol(limit, &end, 10)) < 1 || *end || n > 500))
            ol_schema_add_error(c->errors, "limit", "bad_filter", c->lang, "is 1 to 500");
        int rc = json_array_size(c->errors)
                     ? ol_ctx_fail(c, -OL_EINVAL, "bad query")
                     : ol_sla_due(c, ol_req_query(r, "type"), minutes * 60, (int)n);
        ol_api_reply_result(r, rc, c);
        return 1;
    }
    if (nseg == 4 && !strcmp(seg[2], "reports") && !strcmp(seg[3], "sla")) {
        r->route = "/api/v1/reports/sla";
        if (!ol_api_method_ok(r, "GET"))
            return 1;
        const char *format = ol_req_query(r, "format");
        time_t from = 0, to = 0;
        if (format && strcmp(format, "json") && strcmp(format, "csv"))
            ol_schema_add_error(c->errors, "format", "enum", c->lang, "json, csv");
        int rc = ol_sla_period(c, ol_req_query(r, "month"), ol_req_query(r, "from"),
                               ol_req_query(r, "to"), &from, &to);
        if (rc || json_array_size(c->errors))
            rc = ol_ctx_fail(c, -OL_EINVAL, "bad query");
        else
            rc = ol_sla_report(c, from, to, ol_req_query(r, "type"), ol_req_query(r, "group"));
        if (rc == 0) { /* S8: a report of records leaving the system is evidence too */
            json_t *d = json_pack("{sOsOsOss}", "from", json_object_get(c->result, "from"), "to",
                                  json_object_get(c->result, "to"), "types",
                                  json_object_get(c->result, "types"), "format",
                                  format ? format : "json");
            char *text = ol_json_dump(d);
            json_decref(d);
            rc = ol_audit_write_now(c->db, c, "sla.report", "sla_report", "ok", text);
            free(text);
        }
        if (rc == 0 && format && !strcmp(format, "csv"))
            reply_csv(r, c->result);
        else
            ol_api_reply_result(r, rc, c);
        return 1;
    }
    return 0;
}
