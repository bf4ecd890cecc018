/* modules/access_review.c - access reviews (REQUIREMENTS S4, 002 §1.2.3): every right held
 * (direct roles, elevations, roles through groups) is listed when a review starts; a reviewer
 * attests or revokes each one (never their own: S6), a revocation takes the right away at once,
 * and the review completes only when every right was decided. Reviews of all rights come every
 * review_days (90) and of privileged rights every review_days_privileged (30), created by serve. */
#include <stdio.h>
#include <string.h>

#include "auth/authz.h"
#include "auth/roles.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/err.h"
#include "modules/registry.h"
#include "records/audit.h"
#include "records/ctx.h"
#include "records/query.h"
#include "records/schema.h"
#include "records/store.h"

static const char *const scopes[] = {"all", "privileged", NULL};

static const ol_field_t fields[] = {
    {"title", OL_F_STRING, OL_FIELD_REQUIRED | OL_FIELD_SEARCHABLE, 3, 200, NULL, NULL,
     "Title", "标题"},
    {"scope", OL_F_ENUM, OL_FIELD_REQUIRED | OL_FIELD_FILTERABLE, 0, 0, scopes, "\"all\"",
     "Rights reviewed", "复核范围"},
    {"reviewer", OL_F_USER, OL_FIELD_FILTERABLE, 0, 0, NULL, NULL, "Reviewer", "复核人"},
    {"due", OL_F_DATETIME, OL_FIELD_FILTERABLE, 0, 0, NULL, NULL, "Due", "截止时间"},
};

static const char *const states[] = {"open", "in_progress", "completed", NULL};
static const char *const st_open[] = {"open", NULL};
static const char *const st_progress[] = {"in_progress", NULL};
static const char *const reviewers[] = {"infosec_manager", NULL};
static const char *const readers[] = {"infosec_manager", "ops_manager", NULL};

static int record_id(ol_conn_t *conn, const json_t *rec, long long *id)
{
    ol_rows_t *r;
    ol_val_t v[] = {OL_VTEXT(json_string_value(json_object_get(rec, "number")))};
    int rc = ol_db_exec(conn, "SELECT id FROM records WHERE number = ?1", v, 1, &r);
    if (rc)
        return rc;
    *id = ol_rows_count(r) ? ol_rows_int(r, 0, 0) : 0;
    ol_rows_free(r);
    return 0;
}

/* start: lists every right held now (only the privileged ones for scope "privileged"). */
static int snapshot(struct ol_conn *conn, struct ol_ctx *c, const json_t *rec)
{
    long long id;
    int rc = record_id(conn, rec, &id);
    if (rc)
        return ol_ctx_db_fail(c, conn, rc);
    int privileged_only = !strcmp(json_string_value(json_object_get(rec, "scope")), "privileged");
    char now[32];
    ol_val_t v[] = {OL_VTEXT(ol_now_iso(now))};
    ol_rows_t *r;
    rc = ol_db_exec(conn,
                    "SELECT u.username, ur.role, CASE WHEN ur.expires_at IS NULL THEN 'direct' "
                    "ELSE 'elevation' END FROM user_roles ur JOIN users u ON u.id = ur.user_id "
                    "WHERE u.disabled = 0 AND (ur.expires_at IS NULL OR ur.expires_at > ?1) "
                    "UNION ALL SELECT u.username, gr.role, 'group:' || g.name FROM group_members gm "
                    "JOIN groups g ON g.id = gm.group_id JOIN group_roles gr ON gr.group_id = g.id "
                    "JOIN users u ON u.id = gm.user_id WHERE u.disabled = 0 ORDER BY 1, 2, 3",
                    v, 1, &r);
    if (rc)
        return ol_ctx_db_fail(c, conn, rc);
    for (int i = 0; i < ol_rows_count(r) && !rc; i++) {
        const ol_role_t *role = ol_role_find(ol_rows_get(r, i, 1));
        int privileged = role && role->privileged;
        if (privileged_only && !privileged)
            continue;
        ol_val_t it[] = {OL_VINT(id), OL_VTEXT(ol_rows_get(r, i, 0)), OL_VTEXT(ol_rows_get(r, i, 1)),
                         OL_VTEXT(ol_rows_get(r, i, 2)), OL_VINT(privileged)};
        rc = ol_db_exec(conn, "INSERT INTO access_review_items(review_id, username, role, source, "
                              "privileged) VALUES (?1, ?2, ?3, ?4, ?5)", it, 5, NULL);
    }
    ol_rows_free(r);
    if (rc)
        return ol_ctx_db_fail(c, conn, rc);
    return 0;
}

