/* records/notify_channel.c - P7 notification channels: what administrators configure (a webhook
 * in one of five body formats, or an SMTP mailbox), validated as a whole, audited, and with its
 * secret (webhook signing secret, SMTP password) sealed at rest and never shown again. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/json.h"
#include "core/notify_format.h"
#include "records/audit.h"
#include "records/outbox.h"
#include "records/schema.h"
#include "records/sealed.h"

#define MAX_RECIPIENTS 20
#define CHANNEL_COLS "id, name, kind, format, url, lang, secret_enc, smtp_user, starttls, " \
                     "mail_from, mail_to, disabled, created_at, updated_at"

/* ---- the secret's two crossings (S7) -------------------------------------------------------- */

char *ol_channel_secret_seal(long long channel_id, const char *plain)
{
    return ol_seal_text("notification_channels", "secret_enc", channel_id, plain);
}

int ol_channel_secret_open(long long channel_id, const char *sealed, char **plain)
{
    return ol_open_text("notification_channels", "secret_enc", channel_id, sealed, plain);
}

/* ---- validation ----------------------------------------------------------------------------- */

static int valid_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 64)
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || strchr("._-", *s)))
            return 0;
    return 1;
}

/* scheme://host... with no spaces or control characters. */
static int valid_url(const char *s, const char *const *schemes)
{
    size_t n = strlen(s);
    if (n > 2000)
        return 0;
    for (const char *p = s; *p; p++)
        if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f)
            return 0;
    for (; *schemes; schemes++) {
        size_t k = strlen(*schemes);
        if (!strncmp(s, *schemes, k) && s[k] && s[k] != '/' && s[k] != ':' && s[k] != '?')
            return 1;
    }
    return 0;
}

static int valid_email(const char *s)
{
    const char *at = strchr(s, '@');
    size_t n = strlen(s);
    if (n > 254 || !at || at == s || strchr(at + 1, '@') || !at[1])
        return 0;
    for (; *s; s++)
        if ((unsigned char)*s <= ' ' || *s == 0x7f || strchr("<>,;\"()[]\\", *s))
            return 0;
    return 1;
}

typedef struct {
    const char *name, *kind, *format, *url, *lang, *secret, *smtp_user, *from;
    int secret_given, starttls, disabled;
    char to[MAX_RECIPIENTS * 256]; /* comma-separated */
} fields_t;

static const char *str_field(ol_ctx_t *c, const json_t *m, const char *key)
{
    const json_t *v = json_object_get(m, key);
    if (v && !json_is_string(v) && !json_is_null(v)) {
        ol_schema_add_error(c->errors, key, "type_string", c->lang, NULL);
        return NULL;
    }
    const char *s = json_string_value(v);
    if (s && !ol_utf8_valid(s)) {
        ol_schema_add_error(c->errors, key, "control", c->lang, NULL);
        return NULL;
    }
    return s;
}

static int bool_field(ol_ctx_t *c, const json_t *m, const char *key)
{
    const json_t *v = json_object_get(m, key);
    if (v && !json_is_boolean(v)) {
        ol_schema_add_error(c->errors, key, "type_bool", c->lang, NULL);
        return 0;
    }
    return json_is_true(v);
}

static void check_recipients(ol_ctx_t *c, const json_t *to, fields_t *f)
{
    size_t i;
    json_t *v;
    if (!json_is_array(to) || json_array_size(to) == 0) {
        ol_schema_add_error(c->errors, "to", to && !json_is_array(to) ? "type_tags" : "required",
                            c->lang, NULL);
        return;
    }
    if (json_array_size(to) > MAX_RECIPIENTS) {
        ol_schema_add_error(c->errors, "to", "too_many", c->lang, "20");
        return;
    }
    size_t len = 0;
    json_array_foreach(to, i, v) {
        const char *s = json_string_value(v);
        if (!s || !valid_email(s)) {
            ol_schema_add_error(c->errors, "to", s ? "email" : "type_tags", c->lang, NULL);
            return;
        }
        len += (size_t)snprintf(f->to + len, sizeof f->to - len, "%s%s", i ? "," : "", s);
    }
}

