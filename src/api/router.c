/* api/router.c - every request enters here: limits, routing, authentication and CSRF checks,
 * all in one place before any handler runs (DESIGN.md Security). */
#include <stdio.h>
#include <stdlib.h>
#include <sodium.h>
#include <string.h>

#include "api/api.h"
#include "api/web.h"
#include "core/err.h"
#include "core/json.h"
#include "core/leader.h"
#include "core/log.h"
#include "core/metrics.h"
#include "records/audit.h"
#include "records/openapi.h"
#include "records/schema.h"

#define MAX_SEGMENTS 8

static const char *reason_phrase(int status)
{
    switch (status) {
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 412: return "Precondition Failed";
    case 413: return "Content Too Large";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Content";
    case 428: return "Precondition Required";
    case 503: return "Service Unavailable";
    case 507: return "Insufficient Storage";
    default: return "Internal Server Error";
    }
}

/* S8: every refused request of a known user is in the audit trail, with what was refused. */
static void audit_denial(ol_req_t *r, const ol_ctx_t *c, const char *detail)
{
    json_t *d = json_pack("{ssssss}", "method", r->method, "route", r->route ? r->route : r->path,
                          "detail", detail);
    char *text = json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(d);
    if (ol_audit_write_now(c->db, c, "access.denied", r->path, "denied", text))
        ol_log(OL_LOG_WARN, "cannot write the audit entry of a refused request to %s", r->path);
    free(text);
}

void ol_api_reply_error(ol_req_t *r, int rc, const ol_ctx_t *c)
{
    int status = ol_err_http_status(rc);
    const char *detail = c && c->detail[0] ? c->detail : ol_strerror(rc);
    if (status == 403 && c && c->user && c->db && !c->denial_audited)
        audit_denial(r, c, detail);
    const json_t *errors = c && c->errors && json_array_size(c->errors) ? c->errors : NULL;
    ol_reply_problem_type(r, c ? c->problem_type : NULL, status, reason_phrase(status), detail,
                          errors);
    if (status == 503)
        ol_reply_header(r, "Retry-After", "1");
}

json_t *ol_api_body_or_reply(ol_req_t *r, ol_call_t *call)
{
    const char *ct = ol_req_header(r, "Content-Type");
    if (!ct || strncasecmp(ct, "application/json", 16) != 0 ||
        (ct[16] && ct[16] != ';' && ct[16] != ' ')) {
        ol_reply_problem(r, 415, reason_phrase(415), "send the body as application/json", NULL);
        return NULL;
    }
    json_t *v;
    char err[256];
    if (ol_json_parse(r->body, r->body_len, call->app->max_json_depth, &v, err, sizeof err)) {
        ol_reply_problem(r, 400, reason_phrase(400), err, NULL);
        return NULL;
    }
    if (!json_is_object(v)) {
        json_decref(v);
        ol_reply_problem(r, 400, reason_phrase(400), "the body must be a JSON object", NULL);
        return NULL;
    }
    return v;
}

/* ---- durable writes without a blocked thread ------------------------------------------------ */

static void on_write_done(int rc, void *arg)
{
    ol_req_t *r = arg;
    ol_call_t *call = r->user;
    call->write_rc = rc;
    if (call->write.free_arg)
        call->write.free_arg(call->write.arg);
    call->write.free_arg = NULL;
    if (ol_db_async_writes(call->app->db))
        ol_req_resume(r);
}

static void on_resume(ol_req_t *r)
{
    ol_call_t *call = r->user;
    call->reply(r);
    ol_ctx_clear(&call->ctx);
    r->user = NULL;
}

void ol_api_run_write(ol_req_t *r, ol_call_t *call, void (*reply)(ol_req_t *r))
{
    call->reply = reply;
    if (ol_db_async_writes(call->app->db)) {
        /* Suspend first: the writer thread may finish before this function returns. */
        ol_req_suspend(r, on_resume);
        ol_db_write_async(call->app->db, call->write.fn, call->write.arg, on_write_done, r);
    } else {
        ol_db_write_async(call->app->db, call->write.fn, call->write.arg, on_write_done, r);
        reply(r);
    }
}

/* ---- unauthenticated routes ------------------------------------------------------------------ */

typedef struct {
    ol_app_t *app;
    int ok;
} ready_t;

static int ready_fn(ol_conn_t *c, void *arg)
{
    ready_t *rd = arg;
    rd->ok = ol_db_exec(c, "SELECT 1", NULL, 0, NULL) == 0;
    return 0;
}

