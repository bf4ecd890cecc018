/* api/notify_api.c - P7 notification administration:
 *   GET/POST /api/v1/notification_channels, GET/PATCH/DELETE /api/v1/notification_channels/{name}
 *   (DELETE disables: the channel's notices keep their history), POST .../{name}/test,
 *   GET /api/v1/outbox?state=&channel=&limit=&cursor=, POST /api/v1/outbox/{id}/retry,
 *   GET/POST /api/v1/notification_rules, DELETE /api/v1/notification_rules/{id} (per team).
 * Reading needs read on "notification_channel", everything else administer (auth/authz.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "auth/authz.h"
#include "core/err.h"
#include "records/outbox.h"
#include "records/schema.h"

static int refused(ol_req_t *r, ol_call_t *call, int reading)
{
    ol_ctx_t *c = &call->ctx;
    if (ol_authz(c->roles, "notification_channel", reading ? "read" : "administer"))
        return 0;
    ol_ctx_fail(c, -OL_EFORBIDDEN, "your roles do not allow %s notifications",
                reading ? "reading" : "administering");
    ol_api_reply_error(r, -OL_EFORBIDDEN, c);
    return 1;
}

int ol_api_notify_route(ol_req_t *r, ol_call_t *call, char **seg, int nseg)
{
    ol_ctx_t *c = &call->ctx;
    const char *m = r->method;
    int get = !strcmp(m, "GET");
    if (!strcmp(seg[2], "notification_channels") && nseg <= 5) {
        static const char *const routes[] = {"/api/v1/notification_channels",
                                             "/api/v1/notification_channels/{name}",
                                             "/api/v1/notification_channels/{name}/test"};
        r->route = routes[nseg - 3];
        const char *allow = nseg == 3 ? "GET, POST" : nseg == 4 ? "GET, PATCH, DELETE" : "POST";
        if (nseg == 5 && strcmp(seg[4], "test"))
            return 0;
        if (!ol_api_method_ok(r, allow))
            return 1;
        if (refused(r, call, get))
            return 1;
        if (get) {
            int rc = nseg == 3 ? ol_channel_list(c) : ol_channel_get(c, seg[3]);
            if (rc == 0 && nseg == 3) {
                json_t *out = json_pack("{s:O}", "items", c->result);
                json_decref(c->result);
                c->result = out;
            }
            ol_api_reply_result(r, rc, c);
        } else if (nseg == 5) {
            ol_api_reply_result(r, ol_channel_test(c, seg[3]), c);
        } else if (!strcmp(m, "DELETE")) {
            ol_api_reply_result(r, ol_channel_disable(c, seg[3]), c);
        } else {
            json_t *body = ol_api_body_or_reply(r, call);
            if (!body)
                return 1;
            int rc = nseg == 3 ? ol_channel_create(c, body) : ol_channel_update(c, seg[3], body);
            json_decref(body);
            ol_api_reply_result(r, rc, c);
        }
        return 1;
    }
    if (!strcmp(seg[2], "notification_rules") && nseg <= 4) { /* P7: per team */
        r->route = nseg == 3 ? "/api/v1/notification_rules" : "/api/v1/notification_rules/{id}";
        const char *allow = nseg == 3 ? "GET, POST" : "DELETE";
        if (!ol_api_method_ok(r, allow))
            return 1;
        if (refused(r, call, get))
            return 1;
        if (get) {
            ol_api_reply_result(r, ol_rule_list(c), c);
        } else if (nseg == 4) {
            char *end;
            long long id = strtoll(seg[3], &end, 10);
            ol_api_reply_result(r, *end || id < 1 ? ol_ctx_fail(c, -OL_ENOTFOUND, "there is no rule '%s'", seg[3])
                                    : ol_rule_delete(c, id), c);
        } else {
            json_t *body = ol_api_body_or_reply(r, call);
            if (!body)
                return 1;
            int rc = ol_rule_create(c, body);
            json_decref(body);
            ol_api_reply_result(r, rc, c);
        }
        return 1;
    }
    if (!strcmp(seg[2], "outbox") && (nseg == 3 || (nseg == 5 && !strcmp(seg[4], "retry")))) {
        r->route = nseg == 3 ? "/api/v1/outbox" : "/api/v1/outbox/{id}/retry";
        if (strcmp(m, nseg == 3 ? "GET" : "POST")) {
            ol_api_not_allowed(r, nseg == 3 ? "GET" : "POST");
            return 1;
        }
        if (refused(r, call, nseg == 3))
            return 1;
        if (nseg == 5) {
            char *end;
            long long id = strtoll(seg[3], &end, 10);
            int rc = *end || id <= 0 ? ol_ctx_fail(c, -OL_ENOTFOUND, "there is no notice '%s'",
                                                   seg[3])
                                     : ol_outbox_retry(c, id);
            ol_api_reply_result(r, rc, c);
            return 1;
        }
        const char *state = ol_req_query(r, "state"), *limit = ol_req_query(r, "limit");
        const char *cursor = ol_req_query(r, "cursor"), *channel = ol_req_query(r, "channel");
        long n = 0;
        long long before = 0;
        char *end;
        if (state && strcmp(state, "pending") && strcmp(state, "sending") &&
            strcmp(state, "sent") && strcmp(state, "dead"))
            ol_schema_add_error(c->errors, "state", "notice_state", c->lang, NULL);
        if (limit && ((n = strtol(limit, &end, 10)) < 1 || *end || n > OL_OUTBOX_MAX_LIMIT))
            ol_schema_add_error(c->errors, "limit", n > OL_OUTBOX_MAX_LIMIT ? "too_large"
                                                                            : "too_small",
                                c->lang, n > OL_OUTBOX_MAX_LIMIT ? "200" : "1");
        if (cursor && ((before = strtoll(cursor, &end, 10)) < 1 || *end))
            ol_schema_add_error(c->errors, "cursor", "bad_filter", c->lang,
                                "is not a cursor from a previous page");
        int rc = json_array_size(c->errors)
                     ? ol_ctx_fail(c, -OL_EINVAL, "bad query")
                     : ol_outbox_list(c, state, channel, (int)n, before);
        ol_api_reply_result(r, rc, c);
        return 1;
    }
    return 0;
}
