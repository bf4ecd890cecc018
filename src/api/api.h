/* api/api.h - the HTTP API: routing, authentication, and thin handlers over the engine. */
#ifndef OL_API_H
#define OL_API_H
#include "auth/auth.h"
#include "core/config.h"
#include "core/db.h"
#include "core/http.h"
#include "records/ctx.h"
#include "records/schema.h"

typedef struct {
    ol_db_t *db;
    const ol_config_t *cfg;
    int max_json_depth;
    int tls;
    const char *version;
} ol_app_t;

/* The ol_http_opts_t handler: every request enters here. */
void ol_api_handle(ol_req_t *r);

/* ---- shared by the handler files ---------------------------------------------------------- */

/* Per-request state of an authenticated API call (lives in the request arena). */
typedef struct {
    ol_app_t *app;
    ol_principal_t who;
    ol_ctx_t ctx;
    ol_write_t write;
    int write_rc;
    void (*reply)(ol_req_t *r); /* builds the reply once the write is done */
} ol_call_t;

/* Replies with the engine's error: status from the error table, detail and field errors. */
void ol_api_reply_error(ol_req_t *r, int rc, const ol_ctx_t *c);
/* Parses the body as a JSON object (415/400 on failure, already replied); NULL on failure. */
json_t *ol_api_body_or_reply(ol_req_t *r, ol_call_t *call);
/* Runs call->write durably, without holding the thread on SQLite; then call->reply(r). */
void ol_api_run_write(ol_req_t *r, ol_call_t *call, void (*reply)(ol_req_t *r));

/* ---- answers shared by the special routes (api/reply.c) ----------------------------------- */

/* The error of rc, or c->result with c->status (0 = 200; 204 = no body). */
void ol_api_reply_result(ol_req_t *r, int rc, ol_ctx_t *c);
/* Replies with the preparation's error rc, or runs call->write durably and then replies with
 * ol_api_reply_result. */
void ol_api_start_write(ol_req_t *r, ol_call_t *call, int rc);
/* 405 naming the methods allowed ("GET, POST") in the detail and the Allow header. */
void ol_api_not_allowed(ol_req_t *r, const char *allow);
/* 1 when r's method is one of allow; otherwise replies 405 and returns 0. */
int ol_api_method_ok(ol_req_t *r, const char *allow);

void ol_api_records(ol_req_t *r, ol_call_t *call, char **seg, int nseg);
void ol_api_search(ol_req_t *r, ol_call_t *call);
/* GET /api/v1/{type}/export: every matching record as CSV or JSON (api/export_api.c). */
void ol_api_export(ol_req_t *r, ol_call_t *call, const ol_record_type_t *t);
void ol_api_session(ol_req_t *r, ol_app_t *app);
void ol_api_me(ol_req_t *r, ol_call_t *call);
/* /api/v1/me/preferences (api/prefs_api.c); the user's locale as JSON (null: none chosen). */
void ol_api_preferences(ol_req_t *r, ol_call_t *call);
/* /api/v1/views[/{type}/{name}]: saved list views (api/views_api.c). */
void ol_api_views(ol_req_t *r, ol_call_t *call, char **seg, int nseg);
/* GET /api/v1/policies: the settings in effect (api/policies_api.c). */
void ol_api_policies(ol_req_t *r, ol_call_t *call);
json_t *ol_api_locale_of(ol_call_t *call);
void ol_api_tokens(ol_req_t *r, ol_call_t *call);
void ol_api_token_revoke(ol_req_t *r, ol_call_t *call, const char *id_text);
/* S4 (api/users_api.c): /users, /users/{name}, /users/{name}/disable|enable|password. */
void ol_api_users(ol_req_t *r, ol_call_t *call, char **seg, int nseg);
int ol_api_users_action(const char *action);
/* S1: POST /api/v1/session/password, the self-service change (no session needed). */
void ol_api_session_password(ol_req_t *r, ol_app_t *app);
void ol_api_roles(ol_req_t *r, ol_call_t *call, char **seg, int nseg);
void ol_api_groups(ol_req_t *r, ol_call_t *call, char **seg, int nseg);
void ol_api_org_units(ol_req_t *r, ol_call_t *call, char **seg, int nseg);
void ol_api_review_items(ol_req_t *r, ol_call_t *call, char **seg, int nseg);
void ol_api_user_access(ol_req_t *r, ol_call_t *call, const char *username);
/* The login answer (csrf_token, session cookie), shared by password and MFA logins; extra
 * (borrowed, or NULL) is merged into it. */
void ol_api_reply_login(ol_req_t *r, ol_app_t *app, const char *user, const char *token,
                        const char *csrf, json_t *extra);
/* S3 (api/mfa_api.c): the second step of a login, unauthenticated, by mfa_token. */
void ol_api_session_mfa(ol_req_t *r, ol_app_t *app, char **seg, int nseg);
/* S3: the authenticated MFA routes; 1 when the path was one of them (then replied). */
int ol_api_mfa_route(ol_req_t *r, ol_call_t *call, char **seg, int nseg);
/* S3: the answer to a password that needs a second factor first. */
void ol_api_reply_mfa_pending(ol_req_t *r, const ol_mfa_login_t *m);
void ol_api_audit(ol_req_t *r, ol_call_t *call, char **seg, int nseg);
/* V3 (api/reports_api.c): GET /reports/complaints and /reports/satisfaction, JSON or CSV. */
void ol_api_reports(ol_req_t *r, ol_call_t *call, char **seg, int nseg);
/* P7 (api/notify_api.c): /notification_channels..., /outbox...; 1 when the path was one. */
int ol_api_notify_route(ol_req_t *r, ol_call_t *call, char **seg, int nseg);
/* I4: /{type}/{number}/sla, /sla/due, /reports/sla (api/sla_api.c); 1 when it answered. */
int ol_api_sla_route(ol_req_t *r, ol_call_t *call, char **seg, int nseg);
/* R2, P5 (api/calendar_api.c): /calendar..., /releases/{n}/rollout|gate_readings; 1 when it
 * answered. */
int ol_api_calendar_route(ol_req_t *r, ol_call_t *call, char **seg, int nseg);
/* P5: GET /ical/{token}.ics, the iCalendar feed (no session: the token is the credential). */
void ol_api_ical(ol_req_t *r, ol_app_t *app, const char *file);
/* C3-C5: GET /changes/check, the dry run of a change's schedule (api/change_api.c); 1 when
 * the route was its. */
int ol_api_change_route(ol_req_t *r, ol_call_t *call, char **seg, int nseg);
/* I1 (api/intake_api.c): the intake routes, authenticated by an integration's token (1 when
 * the path was one of them, then replied); integration administration; an incident's alerts. */
int ol_api_intake_route(ol_req_t *r, ol_app_t *app, char **seg, int nseg);
void ol_api_integrations(ol_req_t *r, ol_call_t *call, char **seg, int nseg);
void ol_api_incident_alerts(ol_req_t *r, ol_call_t *call, const char *number);
/* Q3: GET /api/v1/known_errors/suggest (api/problem_api.c); 0 when not its route. */
int ol_api_problem_route(ol_req_t *r, ol_call_t *call, char **seg, int nseg);
/* K2, K5 (api/cmdb_api.c): relations, impact, discovery and import; 1 when the path was one. */
int ol_api_cmdb_route(ol_req_t *r, ol_call_t *call, char **seg, int nseg);

#endif