static void metrics(ol_req_t *r, ol_app_t *app)
{
    ol_buf_t b;
    ol_buf_init(&b);
    ol_metrics_render(&b);
    ol_db_stats_t st;
    ol_db_stats(app->db, &st);
    ol_buf_printf(&b, "# HELP opsledger_db_commits_total Database transactions committed.\n"
                      "# TYPE opsledger_db_commits_total counter\nopsledger_db_commits_total %llu\n"
                      "# HELP opsledger_db_write_jobs_total Write requests by result.\n"
                      "# TYPE opsledger_db_write_jobs_total counter\n"
                      "opsledger_db_write_jobs_total{result=\"ok\"} %llu\n"
                      "opsledger_db_write_jobs_total{result=\"failed\"} %llu\n"
                      "# HELP opsledger_db_writer_queue_depth Writes waiting for the writer.\n"
                      "# TYPE opsledger_db_writer_queue_depth gauge\n"
                      "opsledger_db_writer_queue_depth %d\n"
                      "# HELP opsledger_db_commit_duration_seconds Time of one (group) commit.\n"
                      "# TYPE opsledger_db_commit_duration_seconds histogram\n",
                  (unsigned long long)st.commits, (unsigned long long)st.committed_jobs,
                  (unsigned long long)st.failed_jobs, st.queue_depth);
    unsigned long long cum = 0;
    for (int i = 0; i < 11; i++) {
        cum += st.commit_us_buckets[i];
        ol_buf_printf(&b, "opsledger_db_commit_duration_seconds_bucket{le=\"%g\"} %llu\n",
                      ol_db_commit_bucket_ms[i] / 1000.0, cum);
    }
    cum += st.commit_us_buckets[11];
    ol_buf_printf(&b, "opsledger_db_commit_duration_seconds_bucket{le=\"+Inf\"} %llu\n"
                      "opsledger_db_commit_duration_seconds_sum %g\n"
                      "opsledger_db_commit_duration_seconds_count %llu\n",
                  cum, (double)st.commit_us_total / 1e6, (unsigned long long)st.commits);
    ol_buf_printf(&b, "# HELP opsledger_leader 1 when this node runs the sweeps (the leader).\n"
                      "# TYPE opsledger_leader gauge\nopsledger_leader %d\n", ol_leader_is());
    ol_reply(r, 200, "text/plain; version=0.0.4", b.p, b.len);
    ol_buf_clear(&b);
}

/* ---- dispatch ------------------------------------------------------------------------------ */

static int is_write(const char *method)
{
    return strcmp(method, "GET") && strcmp(method, "HEAD") && strcmp(method, "OPTIONS");
}