/* Validates a whole channel (after a PATCH was merged into the stored one). */
static void check(ol_ctx_t *c, const json_t *m, int creating, fields_t *f)
{
    static const char *const http[] = {"http://", "https://", NULL};
    static const char *const smtp[] = {"smtp://", "smtps://", NULL};
    memset(f, 0, sizeof *f);
    f->name = str_field(c, m, "name");
    f->kind = str_field(c, m, "kind");
    f->format = str_field(c, m, "format");
    f->url = str_field(c, m, "url");
    f->lang = str_field(c, m, "lang");
    f->smtp_user = str_field(c, m, "smtp_user");
    f->from = str_field(c, m, "from");
    f->secret_given = json_object_get(m, "secret") != NULL;
    f->secret = str_field(c, m, "secret");
    f->starttls = bool_field(c, m, "starttls");
    f->disabled = bool_field(c, m, "disabled");
    if (creating && (!f->name || !valid_name(f->name)))
        ol_schema_add_error(c->errors, "name", f->name ? "channel_name" : "required", c->lang,
                            NULL);
    if (!f->lang)
        f->lang = "en";
    if (strcmp(f->lang, "en") && strcmp(f->lang, "zh-CN"))
        ol_schema_add_error(c->errors, "lang", "enum", c->lang, "en, zh-CN");
    if (f->secret && (!*f->secret || strlen(f->secret) > 512))
        ol_schema_add_error(c->errors, "secret", *f->secret ? "too_long" : "required", c->lang,
                            "512");
    int webhook = f->kind && !strcmp(f->kind, "webhook");
    int email = f->kind && !strcmp(f->kind, "email");
    if (!webhook && !email) {
        ol_schema_add_error(c->errors, "kind", f->kind ? "enum" : "required", c->lang,
                            "webhook, email");
        return;
    }
    if (!f->url)
        ol_schema_add_error(c->errors, "url", "required", c->lang, NULL);
    else if (!valid_url(f->url, webhook ? http : smtp))
        ol_schema_add_error(c->errors, "url", webhook ? "webhook_url" : "smtp_url", c->lang, NULL);
    if (webhook) {
        if (!f->format || !*f->format)
            f->format = "generic";
        if (!ol_notify_format_valid(f->format))
            ol_schema_add_error(c->errors, "format", "enum", c->lang,
                                "dingtalk, wecom, feishu, slack, generic");
        else if (f->secret && strcmp(f->format, "dingtalk") && strcmp(f->format, "feishu"))
            ol_schema_add_error(c->errors, "secret", "secret_format", c->lang, NULL);
        static const char *const mail_only[] = {"smtp_user", "from", "to", "starttls", NULL};
        for (int i = 0; mail_only[i]; i++) {
            const json_t *v = json_object_get(m, mail_only[i]);
            if (v && !json_is_null(v) && !json_is_false(v) &&
                !(json_is_string(v) && !*json_string_value(v)) &&
                !(json_is_array(v) && !json_array_size(v)))
                ol_schema_add_error(c->errors, mail_only[i], "not_for_kind", c->lang, "webhook");
        }
        return;
    }
    if (f->format && *f->format)
        ol_schema_add_error(c->errors, "format", "not_for_kind", c->lang, "email");
    f->format = "";
    if (!f->from || !valid_email(f->from))
        ol_schema_add_error(c->errors, "from", f->from ? "email" : "required", c->lang, NULL);
    if (f->smtp_user && (strlen(f->smtp_user) > 254 || strpbrk(f->smtp_user, "\r\n")))
        ol_schema_add_error(c->errors, "smtp_user", "too_long", c->lang, "254");
    check_recipients(c, json_object_get(m, "to"), f);
}

/* ---- output --------------------------------------------------------------------------------- */

