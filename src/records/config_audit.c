/* records/config_audit.c - configuration changes in the audit trail (REQUIREMENTS S8).
 *
 * Settings come from a file, the environment and flags, not from the API, so a change is seen
 * when a server starts: the settings in effect are compared with those the last start recorded
 * (ol_meta 'config_snapshot'), and each difference is written as one "config.change" entry
 * (key, old value, new value) in the same transaction that records the new snapshot. Settings
 * that only place one node (its address, database, data directory, thread counts, log level)
 * are left out, so that nodes of one cluster started with different addresses do not record
 * changes back and forth. A password in a database URL is never written. The first start
 * records the whole configuration as one "config.initial" entry. */
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "records/audit.h"
#include "records/config_audit.h"

static const char *const node_local[] = {"listen", "db", "data", "threads", "db_readers",
                                         "log_level", NULL};

static int is_node_local(const char *key)
{
    for (int i = 0; node_local[i]; i++)
        if (!strcmp(node_local[i], key))
            return 1;
    return 0;
}

static json_t *snapshot(const ol_config_t *cfg)
{
    json_t *o = json_object();
    char buf[1024];
    for (size_t k = 0; k < ol_config_count(); k++) {
        const char *key, *v = ol_config_shown(cfg, k, &key, buf, sizeof buf);
        if (!is_node_local(key))
            json_object_set_new(o, key, json_string(v));
    }
    return o;
}

typedef struct {
    ol_ctx_t *c;
    const ol_config_t *cfg;
    int changes;
} job_t;

static int audit_fn(ol_conn_t *conn, void *arg)
{
    job_t *j = arg;
    ol_rows_t *r;
    int rc = ol_db_exec(conn, "SELECT value FROM ol_meta WHERE key = 'config_snapshot'", NULL, 0,
                        &r);
    if (rc)
        return rc;
    const char *text = ol_rows_count(r) ? ol_rows_get(r, 0, 0) : NULL;
    json_t *before = text ? json_loads(text, 0, NULL) : NULL;
    ol_rows_free(r);
    json_t *now = snapshot(j->cfg);
    const char *key;
    json_t *v;
    j->changes = 0;
    if (!before) { /* the first start: the whole configuration, once */
        char *detail = json_dumps(now, JSON_COMPACT | JSON_SORT_KEYS);
        rc = ol_audit_write_sev(conn, j->c, OL_AUDIT_HIGH, "config.initial", "config", "ok",
                                detail);
        free(detail);
        j->changes = 1;
    }
    json_object_foreach(now, key, v) {
        json_t *old = before ? json_object_get(before, key) : NULL;
        if (!before || rc || (old && json_equal(old, v)))
            continue;
        json_t *d = json_pack("{sssOsO}", "key", key, "old", old ? old : json_null(), "new", v);
        char *detail = json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS);
        json_decref(d);
        rc = ol_audit_write_sev(conn, j->c, OL_AUDIT_HIGH, "config.change", key, "ok", detail);
        free(detail);
        j->changes++;
    }
    if (rc == 0 && j->changes) {
        char *s = json_dumps(now, JSON_COMPACT | JSON_SORT_KEYS);
        ol_val_t p[] = {OL_VTEXT(s)};
        rc = ol_db_exec(conn,
                        "INSERT INTO ol_meta(key, value) VALUES ('config_snapshot', ?1) "
                        "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                        p, 1, NULL);
        free(s);
    }
    json_decref(before);
    json_decref(now);
    return rc;
}

int ol_config_audit(ol_db_t *db, const ol_config_t *cfg)
{
    static const char *const roles[] = {"admin", NULL};
    ol_ctx_t c;
    ol_ctx_init(&c, db, "system", roles);
    c.via = "system";
    job_t j = {&c, cfg, 0};
    int rc = ol_db_write(db, audit_fn, &j);
    ol_ctx_clear(&c);
    return rc ? rc : j.changes;
}
