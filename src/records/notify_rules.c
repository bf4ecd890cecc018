/* records/notify_rules.c - P7: who is notified of what, per team. A rule sends the notices of an
 * event ("sla.breach"), a family of events ("sla.*") or all ("*") about the records of one group
 * (or of every group) to a channel, besides the channel the event's own policy names. The copies
 * are enqueued by ol_outbox_enqueue in the same transaction as the notice, so a rule never misses
 * one and a crash loses none. Rules are administered like channels, and audited. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/err.h"
#include "records/audit.h"
#include "records/outbox.h"
#include "records/schema.h"

/* An event pattern: "*", "family.*" or an event name ([a-z0-9._-], <= 64). */
static int valid_pattern(const char *s)
{
    size_t n = strlen(s);
    if (!strcmp(s, "*"))
        return 1;
    if (n == 0 || n > 64 || s[0] == '.' || s[0] == '*')
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || strchr("._-", s[i]) ||
              (s[i] == '*' && i == n - 1 && s[i - 1] == '.')))
            return 0;
    return 1;
}

static int matches(const char *pattern, const char *event)
{
    size_t n = strlen(pattern);
    if (!strcmp(pattern, "*"))
        return 1;
    if (n >= 2 && pattern[n - 1] == '*') /* "sla.*": the family, dot included */
        return !strncmp(pattern, event, n - 1);
    return !strcmp(pattern, event);
}

int ol_notify_fanout(ol_conn_t *conn, const ol_ctx_t *c, const ol_notice_t *n)
{
    ol_rows_t *r;
    const char *grp = "";
    ol_rows_t *g = NULL;
    if (n->record) { /* the team of the record the notice is about */
        ol_val_t k[] = {OL_VTEXT(n->record)};
        int rc = ol_db_exec(conn, "SELECT grp FROM records WHERE number = ?1", k, 1, &g);
        if (rc)
            return rc;
        if (ol_rows_count(g) && ol_rows_get(g, 0, 0))
            grp = ol_rows_get(g, 0, 0);
    }
    ol_val_t p[] = {OL_VTEXT(grp)};
    int rc = ol_db_exec(conn, "SELECT id, event, channel FROM notify_rules WHERE grp = '' OR "
                              "grp = ?1 ORDER BY id", p, 1, &r);
    for (int i = 0; rc == 0 && i < ol_rows_count(r); i++) {
        const char *channel = ol_rows_get(r, i, 2);
        if (!matches(ol_rows_get(r, i, 1), n->event) || (n->channel && !strcmp(channel, n->channel)))
            continue;
        int sent = 0; /* two rules naming one channel (a team's and everyone's): one copy */
        for (int k = 0; k < i && !sent; k++)
            sent = matches(ol_rows_get(r, k, 1), n->event) && !strcmp(ol_rows_get(r, k, 2), channel);
        if (sent)
            continue;
        /* The copy's key: the rule and a digest of the notice's key (fits the 200-byte limit;
         * a repeated notice repeats its copies' keys, so they stay single too). */
        unsigned char h[16];
        crypto_generichash(h, sizeof h, (const unsigned char *)n->dedupe_key,
                           strlen(n->dedupe_key), NULL, 0);
        char hex[33], key[64];
        sodium_bin2hex(hex, sizeof hex, h, sizeof h);
        snprintf(key, sizeof key, "rule%lld:%s", ol_rows_int(r, i, 0), hex);
        ol_notice_t copy = *n;
        copy.channel = channel;
        copy.dedupe_key = key;
        rc = ol_outbox_enqueue_one(conn, c, &copy, NULL);
        rc = rc < 0 ? rc : 0;
    }
    ol_rows_free(r);
    ol_rows_free(g);
    return rc;
}

/* ---- administration ------------------------------------------------------------------------- */

static json_t *rule_json(const ol_rows_t *r, int i)
{
    return json_pack("{sIssssssssss}", "id", (json_int_t)ol_rows_int(r, i, 0), "event",
                     ol_rows_get(r, i, 1), "group", ol_rows_get(r, i, 2), "channel",
                     ol_rows_get(r, i, 3), "created_at", ol_rows_get(r, i, 4), "created_by",
                     ol_rows_get(r, i, 5));
}

static int list_fn(ol_conn_t *conn, void *arg)
{
    ol_ctx_t *c = arg;
    ol_rows_t *r;
    int rc = ol_db_exec(conn, "SELECT id, event, grp, channel, created_at, created_by FROM "
                              "notify_rules ORDER BY id", NULL, 0, &r);
    if (rc)
        return ol_ctx_db_fail(c, conn, rc);
    json_t *items = json_array();
    for (int i = 0; i < ol_rows_count(r); i++)
        json_array_append_new(items, rule_json(r, i));
    ol_rows_free(r);
    c->result = json_pack("{so}", "items", items);
    return 0;
}