/* The URL without its query: chat webhooks carry their access token there. */
static json_t *shown_url(const char *url)
{
    const char *q = strchr(url, '?');
    if (!q)
        return json_string(url);
    char buf[2100];
    snprintf(buf, sizeof buf, "%.*s?…", (int)(q - url), url);
    return json_string(buf);
}

static json_t *recipients(const char *to)
{
    json_t *a = json_array();
    for (const char *p = to; p && *p;) {
        size_t n = strcspn(p, ",");
        json_array_append_new(a, json_stringn(p, n));
        p += n + (p[n] == ',');
    }
    return a;
}

/* A row of CHANNEL_COLS as the API shows it; stored = 1: as stored (unmasked URL, for a merge). */
static json_t *channel_json(const ol_rows_t *r, int i, int stored)
{
    const char *kind = ol_rows_get(r, i, 2);
    json_t *o = json_pack("{s:s, s:s, s:s}", "name", ol_rows_get(r, i, 1), "kind", kind, "lang",
                          ol_rows_get(r, i, 5));
    json_object_set_new(o, "url", stored ? json_string(ol_rows_get(r, i, 4))
                                         : shown_url(ol_rows_get(r, i, 4)));
    if (!strcmp(kind, "webhook")) {
        json_object_set_new(o, "format", json_string(ol_rows_get(r, i, 3)));
    } else {
        json_object_set_new(o, "smtp_user", json_string(ol_rows_get(r, i, 7)));
        json_object_set_new(o, "starttls", json_boolean(ol_rows_int(r, i, 8)));
        json_object_set_new(o, "from", json_string(ol_rows_get(r, i, 9)));
        json_object_set_new(o, "to", recipients(ol_rows_get(r, i, 10)));
    }
    json_object_set_new(o, "disabled", json_boolean(ol_rows_int(r, i, 11)));
    if (!stored) {
        json_object_set_new(o, "has_secret", json_boolean(ol_rows_get(r, i, 6) != NULL));
        json_object_set_new(o, "created_at", json_string(ol_rows_get(r, i, 12)));
        json_object_set_new(o, "updated_at", json_string(ol_rows_get(r, i, 13)));
    }
    return o;
}

/* ---- reading -------------------------------------------------------------------------------- */

typedef struct {
    ol_ctx_t *c;
    const char *name;
    int stored;
    fields_t *f;
    const json_t *changes; /* update: the keys changed, for the audit entry */
    long long notice;
} job_t;

static int get_fn(ol_conn_t *conn, void *arg)
{
    job_t *j = arg;
    ol_rows_t *r;
    ol_val_t p[] = {OL_VTEXT(j->name)};
    int rc = j->name ? ol_db_exec(conn, "SELECT " CHANNEL_COLS " FROM notification_channels "
                                        "WHERE name = ?1", p, 1, &r)
                     : ol_db_exec(conn, "SELECT " CHANNEL_COLS " FROM notification_channels "
                                        "ORDER BY name", NULL, 0, &r);
    if (rc)
        return ol_ctx_db_fail(j->c, conn, rc);
    if (j->name && ol_rows_count(r) == 0) {
        ol_rows_free(r);
        return ol_ctx_fail(j->c, -OL_ENOTFOUND, "there is no notification channel '%s'", j->name);
    }
    if (j->name) {
        j->c->result = channel_json(r, 0, j->stored);
    } else {
        j->c->result = json_array();
        for (int i = 0; i < ol_rows_count(r); i++)
            json_array_append_new(j->c->result, channel_json(r, i, 0));
    }
    ol_rows_free(r);
    return 0;
}

int ol_channel_get(ol_ctx_t *c, const char *name)
{
    job_t j = {.c = c, .name = name};
    int rc = ol_db_read(c->db, get_fn, &j);
    c->status = 200;
    return rc;
}

int ol_channel_list(ol_ctx_t *c)
{
    job_t j = {.c = c};
    int rc = ol_db_read(c->db, get_fn, &j);
    c->status = 200;
    return rc;
}

/* ---- writing -------------------------------------------------------------------------------- */