/* complete: only when every right was attested or revoked. */
static int all_decided(struct ol_conn *conn, struct ol_ctx *c, const json_t *rec)
{
    long long id;
    int rc = record_id(conn, rec, &id);
    ol_rows_t *r = NULL;
    ol_val_t v[] = {OL_VINT(id)};
    if (!rc)
        rc = ol_db_exec(conn, "SELECT COUNT(*) FROM access_review_items WHERE review_id = ?1 AND "
                              "decision IS NULL", v, 1, &r);
    if (rc)
        return ol_ctx_db_fail(c, conn, rc);
    long long open = ol_rows_int(r, 0, 0);
    ol_rows_free(r);
    if (open)
        return ol_ctx_fail(c, -OL_ESTATE, "%lld rights are still to be attested or revoked", open);
    return 0;
}

static const ol_transition_t transitions[] = {
    {"start", st_open, "in_progress", reviewers, NULL, 0, NULL, "Start", "开始复核", NULL,
     snapshot},
    {"complete", st_progress, "completed", reviewers, NULL, 0, NULL, "Complete", "完成复核",
     NULL, all_decided},
};

const ol_record_type_t ol_access_review_type = {
    .name = "access_review",
    .path = "access_reviews",
    .prefix = "AR",
    .label_en = "Access review",
    .label_zh = "权限复核",
    .fields = fields,
    .nfields = sizeof fields / sizeof fields[0],
    .states = states,
    .transitions = transitions,
    .ntransitions = sizeof transitions / sizeof transitions[0],
    .perms = {.read = readers, .create = reviewers, .update = reviewers, .comment = readers},
};

/* ---- items -------------------------------------------------------------------------------- */

typedef struct {
    ol_ctx_t *c;
    const char *number, *decision, *note;
    long long item;
} item_job_t;

static int review_of(ol_conn_t *conn, ol_ctx_t *c, const char *number, long long *id,
                     char *state, size_t len)
{
    ol_rows_t *r;
    ol_val_t v[] = {OL_VTEXT(number)};
    int rc = ol_db_exec(conn, "SELECT id, state FROM records WHERE type = 'access_review' AND "
                              "number = ?1", v, 1, &r);
    if (rc)
        return ol_ctx_db_fail(c, conn, rc);
    if (!ol_rows_count(r)) {
        ol_rows_free(r);
        return ol_ctx_fail(c, -OL_ENOTFOUND, "Access review %s does not exist", number);
    }
    *id = ol_rows_int(r, 0, 0);
    snprintf(state, len, "%s", ol_rows_get(r, 0, 1));
    ol_rows_free(r);
    return 0;
}