static void authenticated(ol_req_t *r, ol_app_t *app, char **seg, int nseg)
{
    ol_call_t *call = ol_arena_alloc(&r->arena, sizeof(*call));
    memset(call, 0, sizeof(*call));
    call->app = app;
    r->user = call;

    const char *authz = ol_req_header(r, "Authorization");
    const char *bearer = NULL;
    if (authz) {
        if (strncasecmp(authz, "Bearer ", 7) != 0) {
            ol_reply_problem(r, 401, reason_phrase(401), "use 'Authorization: Bearer TOKEN'", NULL);
            ol_reply_header(r, "WWW-Authenticate", "Bearer");
            return;
        }
        bearer = authz + 7;
    }
    const char *cookie = bearer ? NULL : ol_req_cookie(r, "ol_session");
    int rc = ol_authenticate(app->db, bearer, cookie, &r->arena, &call->who);
    if (rc) {
        ol_reply_problem(r, rc == -OL_EUNAUTH ? 401 : 503, reason_phrase(rc == -OL_EUNAUTH ? 401 : 503),
                         rc == -OL_EUNAUTH ? "log in or send a valid API token" : "database unavailable",
                         NULL);
        if (rc == -OL_EUNAUTH)
            ol_reply_header(r, "WWW-Authenticate", "Bearer");
        return;
    }
    ol_ctx_init(&call->ctx, app->db, call->who.username, call->who.roles);
    call->ctx.scope = (const char *const *)call->who.scope;
    call->ctx.ip = r->client_ip;
    call->ctx.lang = ol_lang_pick(ol_req_header(r, "Accept-Language"));
    /* The context's JSON is released when the request's arena goes; see ol_api_handle. */
    if (call->who.via_session && is_write(r->method)) {
        const char *csrf = ol_req_header(r, "X-CSRF-Token");
        size_t n = strlen(call->who.csrf);
        if (!csrf || strlen(csrf) != n || sodium_memcmp(csrf, call->who.csrf, n) != 0) {
            ol_ctx_fail(&call->ctx, -OL_EFORBIDDEN,
                        "browser writes need the X-CSRF-Token header from the login answer");
            ol_api_reply_error(r, -OL_EFORBIDDEN, &call->ctx);
            return;
        }
    }

    if (nseg == 3 && !strcmp(seg[2], "openapi.json")) {
        r->route = "/api/v1/openapi.json";
        if (strcmp(r->method, "GET")) {
            ol_reply_problem(r, 405, reason_phrase(405), "use GET", NULL);
            ol_reply_header(r, "Allow", "GET");
            return;
        }
        json_t *doc = ol_openapi_document(app->version);
        ol_reply_json(r, 200, doc);
        json_decref(doc);
    } else if (nseg == 3 && !strcmp(seg[2], "schema")) {
        ol_api_schema(r, call); /* the web UI's view of the declared types (api/schema_api.c) */
    } else if (nseg == 3 && !strcmp(seg[2], "search")) {
        r->route = "/api/v1/search";
        ol_api_search(r, call);
    } else if (nseg == 3 && !strcmp(seg[2], "session")) {
        r->route = "/api/v1/session";
        ol_api_me(r, call);
    } else if (nseg == 3 && !strcmp(seg[2], "tokens")) {
        r->route = "/api/v1/tokens";
        ol_api_tokens(r, call);
    } else if (nseg == 4 && !strcmp(seg[2], "tokens")) {
        r->route = "/api/v1/tokens/{id}";
        ol_api_token_revoke(r, call, seg[3]);
    } else if (!strcmp(seg[2], "users") &&
               (nseg == 3 || nseg == 4 || (nseg == 5 && ol_api_users_action(seg[4])))) {
        ol_api_users(r, call, seg, nseg); /* S4: api/users_api.c */
    } else if (nseg == 5 && !strcmp(seg[2], "users") && !strcmp(seg[4], "access")) {
        ol_api_user_access(r, call, seg[3]);
    } else if (!strcmp(seg[2], "roles")) {
        ol_api_roles(r, call, seg, nseg);
    } else if (!strcmp(seg[2], "groups")) {
        ol_api_groups(r, call, seg, nseg);
    } else if (!strcmp(seg[2], "org_units")) {
        ol_api_org_units(r, call, seg, nseg);
    } else if ((nseg == 5 || nseg == 6) && !strcmp(seg[2], "access_reviews") &&
               !strcmp(seg[4], "items")) {
        ol_api_review_items(r, call, seg, nseg);
    } else if (nseg >= 3 && !strcmp(seg[2], "views")) {
        ol_api_views(r, call, seg, nseg);
    } else if (nseg == 3 && !strcmp(seg[2], "policies")) {
        ol_api_policies(r, call);
    } else if (nseg == 4 && !strcmp(seg[2], "me") && !strcmp(seg[3], "preferences")) {
        ol_api_preferences(r, call);
    } else if (ol_api_mfa_route(r, call, seg, nseg)) {
        /* S3: /me/mfa..., /session/step-up, /users/{name}/mfa/reset (api/mfa_api.c) */
    } else if (!strcmp(seg[2], "reports") && !(nseg == 4 && !strcmp(seg[3], "sla"))) {
        ol_api_reports(r, call, seg, nseg); /* V3: api/reports_api.c; sla: below */
    } else if (!strcmp(seg[2], "audit")) {
        ol_api_audit(r, call, seg, nseg);
    } else if (ol_api_notify_route(r, call, seg, nseg)) {
        /* P7: /notification_channels..., /outbox... (api/notify_api.c) */
    } else if (ol_api_change_route(r, call, seg, nseg)) {
        /* C3-C5: /changes/check (api/change_api.c) */
    } else if (ol_api_calendar_route(r, call, seg, nseg)) {
        /* R2, P5: /calendar..., /releases/{number}/rollout|gate_readings (api/calendar_api.c) */
    } else if (ol_api_sla_route(r, call, seg, nseg)) {
        /* I4: /{type}/{number}/sla, /sla/due, /reports/sla (api/sla_api.c) */
    } else if (!strcmp(seg[2], "integrations")) {
        ol_api_integrations(r, call, seg, nseg); /* I1 (api/intake_api.c) */
    } else if (nseg == 5 && !strcmp(seg[2], "incidents") && !strcmp(seg[4], "alerts")) {
        ol_api_incident_alerts(r, call, seg[3]);
    } else if (ol_api_problem_route(r, call, seg, nseg)) {
        /* Q3: /known_errors/suggest (api/problem_api.c) */
    } else if (ol_api_cmdb_route(r, call, seg, nseg)) {
        /* K2, K5: /cis/{number}/relations|impact, /cis/by-id/..., /cis/discovery|import */
    } else {
        ol_api_records(r, call, seg, nseg);
    }
}

static void release_call(ol_req_t *r)
{
    ol_call_t *call = r->user;
    if (call && !r->suspended) {
        ol_ctx_clear(&call->ctx);
        r->user = NULL;
    }
}