/* Seals f->secret for row id into secret_enc (or clears it for "secret": null). */
static int store_secret(ol_conn_t *conn, job_t *j, long long id)
{
    if (!j->f->secret_given)
        return 0;
    char *sealed = j->f->secret ? ol_channel_secret_seal(id, j->f->secret) : NULL;
    if (j->f->secret && !sealed)
        return ol_ctx_fail(j->c, -OL_EINTERNAL, "cannot seal the secret: no field-encryption "
                           "key is loaded (S7 key_file)");
    ol_val_t p[] = {OL_VINT(id), OL_VTEXT(sealed)};
    int rc = ol_db_exec(conn, "UPDATE notification_channels SET secret_enc = ?2 WHERE id = ?1",
                        p, 2, NULL);
    free(sealed);
    return rc ? ol_ctx_db_fail(j->c, conn, rc) : 0;
}

static int audit(ol_conn_t *conn, job_t *j, const char *action, json_t *detail)
{
    char target[80];
    snprintf(target, sizeof target, "channel:%s", j->name);
    char *text = detail ? ol_json_dump(detail) : NULL;
    json_decref(detail);
    int rc = ol_audit_write(conn, j->c, action, target, "ok", text);
    free(text);
    return rc ? ol_ctx_db_fail(j->c, conn, rc) : 0;
}

static int create_fn(ol_conn_t *conn, void *arg)
{
    job_t *j = arg;
    fields_t *f = j->f;
    char now[32];
    ol_now_iso(now);
    ol_val_t p[] = {OL_VTEXT(f->name), OL_VTEXT(f->kind), OL_VTEXT(f->format), OL_VTEXT(f->url),
                    OL_VTEXT(f->lang), OL_VTEXT(f->smtp_user ? f->smtp_user : ""),
                    OL_VINT(f->starttls), OL_VTEXT(f->from ? f->from : ""), OL_VTEXT(f->to),
                    OL_VINT(f->disabled), OL_VTEXT(now)};
    ol_rows_t *r;
    int rc = ol_db_exec(conn, "INSERT INTO notification_channels(name, kind, format, url, lang, "
                              "smtp_user, starttls, mail_from, mail_to, disabled, created_at, "
                              "updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, "
                              "?11) RETURNING id", p, 11, &r);
    if (rc == -OL_ECONFLICT)
        return ol_ctx_fail(j->c, rc, "the channel name '%s' is taken", f->name);
    if (rc)
        return ol_ctx_db_fail(j->c, conn, rc);
    long long id = ol_rows_int(r, 0, 0);
    ol_rows_free(r);
    if ((rc = store_secret(conn, j, id)))
        return rc;
    return audit(conn, j, "notification_channel.create",
                 json_pack("{s:s, s:s, s:b}", "kind", f->kind, "format", f->format, "has_secret",
                           f->secret != NULL));
}

int ol_channel_create(ol_ctx_t *c, const json_t *in)
{
    static const char *const keys[] = {"name", "kind", "format", "url", "lang", "secret",
                                       "smtp_user", "starttls", "from", "to", "disabled", NULL};
    fields_t f;
    if (!ol_input_check_keys(in, keys, c->lang, c->errors))
        check(c, in, 1, &f);
    if (json_array_size(c->errors))
        return ol_ctx_fail(c, -OL_EINVAL, "the notification channel is invalid");
    job_t j = {.c = c, .name = f.name, .f = &f};
    int rc = ol_db_write(c->db, create_fn, &j);
    sodium_memzero(&f, sizeof f);
    if (rc == 0 && (rc = ol_channel_get(c, j.name)) == 0)
        c->status = 201;
    return rc;
}

