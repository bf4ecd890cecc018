/* api/calendar_api.c - R2 and P5 routes:
 *   GET  /api/v1/calendar?from=&to=|month=&types=&ci=&team=   the operations calendar
 *   GET  /api/v1/calendar/conflicts?from=&to=|month=          same-CI overlaps, freeze hits
 *   GET  /api/v1/calendar/feeds      the caller's iCalendar feeds (never their tokens)
 *   POST /api/v1/calendar/feeds      {"name", "team"}: a new feed; its token shown once
 *   DELETE /api/v1/calendar/feeds/{id}                       revokes it
 *   GET  /api/v1/releases/{number}/rollout                   stages, gates and the rollout log
 *   POST /api/v1/releases/{number}/gate_readings             {"metrics", "source"}
 *   GET  /ical/{token}.ics           the feed itself (the token is the credential) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "core/err.h"
#include "modules/release.h"
#include "records/sla.h"

/* The period: month=YYYY-MM, or from/to (dates or UTC times); none = the current month. */
static int period(ol_req_t *r, ol_ctx_t *c, time_t *from, time_t *to)
{
    int rc = ol_sla_period(c, ol_req_query(r, "month"), ol_req_query(r, "from"),
                           ol_req_query(r, "to"), from, to);
    if (rc || json_array_size(c->errors))
        return ol_ctx_fail(c, -OL_EINVAL, "bad period");
    if (*to - *from > 400L * 86400) {
        ol_schema_add_error(c->errors, "to", "too_large", c->lang, "from + 400 days");
        return ol_ctx_fail(c, -OL_EINVAL, "a calendar query spans at most 400 days");
    }
    return 0;
}

int ol_api_calendar_route(ol_req_t *r, ol_call_t *call, char **seg, int nseg)
{
    ol_ctx_t *c = &call->ctx;
    time_t from, to;
    if (nseg == 3 && !strcmp(seg[2], "calendar")) {
        r->route = "/api/v1/calendar";
        if (!ol_api_method_ok(r, "GET"))
            return 1;
        int rc = period(r, c, &from, &to);
        if (rc == 0)
            rc = ol_calendar_list(c, from, to, ol_req_query(r, "types"), ol_req_query(r, "ci"),
                                  ol_req_query(r, "team"));
        ol_api_reply_result(r, rc, c);
        return 1;
    }
    if (nseg == 4 && !strcmp(seg[2], "calendar") && !strcmp(seg[3], "conflicts")) {
        r->route = "/api/v1/calendar/conflicts";
        if (!ol_api_method_ok(r, "GET"))
            return 1;
        int rc = period(r, c, &from, &to);
        if (rc == 0)
            rc = ol_calendar_conflicts(c, from, to);
        ol_api_reply_result(r, rc, c);
        return 1;
    }
    if (nseg == 4 && !strcmp(seg[2], "calendar") && !strcmp(seg[3], "feeds")) {
        r->route = "/api/v1/calendar/feeds";
        if (!ol_api_method_ok(r, "GET, POST"))
            return 1;
        if (!strcmp(r->method, "GET")) {
            ol_api_reply_result(r, ol_feed_list(c), c);
            return 1;
        }
        json_t *body = ol_api_body_or_reply(r, call);
        if (!body)
            return 1;
        int rc = ol_feed_create_prepare(c, body, &call->write);
        json_decref(body);
        ol_api_start_write(r, call, rc);
        return 1;
    }
    if (nseg == 5 && !strcmp(seg[2], "calendar") && !strcmp(seg[3], "feeds")) {
        r->route = "/api/v1/calendar/feeds/{id}";
        if (!ol_api_method_ok(r, "DELETE"))
            return 1;
        char *end;
        long long id = strtoll(seg[4], &end, 10);
        if (*end || id <= 0) {
            ol_ctx_fail(c, -OL_ENOTFOUND, "no calendar feed %s", seg[4]);
            ol_api_reply_error(r, -OL_ENOTFOUND, c);
            return 1;
        }
        ol_api_start_write(r, call, ol_feed_revoke_prepare(c, id, &call->write));
        return 1;
    }
    if (nseg == 5 && !strcmp(seg[2], ol_release_type.path) && !strcmp(seg[4], "rollout")) {
        r->route = "/api/v1/releases/{number}/rollout";
        if (ol_api_method_ok(r, "GET"))
            ol_api_reply_result(r, ol_release_rollout(c, seg[3]), c);
        return 1;
    }
    if (nseg == 5 && !strcmp(seg[2], ol_release_type.path) && !strcmp(seg[4], "gate_readings")) {
        r->route = "/api/v1/releases/{number}/gate_readings";
        if (!ol_api_method_ok(r, "POST"))
            return 1;
        json_t *body = ol_api_body_or_reply(r, call);
        if (!body)
            return 1;
        int rc = ol_release_reading_prepare(c, seg[3], body, &call->write);
        json_decref(body);
        ol_api_start_write(r, call, rc);
        return 1;
    }
    return 0;
}

void ol_api_ical(ol_req_t *r, ol_app_t *app, const char *file)
{
    r->route = "/ical/{token}.ics";
    if (strcmp(r->method, "GET") && strcmp(r->method, "HEAD")) {
        ol_reply_problem(r, 405, "Method Not Allowed", "use GET", NULL);
        ol_reply_header(r, "Allow", "GET, HEAD");
        return;
    }
    size_t n = strlen(file);
    char token[128];
    if (n < 5 || n - 4 >= sizeof token || strcmp(file + n - 4, ".ics")) {
        ol_reply_problem(r, 404, "Not Found", "no such calendar feed", NULL);
        return;
    }
    memcpy(token, file, n - 4);
    token[n - 4] = 0;
    char *text = NULL;
    int rc = ol_feed_render(app->db, token, &text);
    if (rc) {
        ol_reply_problem(r, rc == -OL_ENOTFOUND ? 404 : 503,
                         rc == -OL_ENOTFOUND ? "Not Found" : "Service Unavailable",
                         rc == -OL_ENOTFOUND ? "no such calendar feed (revoked or never made)"
                                             : "the calendar cannot be read now",
                         NULL);
        return;
    }
    ol_reply(r, 200, "text/calendar; charset=utf-8", text, strlen(text));
    ol_reply_header(r, "Cache-Control", "private, max-age=300");
    free(text);
}