void ol_api_handle(ol_req_t *r)
{
    ol_app_t *app = r->app;
    char *path = ol_arena_strdup(&r->arena, r->path);
    char *seg[MAX_SEGMENTS + 1];
    int nseg = 0;
    for (char *save = NULL, *p = strtok_r(path, "/", &save); p; p = strtok_r(NULL, "/", &save)) {
        if (nseg == MAX_SEGMENTS) {
            ol_reply_problem(r, 404, reason_phrase(404), "no such resource", NULL);
            return;
        }
        seg[nseg++] = p;
    }

    int public_route = nseg == 0 || (nseg == 2 && !strcmp(seg[0], "api") && !strcmp(seg[1], "v1")) ||
                       (nseg == 1 && (!strcmp(seg[0], "healthz") ||
                                                  !strcmp(seg[0], "readyz") ||
                                                  !strcmp(seg[0], "metrics")));
    if (public_route && strcmp(r->method, "GET") && strcmp(r->method, "HEAD")) {
        r->route = "public";
        ol_reply_problem(r, 405, reason_phrase(405), "this resource answers GET only", NULL);
        ol_reply_header(r, "Allow", "GET, HEAD");
        return;
    }
    if (nseg == 2 && !strcmp(seg[0], "ical")) {
        ol_api_ical(r, app, seg[1]); /* P5: the token is the credential */
        return;
    }
    /* The web UI (api/web_static.c): files and, for browsers (Accept: text/html), index.html
     * for "/" and the UI's routes; scripts keep the JSON index at "/" and /api/v1/. */
    int api_path = nseg > 0 && !strcmp(seg[0], "api");
    if ((nseg == 0 ? ol_web_wants_html(r) : !public_route && !api_path) &&
        (!strcmp(r->method, "GET") || !strcmp(r->method, "HEAD")) && ol_web_serve(r))
        return;
    if (nseg == 0 || (nseg == 2 && api_path && !strcmp(seg[1], "v1"))) {
        /* The entry point: where the API and its description are. */
        r->route = "/";
        json_t *types = json_array();
        for (size_t i = 0; i < ol_schema_count(); i++)
            json_array_append_new(types, json_string(ol_schema_at(i)->path));
        json_t *idx = json_pack("{ssssssssssssso}", "name", "opsledger", "version", app->version,
                                "api", "/api/v1/", "openapi", "/api/v1/openapi.json", "search",
                                "/api/v1/search?q=", "login", "POST /api/v1/session", "types",
                                types);
        ol_reply_json(r, 200, idx);
        json_decref(idx);
        return;
    }
    if (nseg == 1 && !strcmp(seg[0], "healthz")) {
        r->route = "/healthz";
        ol_reply(r, 200, "application/json", "{\"status\":\"up\"}", 15);
        return;
    }
    if (nseg == 1 && !strcmp(seg[0], "readyz")) {
        r->route = "/readyz";
        ready_t rd = {app, 0};
        ol_db_read(app->db, ready_fn, &rd);
        if (rd.ok) { /* which node this is, and whether it runs the sweeps (core/leader.h) */
            json_t *ready = json_pack("{sssbss}", "status", "ready", "leader", ol_leader_is(),
                                      "node", ol_leader_node());
            ol_reply_json(r, 200, ready);
            json_decref(ready);
        } else
            ol_reply_problem(r, 503, reason_phrase(503), "the database is not reachable", NULL);
        return;
    }
    if (nseg == 1 && !strcmp(seg[0], "metrics")) {
        r->route = "/metrics";
        metrics(r, app);
        return;
    }
    if (nseg < 3 || strcmp(seg[0], "api") || strcmp(seg[1], "v1")) {
        ol_reply_problem(r, 404, reason_phrase(404), "no such resource", NULL);
        return;
    }
    if (nseg == 3 && !strcmp(seg[2], "session") && !strcmp(r->method, "POST")) {
        r->route = "/api/v1/session";
        ol_api_session(r, app);
        return;
    }
    if (nseg == 4 && !strcmp(seg[2], "session") && !strcmp(seg[3], "password") &&
        !strcmp(r->method, "POST")) {
        r->route = "/api/v1/session/password"; /* S1: changing an expired password */
        ol_api_session_password(r, app);
        return;
    }
    if (nseg >= 4 && !strcmp(seg[2], "session") && !strcmp(seg[3], "mfa")) {
        r->route = "/api/v1/session/mfa"; /* S3: finishing a login, by mfa_token */
        ol_api_session_mfa(r, app, seg, nseg);
        return;
    }
    if (ol_api_intake_route(r, app, seg, nseg)) {
        release_call(r); /* I1: monitoring posts with an integration's token */
        return;
    }
    authenticated(r, app, seg, nseg);
    release_call(r);
}
