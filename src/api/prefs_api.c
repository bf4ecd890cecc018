/* api/prefs_api.c - a user's own preferences, kept on the server so that they follow the user
 * from browser to browser (issue 5: the language "remembered per user"):
 *   GET   /api/v1/me/preferences   {"locale": "en" | "zh-CN" | null}
 *   PATCH /api/v1/me/preferences   {"locale": ...}   (null: follow the browser)
 * Anyone may read and change their own; the change is audited. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "core/err.h"
#include "core/json.h"
#include "records/audit.h"

typedef struct {
    ol_ctx_t *c;
    long long user_id;
    const char *locale; /* to set (NULL: clear) */
    char current[16];
} prefs_job_t;

static int read_fn(ol_conn_t *conn, void *arg)
{
    prefs_job_t *j = arg;
    ol_rows_t *r;
    ol_val_t p[] = {OL_VINT(j->user_id)};
    int rc = ol_db_exec(conn, "SELECT locale FROM users WHERE id = ?1", p, 1, &r);
    if (rc)
        return rc;
    const char *v = ol_rows_count(r) ? ol_rows_get(r, 0, 0) : NULL;
    snprintf(j->current, sizeof j->current, "%s", v ? v : "");
    ol_rows_free(r);
    return 0;
}

static int write_fn(ol_conn_t *conn, void *arg)
{
    prefs_job_t *j = arg;
    ol_val_t p[] = {OL_VINT(j->user_id), OL_VTEXT(j->locale)};
    int rc = ol_db_exec(conn, "UPDATE users SET locale = ?2 WHERE id = ?1", p, 2, NULL);
    if (rc == 0) {
        json_t *d = json_pack("{so}", "locale", j->locale ? json_string(j->locale) : json_null());
        char *detail = json_dumps(d, JSON_COMPACT);
        json_decref(d);
        rc = ol_audit_write(conn, j->c, "user.preferences", j->c->user, "ok", detail);
        free(detail);
    }
    return rc ? ol_ctx_db_fail(j->c, conn, rc) : 0;
}

json_t *ol_api_locale_of(ol_call_t *call)
{
    prefs_job_t j = {.c = &call->ctx, .user_id = call->who.id};
    if (ol_db_read(call->ctx.db, read_fn, &j) || !j.current[0])
        return json_null();
    return json_string(j.current);
}

void ol_api_preferences(ol_req_t *r, ol_call_t *call)
{
    ol_ctx_t *c = &call->ctx;
    r->route = "/api/v1/me/preferences";
    if (!strcmp(r->method, "GET")) {
        json_t *out = json_pack("{so}", "locale", ol_api_locale_of(call));
        ol_reply_json(r, 200, out);
        json_decref(out);
        return;
    }
    if (strcmp(r->method, "PATCH")) {
        ol_reply_problem(r, 405, "Method Not Allowed", "use GET or PATCH", NULL);
        ol_reply_header(r, "Allow", "GET, PATCH");
        return;
    }
    json_t *body = ol_api_body_or_reply(r, call);
    if (!body)
        return;
    static const char *const keys[] = {"locale", NULL};
    ol_input_check_keys(body, keys, c->lang, c->errors);
    json_t *v = json_object_get(body, "locale");
    const char *locale = json_string_value(v);
    if (!v || (!json_is_null(v) && (!locale || (strcmp(locale, "en") && strcmp(locale, "zh-CN")))))
        ol_schema_add_error(c->errors, "locale", "enum", c->lang, "en, zh-CN, null");
    int rc = json_array_size(c->errors) ? ol_ctx_fail(c, -OL_EINVAL, "the preferences are invalid")
                                        : 0;
    if (rc == 0) {
        prefs_job_t j = {.c = c, .user_id = call->who.id, .locale = locale};
        rc = ol_db_write(c->db, write_fn, &j);
    }
    if (rc) {
        ol_api_reply_error(r, rc, c);
    } else {
        json_t *out = json_pack("{so}", "locale", locale ? json_string(locale) : json_null());
        ol_reply_json(r, 200, out);
        json_decref(out);
    }
    json_decref(body);
}
