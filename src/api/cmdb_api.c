/* api/cmdb_api.c - the CMDB's own routes (REQUIREMENTS K2, K5); the CIs themselves are the
 * generic record routes of /api/v1/cis:
 *   GET/POST /api/v1/cis/{number}/relations, DELETE .../relations?type=T&target=NUMBER
 *   GET /api/v1/cis/{number}/impact?direction=up|down&depth=N&paths=true|false
 *   PUT /api/v1/cis/by-id/{ci_id}          upsert by unique ID (discovery)
 *   POST /api/v1/cis/discovery             {"items": [...], "mode"}
 *   POST /api/v1/cis/import                {"format": "csv"|"json", "data"|"items", "mode"}
 *   POST /api/v1/cis/compliance-scan       {"baseline", "open_incidents"} (K3)
 *   GET /api/v1/ci_audits/{number}/items, POST .../items/{id}, GET .../report (K4) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "core/err.h"
#include "modules/cmdb.h"

static int wrong_method(ol_req_t *r, const char *allow)
{
    ol_api_not_allowed(r, allow);
    return 1;
}

/* K4: /ci_audits/{number}/items[/{id}], /ci_audits/{number}/report */
static int audit_route(ol_req_t *r, ol_call_t *call, char **seg, int nseg)
{
    ol_ctx_t *c = &call->ctx;
    const char *m = r->method;
    if (nseg == 5) {
        int report = !strcmp(seg[4], "report");
        r->route = report ? "/api/v1/ci_audits/{number}/report" : "/api/v1/ci_audits/{number}/items";
        if (strcmp(m, "GET"))
            return wrong_method(r, "GET");
        ol_api_reply_result(r, report ? ol_cmdb_audit_report(c, seg[3])
                        : ol_cmdb_audit_items(c, seg[3], ol_req_query(r, "status")), c);
        return 1;
    }
    r->route = "/api/v1/ci_audits/{number}/items/{id}";
    if (strcmp(m, "POST"))
        return wrong_method(r, "POST");
    char *end;
    long long item = strtoll(seg[5], &end, 10);
    if (*end || item <= 0) {
        ol_reply_problem(r, 404, "Not Found", "no such audit item", NULL);
        return 1;
    }
    json_t *body = ol_api_body_or_reply(r, call);
    if (!body)
        return 1;
    int rc = ol_cmdb_audit_check_prepare(c, seg[3], item, body, &call->write);
    json_decref(body);
    ol_api_start_write(r, call, rc);
    return 1;
}

int ol_api_cmdb_route(ol_req_t *r, ol_call_t *call, char **seg, int nseg)
{
    ol_ctx_t *c = &call->ctx;
    const char *m = r->method;
    if (!strcmp(seg[2], "ci_audits") && (nseg == 5 || nseg == 6) &&
        (!strcmp(seg[4], "items") || (nseg == 5 && !strcmp(seg[4], "report"))))
        return audit_route(r, call, seg, nseg);
    if (strcmp(seg[2], "cis") || nseg < 4 || nseg > 5)
        return 0;
    if (nseg == 5 && !strcmp(seg[3], "by-id")) {
        r->route = "/api/v1/cis/by-id/{ci_id}";
        if (strcmp(m, "PUT"))
            return wrong_method(r, "PUT");
        json_t *body = ol_api_body_or_reply(r, call);
        if (!body)
            return 1;
        c->via = "discovery";
        int rc = ol_cmdb_upsert_prepare(c, seg[4], body, &call->write);
        json_decref(body);
        ol_api_start_write(r, call, rc);
        return 1;
    }
    if (nseg == 4 && (!strcmp(seg[3], "discovery") || !strcmp(seg[3], "import"))) {
        int import = !strcmp(seg[3], "import");
        r->route = import ? "/api/v1/cis/import" : "/api/v1/cis/discovery";
        if (strcmp(m, "POST"))
            return wrong_method(r, "POST");
        json_t *body = ol_api_body_or_reply(r, call);
        if (!body)
            return 1;
        c->via = import ? "import" : "discovery";
        int rc = ol_cmdb_discovery_prepare(c, body, import, &call->write);
        json_decref(body);
        ol_api_start_write(r, call, rc);
        return 1;
    }
    if (nseg == 4 && !strcmp(seg[3], "compliance-scan")) {
        r->route = "/api/v1/cis/compliance-scan";
        if (strcmp(m, "POST"))
            return wrong_method(r, "POST");
        json_t *body = r->body_len ? ol_api_body_or_reply(r, call) : json_object();
        if (!body)
            return 1;
        int rc = ol_cmdb_scan_prepare(c, body, &call->write);
        json_decref(body);
        ol_api_start_write(r, call, rc);
        return 1;
    }
    if (nseg == 5 && !strcmp(seg[4], "impact")) {
        r->route = "/api/v1/cis/{number}/impact";
        if (strcmp(m, "GET"))
            return wrong_method(r, "GET");
        char *text;
        int rc = ol_cmdb_impact_text(c, seg[3], ol_req_query(r, "direction"),
                                     ol_req_query(r, "depth"), ol_req_query(r, "paths"), &text);
        if (rc)
            ol_api_reply_error(r, rc, c);
        else
            ol_reply(r, 200, "application/json; charset=utf-8", text, strlen(text));
        free(text);
        return 1;
    }
    if (nseg == 5 && !strcmp(seg[4], "relations")) {
        r->route = "/api/v1/cis/{number}/relations";
        if (!strcmp(m, "GET")) {
            ol_api_reply_result(r, ol_cmdb_relations(c, seg[3]), c);
        } else if (!strcmp(m, "POST")) {
            json_t *body = ol_api_body_or_reply(r, call);
            if (!body)
                return 1;
            int rc = ol_cmdb_relate_prepare(c, seg[3], body, &call->write);
            json_decref(body);
            ol_api_start_write(r, call, rc);
        } else if (!strcmp(m, "DELETE")) {
            ol_api_start_write(r, call, ol_cmdb_unrelate_prepare(c, seg[3], ol_req_query(r, "type"),
                                                          ol_req_query(r, "target"),
                                                          &call->write));
        } else {
            return wrong_method(r, "GET, POST, DELETE");
        }
        return 1;
    }
    return 0;
}
