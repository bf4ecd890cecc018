/* modules/ops_calendar_feed.c - P5 iCalendar feeds: a user makes a secret feed address for
 * their calendar client (their own view of the operations calendar, or one team's records);
 * the server keeps only the token's hash; the feed answers with what the user may read now,
 * through the same permissions and data scope as the API; the user revokes it at any time.
 * Creation and revocation are audited. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/access.h"
#include "auth/auth.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/err.h"
#include "core/json.h"
#include "modules/release.h"
#include "records/audit.h"

typedef struct {
    ol_ctx_t *c;
    char name[101], team[101];
    long long id;
} feed_job_t;

static int create_job(ol_conn_t *conn, void *arg)
{
    feed_job_t *j = arg;
    ol_ctx_t *c = j->c;
    ol_rows_t *r;
    ol_val_t u[] = {OL_VTEXT(c->user), OL_VTEXT(j->team)};
    int rc = ol_db_exec(conn,
                        j->team[0] ? "SELECT u.id FROM users u JOIN group_members m ON m.user_id "
                                     "= u.id JOIN groups g ON g.id = m.group_id WHERE u.username "
                                     "= ?1 AND g.name = ?2"
                                   : "SELECT id FROM users WHERE username = ?1",
                        u, j->team[0] ? 2 : 1, &r);
    if (rc)
        return ol_ctx_db_fail(c, conn, rc);
    long long uid = ol_rows_count(r) ? ol_rows_int(r, 0, 0) : 0;
    ol_rows_free(r);
    if (!uid) {
        ol_schema_add_error(c->errors, "team", "not_member", c->lang, j->team);
        return ol_ctx_fail(c, -OL_EINVAL, "a team feed is for a team you belong to");
    }
    unsigned char raw[32];
    char token[80] = "olcal_", hash[65], now[32];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2base64(token + 6, sizeof token - 6, raw, sizeof raw,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    ol_secret_hash(token, hash);
    ol_val_t p[] = {OL_VINT(uid), OL_VTEXT(hash), OL_VTEXT(j->name),
                    OL_VTEXT(j->team[0] ? j->team : NULL), OL_VTEXT(ol_now_iso(now))};
    rc = ol_db_exec(conn,
                    "INSERT INTO calendar_feeds (user_id, token_hash, name, team, created_at) "
                    "VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id",
                    p, 5, &r);
    if (rc)
        return ol_ctx_db_fail(c, conn, rc);
    long long id = ol_rows_int(r, 0, 0);
    ol_rows_free(r);
    char target[32], url[128];
    snprintf(target, sizeof target, "calendar_feed:%lld", id);
    json_t *d = json_pack("{ssso?}", "name", j->name, "team",
                          j->team[0] ? json_string(j->team) : json_null());
    char *detail = ol_json_dump(d);
    json_decref(d);
    rc = ol_audit_write(conn, c, "calendar.feed.create", target, "ok", detail);
    free(detail);
    if (rc)
        return ol_ctx_db_fail(c, conn, rc);
    snprintf(url, sizeof url, "/ical/%s.ics", token);
    c->result = json_pack("{sIsssossssss}", "id", (json_int_t)id, "name", j->name, "team",
                          j->team[0] ? json_string(j->team) : json_null(), "token", token, "url",
                          url, "created_at", now);
    c->status = 201;
    sodium_memzero(token, sizeof token);
    return 0;
}

int ol_feed_create_prepare(ol_ctx_t *c, const json_t *input, ol_write_t *w)
{
    static const char *const keys[] = {"name", "team", NULL};
    if (ol_input_check_keys(input, keys, c->lang, c->errors))
        return ol_ctx_fail(c, -OL_EINVAL, "the feed has unknown fields");
    const json_t *name = json_object_get(input, "name"), *team = json_object_get(input, "team");
    const char *n = name ? json_string_value(name) : "Operations calendar";
    const char *t = team && !json_is_null(team) ? json_string_value(team) : "";
    if (!n || !*n || strlen(n) > 100)
        ol_schema_add_error(c->errors, "name", "too_long", c->lang, "100");
    if (!t || strlen(t) > 100)
        ol_schema_add_error(c->errors, "team", "type_string", c->lang, NULL);
    if (json_array_size(c->errors))
        return ol_ctx_fail(c, -OL_EINVAL, "the feed is invalid");
    feed_job_t *j = calloc(1, sizeof *j);
    if (!j)
        return ol_ctx_fail(c, -OL_EINTERNAL, "out of memory");
    j->c = c;
    snprintf(j->name, sizeof j->name, "%s", n);
    snprintf(j->team, sizeof j->team, "%s", t);
    *w = (ol_write_t){create_job, j, free};
    return 0;
}

static int list_fn(ol_conn_t *conn, void *arg)
{
    ol_ctx_t *c = arg;
    ol_rows_t *r;
    ol_val_t p[] = {OL_VTEXT(c->user)};
    int rc = ol_db_exec(conn,
                        "SELECT f.id, f.name, f.team, f.created_at, f.revoked_at, f.last_used_at "
                        "FROM calendar_feeds f JOIN users u ON u.id = f.user_id WHERE "
                        "u.username = ?1 ORDER BY f.id DESC LIMIT 200",
                        p, 1, &r);
    if (rc)
        return ol_ctx_db_fail(c, conn, rc);
    json_t *items = json_array();
    for (int i = 0; i < ol_rows_count(r); i++)
        json_array_append_new(items, json_pack("{sIssss?ssss?ss?sb}", "id",
                                               (json_int_t)ol_rows_int(r, i, 0), "name",
                                               ol_rows_get(r, i, 1), "team", ol_rows_get(r, i, 2),
                                               "created_at", ol_rows_get(r, i, 3), "revoked_at",
                                               ol_rows_get(r, i, 4), "last_used_at",
                                               ol_rows_get(r, i, 5), "revoked",
                                               ol_rows_get(r, i, 4) != NULL));
    ol_rows_free(r);
    c->result = json_pack("{so}", "items", items);
    return 0;
}

int ol_feed_list(ol_ctx_t *c)
{
    return ol_db_read(c->db, list_fn, c);
}

static int revoke_job(ol_conn_t *conn, void *arg)
{
    feed_job_t *j = arg;
    ol_ctx_t *c = j->c;
    char now[32], target[32];
    ol_rows_t *r;
    ol_val_t p[] = {OL_VTEXT(ol_now_iso(now)), OL_VINT(j->id), OL_VTEXT(c->user)};
    int rc = ol_db_exec(conn,
                        "UPDATE calendar_feeds SET revoked_at = ?1 WHERE id = ?2 AND revoked_at "
                        "IS NULL AND user_id = (SELECT id FROM users WHERE username = ?3) "
                        "RETURNING id",
                        p, 3, &r);
    if (rc)
        return ol_ctx_db_fail(c, conn, rc);
    int n = ol_rows_count(r);
    ol_rows_free(r);
    if (!n)
        return ol_ctx_fail(c, -OL_ENOTFOUND, "you have no active calendar feed %lld", j->id);
    snprintf(target, sizeof target, "calendar_feed:%lld", j->id);
    if ((rc = ol_audit_write(conn, c, "calendar.feed.revoke", target, "ok", NULL)))
        return ol_ctx_db_fail(c, conn, rc);
    c->status = 204;
    return 0;
}

int ol_feed_revoke_prepare(ol_ctx_t *c, long long id, ol_write_t *w)
{
    feed_job_t *j = calloc(1, sizeof *j);
    if (!j)
        return ol_ctx_fail(c, -OL_EINTERNAL, "out of memory");
    j->c = c;
    j->id = id;
    *w = (ol_write_t){revoke_job, j, free};
    return 0;
}

/* ---- serving a feed ---------------------------------------------------------------------------- */

