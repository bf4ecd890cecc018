/* api/change_api.c - the dry run of a change's schedule (REQUIREMENTS C3-C5), for the change
 * form to show a refusal before the user submits:
 *   GET /api/v1/changes/check?change_type=&category=&failure_impact=&failure_likelihood=
 *       &emergency=&planned_start=&planned_end=&cis=A,B&model=&number=
 *   200 {"level", "ok", "errors": [{"field", "code", "message"}], "warnings", "conflicts",
 *   "earliest_start"}; 400 for malformed arguments (modules/change_rules.c). */
#include <string.h>

#include "api/api.h"
#include "core/err.h"
#include "modules/change.h"

static int on_arg(void *arg, const char *key, const char *value)
{
    json_object_set_new(arg, key, json_string(value));
    return 0;
}

int ol_api_change_route(ol_req_t *r, ol_call_t *call, char **seg, int nseg)
{
    if (!(nseg == 4 && !strcmp(seg[2], "changes") && !strcmp(seg[3], "check")))
        return 0;
    r->route = "/api/v1/changes/check";
    if (strcmp(r->method, "GET")) {
        ol_reply_problem(r, 405, "Method Not Allowed", "use GET", NULL);
        ol_reply_header(r, "Allow", "GET");
        return 1;
    }
    ol_ctx_t *c = &call->ctx;
    json_t *args = json_object();
    ol_req_query_each(r, on_arg, args);
    int rc = ol_change_check(c, args);
    json_decref(args);
    if (rc)
        ol_api_reply_error(r, rc, c);
    else
        ol_reply_json(r, 200, c->result);
    return 1;
}