static int update_fn(ol_conn_t *conn, void *arg)
{
    job_t *j = arg;
    fields_t *f = j->f;
    char now[32];
    ol_now_iso(now);
    ol_val_t p[] = {OL_VTEXT(j->name), OL_VTEXT(f->format), OL_VTEXT(f->url), OL_VTEXT(f->lang),
                    OL_VTEXT(f->smtp_user ? f->smtp_user : ""), OL_VINT(f->starttls),
                    OL_VTEXT(f->from ? f->from : ""), OL_VTEXT(f->to), OL_VINT(f->disabled),
                    OL_VTEXT(now)};
    ol_rows_t *r;
    int rc = ol_db_exec(conn, "UPDATE notification_channels SET format = ?2, url = ?3, lang = ?4, "
                              "smtp_user = ?5, starttls = ?6, mail_from = ?7, mail_to = ?8, "
                              "disabled = ?9, updated_at = ?10 WHERE name = ?1 RETURNING id",
                        p, 10, &r);
    if (rc)
        return ol_ctx_db_fail(j->c, conn, rc);
    if (ol_rows_count(r) == 0) {
        ol_rows_free(r);
        return ol_ctx_fail(j->c, -OL_ENOTFOUND, "there is no notification channel '%s'", j->name);
    }
    long long id = ol_rows_int(r, 0, 0);
    ol_rows_free(r);
    if ((rc = store_secret(conn, j, id)))
        return rc;
    json_t *fields = json_array();
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)j->changes, key, v)
        json_array_append_new(fields, json_string(key));
    return audit(conn, j, !json_object_size(j->changes) ? "notification_channel.update"
                          : json_object_size(j->changes) == 1 &&
                                    json_is_true(json_object_get(j->changes, "disabled"))
                              ? "notification_channel.disable"
                              : "notification_channel.update",
                 json_pack("{s:o}", "fields", fields));
}

int ol_channel_update(ol_ctx_t *c, const char *name, const json_t *changes)
{
    static const char *const keys[] = {"format", "url", "lang", "secret", "smtp_user",
                                       "starttls", "from", "to", "disabled", NULL};
    if (ol_input_check_keys(changes, keys, c->lang, c->errors))
        return ol_ctx_fail(c, -OL_EINVAL, "the change is invalid");
    job_t j = {.c = c, .name = name, .stored = 1};
    int rc = ol_db_read(c->db, get_fn, &j);
    if (rc)
        return rc;
    json_t *merged = c->result;
    c->result = NULL;
    json_object_update(merged, (json_t *)changes);
    fields_t f;
    check(c, merged, 0, &f);
    if (json_array_size(c->errors)) {
        json_decref(merged);
        return ol_ctx_fail(c, -OL_EINVAL, "the notification channel is invalid");
    }
    j.f = &f;
    j.changes = changes;
    rc = ol_db_write(c->db, update_fn, &j);
    sodium_memzero(&f, sizeof f);
    json_decref(merged);
    return rc ? rc : ol_channel_get(c, name);
}

int ol_channel_disable(ol_ctx_t *c, const char *name)
{
    json_t *ch = json_pack("{s:b}", "disabled", 1);
    int rc = ol_channel_update(c, name, ch);
    json_decref(ch);
    return rc;
}

/* ---- test notice ---------------------------------------------------------------------------- */