typedef struct {
    char hash[65];
    ol_arena_t *arena;
    ol_principal_t p;
    long long id;
    char name[101], team[101];
} feed_read_t;

static int feed_fn(ol_conn_t *conn, void *arg)
{
    feed_read_t *f = arg;
    char now[32];
    ol_rows_t *r;
    ol_val_t p[] = {OL_VTEXT(f->hash), OL_VTEXT(ol_now_iso(now))};
    int rc = ol_db_exec(conn,
                        "SELECT f.id, f.name, f.team, u.id, u.username FROM calendar_feeds f "
                        "JOIN users u ON u.id = f.user_id WHERE f.token_hash = ?1 AND "
                        "f.revoked_at IS NULL AND u.disabled = 0 AND (u.expires_at IS NULL OR "
                        "u.expires_at > ?2)",
                        p, 2, &r);
    if (rc)
        return rc;
    if (ol_rows_count(r)) {
        f->id = ol_rows_int(r, 0, 0);
        snprintf(f->name, sizeof f->name, "%s", ol_rows_get(r, 0, 1));
        snprintf(f->team, sizeof f->team, "%s", ol_rows_get(r, 0, 2) ? ol_rows_get(r, 0, 2) : "");
        f->p.id = ol_rows_int(r, 0, 3);
        snprintf(f->p.username, sizeof f->p.username, "%s", ol_rows_get(r, 0, 4));
    }
    ol_rows_free(r);
    return f->id ? ol_access_load(conn, f->p.id, f->arena, &f->p) : 0;
}

static int used_fn(ol_conn_t *conn, void *arg)
{
    feed_read_t *f = arg;
    char now[32];
    ol_val_t p[] = {OL_VTEXT(ol_now_iso(now)), OL_VINT(f->id)};
    return ol_db_exec(conn, "UPDATE calendar_feeds SET last_used_at = ?1 WHERE id = ?2", p, 2,
                      NULL);
}

int ol_feed_render(ol_db_t *db, const char *token, char **text)
{
    *text = NULL;
    if (!token || strncmp(token, "olcal_", 6) || strlen(token) > 100)
        return -OL_ENOTFOUND;
    ol_arena_t arena;
    ol_arena_init(&arena);
    feed_read_t *f = calloc(1, sizeof *f);
    f->arena = &arena;
    ol_secret_hash(token, f->hash);
    int rc = ol_db_read(db, feed_fn, f);
    if (rc == 0 && !f->id)
        rc = -OL_ENOTFOUND;
    if (rc == 0) {
        const ol_config_t *cfg = ol_config();
        time_t now = ol_time();
        ol_ctx_t c;
        ol_ctx_init(&c, db, f->p.username, f->p.roles);
        c.scope = (const char *const *)f->p.scope;
        c.via = "ical";
        rc = ol_calendar_list(&c, now - ol_config_int(cfg->calendar_feed_past_days) * 86400,
                              now + ol_config_int(cfg->calendar_feed_future_days) * 86400, NULL,
                              NULL, f->team[0] ? f->team : NULL);
        if (rc == 0)
            *text = ol_calendar_ical(c.result, f->name, now);
        ol_ctx_clear(&c);
        if (rc == 0)
            ol_db_write(db, used_fn, f); /* best effort: the feed is served either way */
    }
    free(f);
    ol_arena_clear(&arena);
    return rc;
}
