/* api/reports_api.c - the service-desk reports (REQUIREMENTS V3):
 *   GET /api/v1/reports/complaints?from=&to=[&format=csv]    counts, by level, time to acceptance
 *   GET /api/v1/reports/satisfaction?from=&to=[&format=csv]  average, distribution, by service
 *   GET /api/v1/reports/incidents?from=&to=[&group=][&format=csv]  I9: the incident KPIs
 *   GET /api/v1/reports/changes?from=&to=[&format=csv]       C9: success rate, emergency share,
 *                                                            changes causing incidents
 * from and to are UTC times (the period is [from, to), either may be left out); the caller needs
 * the export permission on complaints, resp. surveys (modules/sd_report.c). */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "core/err.h"
#include "modules/change.h"
#include "modules/incident_major.h"
#include "modules/service_desk.h"

typedef struct {
    ol_ctx_t *c;
    const char *from, *to, *group;
    int csv, bad, grouped;
} args_t;

static int on_arg(void *arg, const char *key, const char *value)
{
    args_t *a = arg;
    if (!strcmp(key, "from"))
        a->from = value;
    else if (!strcmp(key, "to"))
        a->to = value;
    else if (!strcmp(key, "group") && a->grouped)
        a->group = value;
    else if (!strcmp(key, "format") && (!strcmp(value, "csv") || !strcmp(value, "json")))
        a->csv = !strcmp(value, "csv");
    else if (!strcmp(key, "format"))
        ol_schema_add_error(a->c->errors, "format", "enum", a->c->lang, "csv, json");
    else
        ol_schema_add_error(a->c->errors, key, "unknown", a->c->lang, NULL);
    a->bad |= json_array_size(a->c->errors) > 0;
    return 0; /* report every bad argument at once */
}

void ol_api_reports(ol_req_t *r, ol_call_t *call, char **seg, int nseg)
{
    ol_ctx_t *c = &call->ctx;
    static const char *const names[] = {"complaints", "satisfaction", "incidents", "changes"};
    int which = -1;
    for (int k = 0; k < 4 && nseg == 4; k++)
        if (!strcmp(seg[3], names[k]))
            which = k;
    if (which < 0) {
        ol_reply_problem(r, 404, "Not Found",
                         "no such report: use complaints, satisfaction, incidents, changes or "
                         "sla", NULL);
        return;
    }
    static const char *const routes[] = {"/api/v1/reports/complaints",
                                         "/api/v1/reports/satisfaction",
                                         "/api/v1/reports/incidents",
                                         "/api/v1/reports/changes"};
    r->route = routes[which];
    if (strcmp(r->method, "GET") && strcmp(r->method, "HEAD")) {
        ol_reply_problem(r, 405, "Method Not Allowed", "use GET", NULL);
        ol_reply_header(r, "Allow", "GET, HEAD");
        return;
    }
    args_t a = {c, NULL, NULL, NULL, 0, 0, which == 2};
    ol_req_query_each(r, on_arg, &a);
    /* With bad arguments the report refuses too (it sees the errors), naming from/to as well. */
    int rc = which == 0   ? ol_report_complaints(c, a.from, a.to)
             : which == 1 ? ol_report_satisfaction(c, a.from, a.to)
             : which == 2 ? ol_report_incidents(c, a.from, a.to, a.group)
                          : ol_report_changes(c, a.from, a.to);
    if (rc == 0 && a.bad)
        rc = ol_ctx_fail(c, -OL_EINVAL, "the report's parameters are invalid");
    if (rc) {
        ol_api_reply_error(r, rc, c);
        return;
    }
    if (!a.csv) {
        ol_reply_json(r, 200, c->result);
        return;
    }
    ol_buf_t b;
    ol_buf_init(&b);
    ol_report_csv(c->result, &b);
    char disposition[96];
    snprintf(disposition, sizeof disposition, "attachment; filename=\"%s-report.csv\"",
             names[which]);
    ol_reply(r, 200, "text/csv; charset=utf-8", b.p, b.len);
    ol_reply_header(r, "Content-Disposition", disposition);
    ol_buf_clear(&b);
}