static int items_job(ol_conn_t *conn, void *arg)
{
    item_job_t *j = arg;
    long long id;
    char state[32];
    int rc = review_of(conn, j->c, j->number, &id, state, sizeof state);
    if (rc)
        return rc;
    ol_rows_t *r;
    ol_val_t v[] = {OL_VINT(id)};
    rc = ol_db_exec(conn, "SELECT id, username, role, source, privileged, decision, note, "
                          "decided_by, decided_at FROM access_review_items WHERE review_id = ?1 "
                          "ORDER BY id", v, 1, &r);
    if (rc)
        return ol_ctx_db_fail(j->c, conn, rc);
    json_t *items = json_array();
    for (int i = 0; i < ol_rows_count(r); i++)
        json_array_append_new(
            items, json_pack("{s:I, s:s, s:s, s:s, s:b, s:s?, s:s?, s:s?, s:s?}", "id",
                             (json_int_t)ol_rows_int(r, i, 0), "username", ol_rows_get(r, i, 1),
                             "role", ol_rows_get(r, i, 2), "source", ol_rows_get(r, i, 3),
                             "privileged", (int)ol_rows_int(r, i, 4), "decision",
                             ol_rows_get(r, i, 5), "note", ol_rows_get(r, i, 6), "decided_by",
                             ol_rows_get(r, i, 7), "decided_at", ol_rows_get(r, i, 8)));
    ol_rows_free(r);
    j->c->result = json_pack("{s:s, s:s, s:o}", "number", j->number, "state", state, "items",
                             items);
    return 0;
}

int ol_review_items(ol_ctx_t *c, const char *number)
{
    if (!ol_authz(c->roles, ol_access_review_type.name, "read"))
        return ol_ctx_fail(c, -OL_EFORBIDDEN, "your roles do not allow reading access reviews");
    item_job_t j = {.c = c, .number = number};
    return ol_db_read(c->db, items_job, &j);
}

/* Takes the right of an item away: the direct role, the elevation, or the group membership. */
static int revoke_right(ol_conn_t *conn, const char *user, const char *role, const char *source)
{
    ol_val_t v[] = {OL_VTEXT(user), OL_VTEXT(role), OL_VTEXT(source + (source[0] == 'g' ? 6 : 0))};
    if (!strcmp(source, "direct"))
        return ol_db_exec(conn, "DELETE FROM user_roles WHERE user_id = (SELECT id FROM users "
                                "WHERE username = ?1) AND role = ?2 AND expires_at IS NULL",
                          v, 2, NULL);
    if (!strcmp(source, "elevation"))
        return ol_db_exec(conn, "DELETE FROM user_roles WHERE user_id = (SELECT id FROM users "
                                "WHERE username = ?1) AND role = ?2 AND expires_at IS NOT NULL",
                          v, 2, NULL);
    ol_val_t g[] = {v[0], v[2]};
    return ol_db_exec(conn, "DELETE FROM group_members WHERE user_id = (SELECT id FROM users "
                            "WHERE username = ?1) AND group_id = (SELECT id FROM groups WHERE "
                            "name = ?2)", g, 2, NULL);
}

