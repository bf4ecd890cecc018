/* records/duty.c - separation-of-duty rules, checked inside the transition's transaction. */
#include "records/duty.h"

#include <stdio.h>
#include <string.h>

#include "core/err.h"

/* The user who last took transition name on record id ("create": its creator), or "". */
static int last_actor(ol_conn_t *conn, long long id, const char *name, const json_t *rec,
                      char *out, size_t len)
{
    out[0] = 0;
    if (!strcmp(name, "create")) {
        snprintf(out, len, "%s", json_string_value(json_object_get(rec, "created_by")) ?: "");
        return 0;
    }
    ol_rows_t *r;
    ol_val_t p[] = {OL_VINT(id), OL_VTEXT(name)};
    int rc = ol_db_exec(conn,
                        "SELECT actor FROM record_history WHERE record_id = ?1 AND transition = ?2 "
                        "ORDER BY id DESC LIMIT 1",
                        p, 2, &r);
    if (rc)
        return rc;
    if (ol_rows_count(r))
        snprintf(out, len, "%s", ol_rows_get(r, 0, 0));
    ol_rows_free(r);
    return 0;
}

/* 1 when user's account is a regular (employee's) one, in *out. */
static int is_internal(ol_conn_t *conn, const char *user, int *out)
{
    ol_rows_t *r;
    ol_val_t p[] = {OL_VTEXT(user)};
    int rc = ol_db_exec(conn, "SELECT kind FROM users WHERE username = ?1", p, 1, &r);
    if (rc)
        return rc;
    *out = ol_rows_count(r) && !strcmp(ol_rows_get(r, 0, 0), "regular");
    ol_rows_free(r);
    return 0;
}

static int holds(const char *const *roles, const char *role)
{
    for (; roles && *roles; roles++)
        if (!strcmp(*roles, role))
            return 1;
    return 0;
}

int ol_duty_check(ol_conn_t *conn, ol_ctx_t *c, const ol_transition_t *tr, long long id,
                  const json_t *rec)
{
    for (const ol_duty_t *d = tr->duties; d && d->rule_en; d++) {
        int ok = 1;
        if (d->kind == OL_DUTY_NOT_ACTOR_OF) {
            char actor[128];
            int rc = last_actor(conn, id, d->ref, rec, actor, sizeof actor);
            if (rc)
                return ol_ctx_db_fail(c, conn, rc);
            ok = strcmp(actor, c->user) != 0;
        } else if (d->kind == OL_DUTY_NOT_FIELD) {
            const char *holder = json_string_value(json_object_get(rec, d->ref));
            ok = !holder || strcmp(holder, c->user) != 0;
        } else if (d->kind == OL_DUTY_INTERNAL) {
            int rc = is_internal(conn, c->user, &ok);
            if (rc)
                return ol_ctx_db_fail(c, conn, rc);
        } else {
            ok = holds(c->roles, d->ref);
        }
        if (!ok) {
            const char *rule = !strcmp(c->lang, "zh-CN") && d->rule_zh ? d->rule_zh : d->rule_en;
            json_array_append_new(c->errors,
                                  json_pack("{s:s, s:s, s:s?}", "field", "actor", "code",
                                            "separation_of_duties", "message", rule));
            return ol_ctx_fail(c, -OL_EFORBIDDEN, "separation of duties (S6): %s", rule);
        }
    }
    return 0;
}

int ol_duty_validate(const ol_record_type_t *t, const ol_transition_t *tr, char *err,
                     size_t errlen)
{
    for (const ol_duty_t *d = tr->duties; d && d->rule_en; d++) {
        int ok = d->kind == OL_DUTY_INTERNAL || (d->ref && *d->ref);
        if (ok && d->kind == OL_DUTY_NOT_ACTOR_OF)
            ok = !strcmp(d->ref, "create") || ol_schema_transition(t, d->ref);
        else if (ok && d->kind == OL_DUTY_NOT_FIELD)
            ok = ol_schema_field(t, d->ref) || !strcmp(d->ref, "created_by") ||
                 !strcmp(d->ref, "owner");
        if (!ok) {
            snprintf(err, errlen, "%s: transition '%s' has a duty rule naming unknown '%s'",
                     t->name, tr->name, d->ref ? d->ref : "(null)");
            return -1;
        }
    }
    return 0;
}