static int test_fn(ol_conn_t *conn, void *arg)
{
    job_t *j = arg;
    ol_val_t p[] = {OL_VTEXT(j->name)};
    ol_rows_t *r;
    int rc = ol_db_exec(conn, "SELECT disabled FROM notification_channels WHERE name = ?1", p, 1,
                        &r);
    if (rc)
        return ol_ctx_db_fail(j->c, conn, rc);
    int found = ol_rows_count(r) == 1, disabled = found && ol_rows_int(r, 0, 0);
    ol_rows_free(r);
    if (!found)
        return ol_ctx_fail(j->c, -OL_ENOTFOUND, "there is no notification channel '%s'", j->name);
    if (disabled)
        return ol_ctx_fail(j->c, -OL_ECONFLICT, "the channel '%s' is disabled", j->name);
    unsigned char rnd[8];
    char key[120], hex[17], sub_en[200], sub_zh[200], body_en[300], body_zh[300];
    randombytes_buf(rnd, sizeof rnd);
    sodium_bin2hex(hex, sizeof hex, rnd, sizeof rnd);
    snprintf(key, sizeof key, "test:%s:%s", j->name, hex);
    ol_notice_t n = {
        .channel = j->name,
        .event = "channel.test",
        .subject_en = ol_msg("notice_test_subject", "en", NULL, sub_en, sizeof sub_en),
        .body_en = ol_msg("notice_test_body", "en", j->name, body_en, sizeof body_en),
        .subject_zh = ol_msg("notice_test_subject", "zh-CN", NULL, sub_zh, sizeof sub_zh),
        .body_zh = ol_msg("notice_test_body", "zh-CN", j->name, body_zh, sizeof body_zh),
        .dedupe_key = key,
    };
    if ((rc = ol_outbox_enqueue_id(conn, j->c, &n, &j->notice)) < 0)
        return ol_ctx_db_fail(j->c, conn, rc);
    return audit(conn, j, "notification_channel.test", json_pack("{s:I}", "notice_id",
                                                                 (json_int_t)j->notice));
}

int ol_channel_test(ol_ctx_t *c, const char *name)
{
    job_t j = {.c = c, .name = name};
    int rc = ol_db_write(c->db, test_fn, &j);
    if (rc)
        return rc;
    c->result = json_pack("{s:I, s:s}", "notice_id", (json_int_t)j.notice, "state", "pending");
    c->status = 202;
    return 0;
}

/* ---- the worker's view ---------------------------------------------------------------------- */

typedef struct {
    const char *name;
    ol_channel_t *ch;
    char *sealed;
} load_t;

static int load_fn(ol_conn_t *conn, void *arg)
{
    load_t *l = arg;
    ol_val_t p[] = {OL_VTEXT(l->name)};
    ol_rows_t *r;
    int rc = ol_db_exec(conn, "SELECT " CHANNEL_COLS " FROM notification_channels WHERE name = ?1",
                        p, 1, &r);
    if (rc)
        return rc;
    ol_channel_t *ch = l->ch;
    if ((ch->found = ol_rows_count(r) == 1)) {
        ch->id = ol_rows_int(r, 0, 0);
        snprintf(ch->kind, sizeof ch->kind, "%s", ol_rows_get(r, 0, 2));
        snprintf(ch->format, sizeof ch->format, "%s", ol_rows_get(r, 0, 3));
        ch->url = ol_xstrdup(ol_rows_get(r, 0, 4));
        snprintf(ch->lang, sizeof ch->lang, "%s", ol_rows_get(r, 0, 5));
        l->sealed = ol_rows_get(r, 0, 6) ? ol_xstrdup(ol_rows_get(r, 0, 6)) : NULL;
        ch->smtp_user = ol_xstrdup(ol_rows_get(r, 0, 7));
        ch->starttls = (int)ol_rows_int(r, 0, 8);
        ch->from = ol_xstrdup(ol_rows_get(r, 0, 9));
        ch->to = ol_xstrdup(ol_rows_get(r, 0, 10));
        ch->disabled = (int)ol_rows_int(r, 0, 11);
    }
    ol_rows_free(r);
    return 0;
}

int ol_channel_load(ol_db_t *db, const char *name, ol_channel_t *ch, char *err, size_t errlen)
{
    memset(ch, 0, sizeof *ch);
    load_t l = {name, ch, NULL};
    int rc = ol_db_read(db, load_fn, &l);
    if (rc == 0 && l.sealed && (rc = ol_channel_secret_open(ch->id, l.sealed, &ch->secret)))
        snprintf(err, errlen, "the channel's secret does not open (%s): check the key file",
                 ol_strerror(rc));
    free(l.sealed);
    return rc;
}

void ol_channel_clear(ol_channel_t *ch)
{
    ol_sealed_free(ch->secret);
    free(ch->url);
    free(ch->smtp_user);
    free(ch->from);
    free(ch->to);
    memset(ch, 0, sizeof *ch);
}