int ol_rule_list(ol_ctx_t *c)
{
    return ol_db_read(c->db, list_fn, c);
}

typedef struct {
    ol_ctx_t *c;
    const char *event, *group, *channel;
    long long id;
} rule_job_t;

static int create_fn(ol_conn_t *conn, void *arg)
{
    rule_job_t *j = arg;
    ol_rows_t *r;
    ol_val_t k[] = {OL_VTEXT(j->channel), OL_VTEXT(j->group)};
    int rc = ol_db_exec(conn, "SELECT (SELECT COUNT(*) FROM notification_channels WHERE name = ?1), "
                              "(SELECT COUNT(*) FROM groups WHERE name = ?2)", k, 2, &r);
    if (rc)
        return ol_ctx_db_fail(j->c, conn, rc);
    int channel_ok = ol_rows_int(r, 0, 0) > 0, group_ok = !*j->group || ol_rows_int(r, 0, 1) > 0;
    ol_rows_free(r);
    if (!channel_ok)
        ol_schema_add_error(j->c->errors, "channel", "no_such_channel", j->c->lang, j->channel);
    if (!group_ok)
        ol_schema_add_error(j->c->errors, "group", "no_such_group", j->c->lang, j->group);
    if (!channel_ok || !group_ok)
        return ol_ctx_fail(j->c, -OL_EINVAL, "the rule names what does not exist");
    char now[32];
    ol_iso_at(ol_time(), now);
    ol_val_t p[] = {OL_VTEXT(j->event), OL_VTEXT(j->group), OL_VTEXT(j->channel), OL_VTEXT(now),
                    OL_VTEXT(j->c->user)};
    rc = ol_db_exec(conn, "INSERT INTO notify_rules(event, grp, channel, created_at, created_by) "
                          "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (event, grp, channel) DO NOTHING "
                          "RETURNING id, event, grp, channel, created_at, created_by",
                    p, 5, &r);
    if (rc)
        return ol_ctx_db_fail(j->c, conn, rc);
    if (!ol_rows_count(r)) {
        ol_rows_free(r);
        return ol_ctx_fail(j->c, -OL_ECONFLICT, "the same rule exists already");
    }
    j->c->result = rule_json(r, 0);
    ol_rows_free(r);
    char *detail = json_dumps(j->c->result, JSON_COMPACT);
    rc = ol_audit_write(conn, j->c, "notify_rule.create", j->channel, "ok", detail);
    free(detail);
    return rc ? ol_ctx_db_fail(j->c, conn, rc) : 0;
}

int ol_rule_create(ol_ctx_t *c, const json_t *in)
{
    static const char *const keys[] = {"event", "group", "channel", NULL};
    ol_input_check_keys(in, keys, c->lang, c->errors);
    rule_job_t j = {.c = c};
    j.event = json_string_value(json_object_get(in, "event"));
    j.channel = json_string_value(json_object_get(in, "channel"));
    json_t *g = json_object_get(in, "group");
    j.group = g && !json_is_null(g) ? json_string_value(g) : "";
    if (!j.event || !valid_pattern(j.event))
        ol_schema_add_error(c->errors, "event", j.event ? "event_pattern" : "required", c->lang,
                            NULL);
    if (!j.channel || !*j.channel)
        ol_schema_add_error(c->errors, "channel", "required", c->lang, NULL);
    if (!j.group || strlen(j.group) > 100)
        ol_schema_add_error(c->errors, "group", !j.group ? "type_string" : "too_long", c->lang,
                            "100");
    if (json_array_size(c->errors))
        return ol_ctx_fail(c, -OL_EINVAL, "the rule is invalid");
    c->status = 201;
    return ol_db_write(c->db, create_fn, &j);
}

static int delete_fn(ol_conn_t *conn, void *arg)
{
    rule_job_t *j = arg;
    ol_rows_t *r;
    ol_val_t p[] = {OL_VINT(j->id)};
    int rc = ol_db_exec(conn, "DELETE FROM notify_rules WHERE id = ?1 RETURNING id, event, grp, "
                              "channel, created_at, created_by", p, 1, &r);
    if (rc)
        return ol_ctx_db_fail(j->c, conn, rc);
    if (!ol_rows_count(r)) {
        ol_rows_free(r);
        return ol_ctx_fail(j->c, -OL_ENOTFOUND, "there is no rule %lld", j->id);
    }
    j->c->result = rule_json(r, 0);
    ol_rows_free(r);
    char *detail = json_dumps(j->c->result, JSON_COMPACT);
    rc = ol_audit_write(conn, j->c, "notify_rule.delete",
                        json_string_value(json_object_get(j->c->result, "channel")), "ok", detail);
    free(detail);
    return rc ? ol_ctx_db_fail(j->c, conn, rc) : 0;
}

int ol_rule_delete(ol_ctx_t *c, long long id)
{
    rule_job_t j = {.c = c, .id = id};
    return ol_db_write(c->db, delete_fn, &j);
}
