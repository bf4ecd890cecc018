/* api/problem_api.c - Q3: GET /api/v1/known_errors/suggest?q=TEXT|incident=INC-...&limit=N, the
 * known errors and knowledge articles suggested while an incident is typed. Open to every
 * signed-in user; each sees only the types and records their roles and data scope allow. */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "core/err.h"
#include "core/json.h"
#include "modules/problem.h"

#define MAX_Q_CHARS 200
#define MAX_LIMIT 50
#define DEFAULT_LIMIT 10

int ol_api_problem_route(ol_req_t *r, ol_call_t *call, char **seg, int nseg)
{
    if (nseg != 4 || strcmp(seg[2], "known_errors") || strcmp(seg[3], "suggest"))
        return 0;
    ol_ctx_t *c = &call->ctx;
    r->route = "/api/v1/known_errors/suggest";
    if (strcmp(r->method, "GET")) {
        ol_reply_problem(r, 405, "Method Not Allowed", "use GET", NULL);
        ol_reply_header(r, "Allow", "GET");
        return 1;
    }
    const char *q = ol_req_query(r, "q"), *incident = ol_req_query(r, "incident");
    const char *limit = ol_req_query(r, "limit");
    long n = DEFAULT_LIMIT;
    char *end;
    if (!q && !incident)
        ol_schema_add_error(c->errors, "q", "required", c->lang, NULL);
    else if (q && ol_utf8_len(q) > MAX_Q_CHARS)
        ol_schema_add_error(c->errors, "q", "too_long", c->lang, "200");
    if (incident && (!*incident || strlen(incident) > 24))
        ol_schema_add_error(c->errors, "incident", "bad_filter", c->lang,
                            "is not an incident number");
    if (limit && ((n = strtol(limit, &end, 10)) < 1 || *end || n > MAX_LIMIT))
        ol_schema_add_error(c->errors, "limit", n > MAX_LIMIT ? "too_large" : "too_small",
                            c->lang, n > MAX_LIMIT ? "50" : "1");
    int rc = json_array_size(c->errors) ? ol_ctx_fail(c, -OL_EINVAL, "bad query")
                                        : ol_kedb_suggest(c, q, incident, (int)n);
    if (rc)
        ol_api_reply_error(r, rc, c);
    else
        ol_reply_json(r, 200, c->result);
    return 1;
}