static int decide_job(ol_conn_t *conn, void *arg)
{
    item_job_t *j = arg;
    ol_ctx_t *c = j->c;
    long long id;
    char state[32];
    int rc = review_of(conn, c, j->number, &id, state, sizeof state);
    if (rc)
        return rc;
    if (strcmp(state, "in_progress"))
        return ol_ctx_fail(c, -OL_ESTATE, "%s is %s: rights are decided while it is in progress",
                           j->number, state);
    ol_rows_t *r;
    ol_val_t v[] = {OL_VINT(j->item), OL_VINT(id)};
    rc = ol_db_exec(conn, "SELECT username, role, source, decision FROM access_review_items "
                          "WHERE id = ?1 AND review_id = ?2", v, 2, &r);
    if (rc)
        return ol_ctx_db_fail(c, conn, rc);
    if (!ol_rows_count(r)) {
        ol_rows_free(r);
        return ol_ctx_fail(c, -OL_ENOTFOUND, "%s has no item %lld", j->number, j->item);
    }
    char user[128], role[96], source[160];
    snprintf(user, sizeof user, "%s", ol_rows_get(r, 0, 0));
    snprintf(role, sizeof role, "%s", ol_rows_get(r, 0, 1));
    snprintf(source, sizeof source, "%s", ol_rows_get(r, 0, 2));
    int decided = ol_rows_get(r, 0, 3) != NULL;
    ol_rows_free(r);
    if (decided)
        return ol_ctx_fail(c, -OL_ESTATE, "item %lld was decided already", j->item);
    if (!strcmp(user, c->user)) {
        json_array_append_new(c->errors, json_pack("{s:s, s:s, s:s}", "field", "actor", "code",
                                                   "separation_of_duties", "message",
                                                   "nobody reviews their own rights"));
        return ol_ctx_fail(c, -OL_EFORBIDDEN,
                           "separation of duties (S6): nobody reviews their own rights");
    }
    char now[32];
    ol_val_t u[] = {OL_VINT(j->item), OL_VTEXT(j->decision), OL_VTEXT(j->note), OL_VTEXT(c->user),
                    OL_VTEXT(ol_now_iso(now))};
    rc = ol_db_exec(conn, "UPDATE access_review_items SET decision = ?2, note = ?3, decided_by = "
                          "?4, decided_at = ?5 WHERE id = ?1", u, 5, NULL);
    if (!rc && !strcmp(j->decision, "revoke"))
        rc = revoke_right(conn, user, role, source);
    if (!rc) {
        json_t *d = json_pack("{s:s, s:s, s:s, s:s, s:s?}", "user", user, "role", role, "source",
                              source, "decision", j->decision, "note", j->note);
        char *text = json_dumps(d, JSON_COMPACT);
        json_decref(d);
        rc = ol_audit_write(conn, c, !strcmp(j->decision, "revoke") ? "review.revoke"
                                                                    : "review.attest",
                            j->number, "ok", text);
        free(text);
    }
    if (rc)
        return ol_ctx_db_fail(c, conn, rc);
    return items_job(conn, j);
}

int ol_review_decide(ol_ctx_t *c, const char *number, long long item, const char *decision,
                     const char *note)
{
    if (!ol_authz(c->roles, ol_access_review_type.name, "update"))
        return ol_ctx_fail(c, -OL_EFORBIDDEN, "your roles do not allow deciding access reviews");
    if (!decision || (strcmp(decision, "attest") && strcmp(decision, "revoke")))
        ol_schema_add_error(c->errors, "decision", "bad_filter", c->lang, "attest or revoke");
    if (note && strlen(note) > 2000)
        ol_schema_add_error(c->errors, "note", "too_long", c->lang, "2000");
    if (json_array_size(c->errors))
        return ol_ctx_fail(c, -OL_EINVAL, "the decision is invalid");
    item_job_t j = {.c = c, .number = number, .item = item, .decision = decision, .note = note};
    return ol_db_write(c->db, decide_job, &j);
}

/* ---- schedule ------------------------------------------------------------------------------ */

static int first_account(ol_conn_t *conn, void *arg)
{
    time_t *t = arg;
    ol_rows_t *r;
    int rc = ol_db_exec(conn, "SELECT MIN(created_at) FROM users", NULL, 0, &r);
    if (rc)
        return rc;
    const char *at = ol_rows_get(r, 0, 0);
    if (!at || ol_iso_parse(at, t))
        *t = 0;
    ol_rows_free(r);
    return 0;
}

/* When the newest review of scope was created; with none, when the first account was (so a
 * new installation has its first review one period after it was set up). 0 when unknown. */
static int last_review(ol_db_t *db, const char *const *roles, const char *scope, time_t *last)
{
    ol_ctx_t c;
    ol_ctx_init(&c, db, "system", roles);
    ol_query_t q;
    ol_query_init(&q);
    int rc = ol_query_add(&c, &ol_access_review_type, &q, "scope", scope);
    if (!rc)
        rc = ol_query_add(&c, &ol_access_review_type, &q, "sort", "-created_at");
    if (!rc)
        rc = ol_query_add(&c, &ol_access_review_type, &q, "limit", "1");
    if (!rc)
        rc = ol_rec_list(&c, &ol_access_review_type, &q);
    ol_query_clear(&q);
    json_t *newest = rc ? NULL : json_array_get(json_object_get(c.result, "items"), 0);
    *last = 0;
    if (newest)
        ol_iso_parse(json_string_value(json_object_get(newest, "created_at")), last);
    else if (!rc)
        rc = ol_db_read(db, first_account, last);
    ol_ctx_clear(&c);
    return rc;
}

