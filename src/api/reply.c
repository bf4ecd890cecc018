/* api/reply.c - the answers every special route gives the same way: a result or an error, a
 * write run durably before its answer, and 405 for a method the route does not take. */
#include <stdio.h>
#include <string.h>

#include "api/api.h"

void ol_api_reply_result(ol_req_t *r, int rc, ol_ctx_t *c)
{
    if (rc)
        ol_api_reply_error(r, rc, c);
    else if (c->status == 204)
        ol_reply(r, 204, "application/json", "", 0);
    else
        ol_reply_json(r, c->status ? c->status : 200, c->result);
}

static void reply_written(ol_req_t *r)
{
    ol_call_t *call = r->user;
    ol_api_reply_result(r, call->write_rc, &call->ctx);
}

void ol_api_start_write(ol_req_t *r, ol_call_t *call, int rc)
{
    if (rc)
        ol_api_reply_error(r, rc, &call->ctx);
    else
        ol_api_run_write(r, call, reply_written);
}

void ol_api_not_allowed(ol_req_t *r, const char *allow)
{
    char detail[64];
    snprintf(detail, sizeof detail, "use %s", allow);
    ol_reply_problem(r, 405, "Method Not Allowed", detail, NULL);
    ol_reply_header(r, "Allow", allow);
}

int ol_api_method_ok(ol_req_t *r, const char *allow)
{
    size_t n = strlen(r->method);
    for (const char *p = allow; (p = strstr(p, r->method)); p += n)
        if ((p == allow || p[-1] == ' ') && (p[n] == ',' || !p[n]))
            return 1;
    ol_api_not_allowed(r, allow);
    return 0;
}