typedef struct {
    ol_write_t create; /* the review's creation, prepared */
    const char *scope;
    const char *since; /* a review of scope made since then makes this one unneeded */
    int skipped;
} schedule_job_t;

/* The sweep runs on the leader only; should two nodes run it at once (a leadership handover),
 * the second one, serialised here, finds the review the first one made and makes none. */
static int schedule_job(ol_conn_t *conn, void *arg)
{
    schedule_job_t *j = arg;
    int rc = ol_db_xact_lock(conn, "access_review.schedule");
    ol_rows_t *r;
    ol_val_t p[] = {OL_VTEXT(j->since), OL_VTEXT(j->scope)};
    if (rc == 0)
        rc = ol_db_exec(conn, ol_conn_kind(conn) == OL_DB_PG
                                  ? "SELECT COUNT(*) FROM records WHERE type = 'access_review' "
                                    "AND created_at > ?1 AND data->>'scope' = ?2"
                                  : "SELECT COUNT(*) FROM records WHERE type = 'access_review' "
                                    "AND created_at > ?1 AND json_extract(data, '$.scope') = ?2",
                        p, 2, &r);
    if (rc)
        return rc;
    j->skipped = ol_rows_int(r, 0, 0) > 0;
    ol_rows_free(r);
    return j->skipped ? 0 : j->create.fn(conn, j->create.arg);
}

int ol_access_review_schedule(ol_db_t *db)
{
    static const char *const system_roles[] = {"admin", NULL};
    const ol_config_t *cfg = ol_config();
    const struct {
        const char *scope;
        long days;
        const char *title;
    } due[] = {
        {"privileged", ol_config_int(cfg->review_days_privileged), "Review of privileged rights"},
        {"all", ol_config_int(cfg->review_days), "Review of all access rights"},
    };
    int created = 0;
    for (size_t i = 0; i < sizeof due / sizeof due[0]; i++) {
        time_t last, now = ol_time();
        int rc = last_review(db, system_roles, due[i].scope, &last);
        if (rc)
            return rc;
        if (!last || now - last < due[i].days * 86400)
            continue;
        char when[32], title[128], since[32];
        ol_iso_at(now, when);
        ol_iso_at(last + 1, since); /* later than the newest review, to the second */
        snprintf(title, sizeof title, "%s %.10s", due[i].title, when);
        json_t *in = json_pack("{s:s, s:s}", "title", title, "scope", due[i].scope);
        ol_ctx_t c;
        ol_ctx_init(&c, db, "system", system_roles);
        c.via = "system";
        ol_write_t w;
        schedule_job_t j = {.scope = due[i].scope, .since = since};
        rc = ol_rec_create_prepare(&c, &ol_access_review_type, in, &j.create);
        if (!rc) {
            w = (ol_write_t){schedule_job, &j, NULL};
            rc = ol_write_run(db, &w);
            if (j.create.free_arg)
                j.create.free_arg(j.create.arg);
        }
        const char *number =
            rc || j.skipped ? NULL : json_string_value(json_object_get(c.result, "number"));
        if (number) {
            ol_ctx_t s;
            ol_ctx_init(&s, db, "system", system_roles);
            s.via = "system";
            if (ol_rec_transition_prepare(&s, &ol_access_review_type, number, "start", 0, NULL,
                                          &w) == 0)
                rc = ol_write_run(db, &w);
            ol_ctx_clear(&s);
            created++;
        }
        ol_ctx_clear(&c);
        json_decref(in);
        if (rc)
            return rc;
    }
    return created;
}
