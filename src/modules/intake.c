/* modules/intake.c - I1: alerts become incidents. One webhook's alerts are handled in one
 * transaction, as the integration's system actor, through the record engine (so history,
 * audit, priority and level apply to every incident made or changed):
 *   - an alert key seen before, whose incident is still open, only counts (count, last_seen);
 *   - a new firing alert opens an incident with its labels mapped to service/CI and its severity
 *     to impact/urgency - unless its service/CI has more than intake_storm_threshold new alerts
 *     within intake_storm_window_seconds: then one parent incident is opened for the storm (the
 *     incidents opened earlier in the window are linked to it as duplicates) and the rest of
 *     the storm joins it, counted, without incidents of their own;
 *   - a resolved alert annotates its incident with a work note, or (intake_resolved_action =
 *     resolve) resolves it once none of its alerts is firing any more;
 *   - a firing alert whose incident was resolved, closed or cancelled opens a new incident. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/mem.h"
#include "modules/intake.h"
#include "records/audit.h"
#include "records/store.h"

extern const ol_record_type_t ol_incident_type;

/* Alerts looked up, or counted, per statement: a webhook of 100 repeats is a few statements,
 * not 200. */
#define CHUNK 100

typedef struct {
    ol_ctx_t *c;
    long long integration;
    char *integration_name;
    char *group;
    ol_alerts_t alerts;
    const char **scopes; /* per alert: "service:X" / "ci:X", or NULL (owned strings) */
    struct known *known; /* per alert: what the table held before the batch (see lookup) */
    long long pending[CHUNK]; /* alerts only counted, written together (see flush) */
    int npending;
} intake_job_t;

static void free_job(void *arg)
{
    intake_job_t *j = arg;
    for (size_t i = 0; i < j->alerts.n; i++)
        free((char *)j->scopes[i]);
    free(j->scopes);
    free(j->known);
    ol_alerts_clear(&j->alerts);
    free(j->integration_name);
    free(j->group);
    free(j);
}

static int is_open(const char *state)
{
    return state && (!strcmp(state, "new") || !strcmp(state, "assigned") ||
                     !strcmp(state, "in_progress") || !strcmp(state, "awaiting_user"));
}

/* Runs a write the engine prepared inside this transaction, as the job's actor, and keeps its
 * result in *result (when not NULL). A failure is reported in the job's context. */
static int engine(ol_conn_t *conn, intake_job_t *j, ol_ctx_t *ic, int rc, ol_write_t *w,
                  json_t **result)
{
    if (rc == 0) {
        rc = w->fn(conn, w->arg);
        w->free_arg(w->arg);
    }
    if (rc == 0 && result)
        *result = json_incref(ic->result);
    if (rc) {
        snprintf(j->c->detail, sizeof j->c->detail, "%s", ic->detail);
        json_array_extend(j->c->errors, ic->errors);
    }
    ol_ctx_clear(ic);
    return rc;
}

static void inner_ctx(const intake_job_t *j, ol_ctx_t *ic)
{
    ol_ctx_init(ic, j->c->db, j->c->user, j->c->roles);
    ic->via = j->c->via;
    ic->ip = j->c->ip;
    ic->lang = "en";
}

static int work_note(ol_conn_t *conn, intake_job_t *j, const char *number, const char *text)
{
    ol_ctx_t ic;
    ol_write_t w;
    inner_ctx(j, &ic);
    json_t *in = json_pack("{ssss}", "body", text, "kind", "work_note");
    int rc = ol_rec_comment_prepare(&ic, &ol_incident_type, number, in, &w);
    json_decref(in);
    return engine(conn, j, &ic, rc, &w, NULL);
}

/* Opens an incident for alert a (or, with storm_title, the parent of a storm); its number in
 * number (>= 32 bytes). */
static int open_incident(ol_conn_t *conn, intake_job_t *j, const ol_alert_t *a,
                         const char *storm_title, char *number)
{
    char storm_text[600];
    snprintf(storm_text, sizeof storm_text,
             "Alert storm: many new alerts for one service/CI arrived within the storm window. "
             "They are merged into this parent incident and counted (GET "
             "/api/v1/incidents/{number}/alerts); incidents opened for the first alerts of the "
             "window are linked to it as duplicates.\n\nFirst alert of the storm: %.300s",
             a->title);
    ol_ctx_t ic;
    ol_write_t w;
    inner_ctx(j, &ic);
    json_t *in = json_pack("{ssssssssssss}", "title", storm_title ? storm_title : a->title,
                           "description", storm_title ? storm_text : a->description, "reporter", j->c->user, "impact",
                           a->impact, "urgency", a->urgency, "category", "outage");
    if (a->service)
        json_object_set_new(in, "service", json_string(a->service));
    if (a->ci)
        json_object_set_new(in, "ci", json_string(a->ci));
    if (j->group)
        json_object_set_new(in, "group", json_string(j->group));
    if (a->starts_at && !storm_title)
        json_object_set_new(in, "detected_at", json_string(a->starts_at));
    int rc = ol_rec_create_prepare(&ic, &ol_incident_type, in, &w);
    json_decref(in);
    json_t *rec = NULL;
    rc = engine(conn, j, &ic, rc, &w, &rec);
    if (rc == 0)
        snprintf(number, 32, "%s", json_string_value(json_object_get(rec, "number")));
    json_decref(rec);
    return rc;
}

/* ---- storms ---------------------------------------------------------------------------------- */

/* The open storm of scope in the window: its id and parent incident, or 0. */
static int storm_of(ol_conn_t *conn, intake_job_t *j, const char *scope, long long since,
                    long long *id, char *number)
{
    ol_rows_t *r;
    ol_val_t p[] = {OL_VTEXT(scope), OL_VINT(since)};
    int rc = ol_db_exec(conn,
                        "SELECT s.id, s.incident, r.state FROM alert_storms s LEFT JOIN records r "
                        "ON r.type = 'incident' AND r.number = s.incident WHERE s.scope = ?1 AND "
                        "s.last_epoch >= ?2 ORDER BY s.id DESC LIMIT 1",
                        p, 2, &r);
    if (rc)
        return ol_ctx_db_fail(j->c, conn, rc);
    *id = 0;
    if (ol_rows_count(r) && is_open(ol_rows_get(r, 0, 2))) {
        *id = ol_rows_int(r, 0, 0);
        snprintf(number, 32, "%s", ol_rows_get(r, 0, 1));
    }
    ol_rows_free(r);
    return 0;
}

/* Starts a storm of scope: the parent incident, the storm row counting the alerts of the
 * window so far plus this one, and links from the incidents of the window to the parent. */
static int storm_start(ol_conn_t *conn, intake_job_t *j, const ol_alert_t *a, const char *scope,
                       long long since, long long in_window, long long *id, char *number)
{
    const ol_config_t *cfg = ol_config();
    char title[300];
    snprintf(title, sizeof title, "Alert storm (告警风暴): more than %s new alerts for %.160s "
                                  "within %s s",
             cfg->intake_storm_threshold, scope, cfg->intake_storm_window_seconds);
    int rc = open_incident(conn, j, a, title, number);
    if (rc)
        return rc;
    char now[32];
    ol_rows_t *r;
    ol_val_t p[] = {OL_VTEXT(scope), OL_VTEXT(number), OL_VINT(in_window + 1),
                    OL_VTEXT(ol_now_iso(now)), OL_VINT(ol_time())};
    rc = ol_db_exec(conn, "INSERT INTO alert_storms(scope, incident, alerts, started_at, "
                          "last_epoch) VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id", p, 5, &r);
    if (rc)
        return ol_ctx_db_fail(j->c, conn, rc);
    *id = ol_rows_int(r, 0, 0);
    ol_rows_free(r);
    ol_val_t q[] = {OL_VTEXT(scope), OL_VINT(since)};
    rc = ol_db_exec(conn, "SELECT DISTINCT a.incident FROM alerts a JOIN records r ON r.type = "
                          "'incident' AND r.number = a.incident WHERE a.scope = ?1 AND "
                          "a.first_epoch >= ?2 AND a.storm_id IS NULL AND r.state IN ('new', "
                          "'assigned', 'in_progress', 'awaiting_user')", q, 2, &r);
    if (rc)
        return ol_ctx_db_fail(j->c, conn, rc);
    for (int i = 0; i < ol_rows_count(r) && rc == 0; i++) {
        ol_ctx_t ic;
        ol_write_t w;
        inner_ctx(j, &ic);
        json_t *in = json_pack("{ssss}", "type", "duplicates", "target", number);
        rc = ol_rec_link_prepare(&ic, &ol_incident_type, ol_rows_get(r, i, 0), in, &w);
        json_decref(in);
        rc = engine(conn, j, &ic, rc, &w, NULL);
    }
    ol_rows_free(r);
    return rc;
}

/* Where a new firing alert goes: its own incident, or a storm's parent (*storm set). counts
 * caches per scope the new alerts of this batch still to come (decremented here). */
static int place(ol_conn_t *conn, intake_job_t *j, size_t i, json_t *counts, long long *storm,
                 char *number)
{
    const ol_alert_t *a = &j->alerts.items[i];
    const char *scope = j->scopes[i];
    long threshold = ol_config_int(ol_config()->intake_storm_threshold);
    long long since = (long long)ol_time() - ol_config_int(ol_config()->intake_storm_window_seconds);
    *storm = 0;
    if (scope && threshold > 0) {
        json_t *left = json_object_get(counts, scope);
        long long to_come = json_integer_value(left);
        if (to_come < 1)
            to_come = 1; /* counted as a repeat before (its key came twice in the batch) */
        if (left)
            json_integer_set(left, to_come - 1);
        int rc = storm_of(conn, j, scope, since, storm, number);
        if (rc)
            return rc;
        if (*storm) {
            ol_val_t p[] = {OL_VINT(*storm), OL_VINT(ol_time())};
            rc = ol_db_exec(conn, "UPDATE alert_storms SET alerts = alerts + 1, last_epoch = ?2 "
                                  "WHERE id = ?1", p, 2, NULL);
            return rc ? ol_ctx_db_fail(j->c, conn, rc) : 0;
        }
        ol_rows_t *r;
        ol_val_t p[] = {OL_VTEXT(scope), OL_VINT(since)};
        rc = ol_db_exec(conn, "SELECT COUNT(*) FROM alerts WHERE scope = ?1 AND first_epoch >= ?2",
                        p, 2, &r);
        if (rc)
            return ol_ctx_db_fail(j->c, conn, rc);
        long long in_window = ol_rows_int(r, 0, 0);
        ol_rows_free(r);
        /* This batch's alerts of the scope count too: a storm in one webhook converges at once. */
        if (in_window + to_come > threshold)
            return storm_start(conn, j, a, scope, since, in_window, storm, number);
    }
    return open_incident(conn, j, a, NULL, number);
}

/* ---- one alert ------------------------------------------------------------------------------- */

typedef struct known {
    long long id, storm;
    char incident[32];
    char status[16];
    int open;    /* the incident is open */
    int stale;   /* an earlier alert of the batch has the same key: look again */
} known_t;

#define KNOWN_COLS "a.id, a.incident, a.status, r.state, a.storm_id, a.alert_key FROM alerts a " \
                   "LEFT JOIN records r ON r.type = 'incident' AND r.number = a.incident WHERE " \
                   "a.integration_id = ?1 AND a.alert_key"

static void fill_known(const ol_rows_t *r, int row, known_t *k)
{
    memset(k, 0, sizeof *k);
    k->id = ol_rows_int(r, row, 0);
    snprintf(k->incident, sizeof k->incident, "%s", ol_rows_get(r, row, 1));
    snprintf(k->status, sizeof k->status, "%s", ol_rows_get(r, row, 2));
    k->open = is_open(ol_rows_get(r, row, 3));
    k->storm = ol_rows_int(r, row, 4);
}

static int lookup(ol_conn_t *conn, intake_job_t *j, const char *key, known_t *k)
{
    ol_rows_t *r;
    ol_val_t p[] = {OL_VINT(j->integration), OL_VTEXT(key)};
    int rc = ol_db_exec(conn, "SELECT " KNOWN_COLS " = ?2", p, 2, &r);
    if (rc)
        return ol_ctx_db_fail(j->c, conn, rc);
    memset(k, 0, sizeof *k);
    if (ol_rows_count(r))
        fill_known(r, 0, k);
    ol_rows_free(r);
    return 0;
}

/* "?first, ?first+1, ..." for n (<= CHUNK) placeholders. */
static void placeholders(char *buf, size_t len, int first, int n)
{
    size_t used = 0;
    for (int k = 0; k < n && used < len; k++)
        used += (size_t)snprintf(buf + used, len - used, "%s?%d", k ? ", " : "", first + k);
}

/* Looks up the alerts idx[0..n) (distinct keys; where maps a key to its index) at once. */
static int lookup_many(ol_conn_t *conn, intake_job_t *j, const size_t *idx, int n,
                       const json_t *where)
{
    char ph[CHUNK * 8], sql[512 + sizeof ph];
    ol_val_t p[CHUNK + 1];
    placeholders(ph, sizeof ph, 2, n);
    snprintf(sql, sizeof sql, "SELECT " KNOWN_COLS " IN (%s)", ph);
    p[0] = OL_VINT(j->integration);
    for (int k = 0; k < n; k++)
        p[k + 1] = OL_VTEXT(j->alerts.items[idx[k]].key);
    ol_rows_t *r;
    int rc = ol_db_exec(conn, sql, p, n + 1, &r);
    if (rc)
        return ol_ctx_db_fail(j->c, conn, rc);
    for (int row = 0; row < ol_rows_count(r); row++) {
        json_t *i = json_object_get(where, ol_rows_get(r, row, 5));
        if (i)
            fill_known(r, row, &j->known[json_integer_value(i)]);
    }
    ol_rows_free(r);
    return 0;
}

/* Writes the repeats counted so far: count + 1 and last_seen, in one statement. */
static int flush(ol_conn_t *conn, intake_job_t *j, const char *now)
{
    if (!j->npending)
        return 0;
    char ph[CHUNK * 8], sql[200 + sizeof ph];
    ol_val_t p[CHUNK + 1];
    placeholders(ph, sizeof ph, 2, j->npending);
    snprintf(sql, sizeof sql, "UPDATE alerts SET count = count + 1, last_seen = ?1 WHERE id IN "
                              "(%s)", ph);
    p[0] = OL_VTEXT(now);
    for (int k = 0; k < j->npending; k++)
        p[k + 1] = OL_VINT(j->pending[k]);
    int rc = ol_db_exec(conn, sql, p, j->npending + 1, NULL);
    j->npending = 0;
    return rc ? ol_ctx_db_fail(j->c, conn, rc) : 0;
}

/* An alert of an open incident resolved: a work note, or the incident resolved when none of
 * its alerts fires any more (policy). A storm's parent is told once, when all have resolved. */
static int on_resolved(ol_conn_t *conn, intake_job_t *j, const ol_alert_t *a, const known_t *k,
                       const char *now, const char **action)
{
    ol_rows_t *r;
    ol_val_t p[] = {OL_VTEXT(k->incident)};
    int rc = ol_db_exec(conn, "SELECT COUNT(*), SUM(CASE WHEN status = 'firing' THEN 1 ELSE 0 "
                              "END) FROM alerts WHERE incident = ?1", p, 1, &r);
    if (rc)
        return ol_ctx_db_fail(j->c, conn, rc);
    long long all = ol_rows_int(r, 0, 0), firing = ol_rows_int(r, 0, 1);
    ol_rows_free(r);
    char text[600];
    if (firing == 0 && !strcmp(ol_config()->intake_resolved_action, "resolve")) {
        snprintf(text, sizeof text, "Resolved by monitoring (%s): %s; the last: %.200s at %s.",
                 j->integration_name,
                 all > 1 ? "all alerts of this incident resolved" : "its alert resolved", a->name,
                 now);
        ol_ctx_t ic;
        ol_write_t w;
        inner_ctx(j, &ic);
        json_t *in = json_pack("{sss{ss}}", "reason", text, "fields", "resolution", text);
        rc = ol_rec_transition_prepare(&ic, &ol_incident_type, k->incident, "auto_resolve", 0,
                                       in, &w);
        json_decref(in);
        *action = "resolved_incident";
        return engine(conn, j, &ic, rc, &w, NULL);
    }
    *action = "resolved";
    if (k->storm && firing > 0)
        return 0; /* a storm's parent hears once, when the storm is over */
    snprintf(text, sizeof text, "Alert resolved (%s): %.200s at %s; %lld of %lld alerts of this "
                                "incident still firing.",
             j->integration_name, a->name, now, firing, all);
    return work_note(conn, j, k->incident, text);
}

static int one(ol_conn_t *conn, intake_job_t *j, size_t i, json_t *counts, const char *now,
               json_t *out, long long tally[6])
{
    const ol_alert_t *a = &j->alerts.items[i];
    known_t k = j->known[i];
    int rc = k.stale ? flush(conn, j, now) : 0; /* its first occurrence may be pending */
    if (rc == 0 && k.stale)
        rc = lookup(conn, j, a->key, &k);
    if (rc)
        return rc;
    const char *action;
    if (k.id && k.open && !a->resolved) {
        /* repeated (or firing again): counted on the alert, no new incident */
        int again = !strcmp(k.status, "resolved");
        if (!again) {
            j->pending[j->npending++] = k.id;
            if (j->npending == CHUNK && (rc = flush(conn, j, now)))
                return rc;
        } else {
            ol_val_t p[] = {OL_VINT(k.id), OL_VTEXT(now)};
            rc = ol_db_exec(conn, "UPDATE alerts SET count = count + 1, last_seen = ?2, status "
                                  "= 'firing', resolved_at = NULL WHERE id = ?1", p, 2, NULL);
            if (rc)
                return ol_ctx_db_fail(j->c, conn, rc);
        }
        action = again ? "firing_again" : "deduplicated";
        if (again) {
            char text[400];
            snprintf(text, sizeof text, "Alert firing again (%s): %.200s at %s.",
                     j->integration_name, a->name, now);
            if ((rc = work_note(conn, j, k.incident, text)))
                return rc;
        }
        tally[1]++;
    } else if (k.id && a->resolved) {
        int was_firing = !strcmp(k.status, "firing");
        ol_val_t p[] = {OL_VINT(k.id), OL_VTEXT(now)};
        rc = ol_db_exec(conn, "UPDATE alerts SET count = count + 1, last_seen = ?2, status = "
                              "'resolved', resolved_at = COALESCE(resolved_at, ?2) WHERE id = ?1",
                        p, 2, NULL);
        if (rc)
            return ol_ctx_db_fail(j->c, conn, rc);
        action = "deduplicated";
        if (was_firing && k.open && (rc = on_resolved(conn, j, a, &k, now, &action)))
            return rc;
        tally[was_firing && k.open ? 2 : 1]++;
    } else if (a->resolved) {
        action = "ignored"; /* never seen firing: nothing to resolve */
        tally[3]++;
    } else {
        /* new, or its incident is over: a new incident or a storm's parent */
        long long storm;
        char number[32];
        if ((rc = place(conn, j, i, counts, &storm, number)))
            return rc;
        char *labels = json_dumps(a->labels, JSON_COMPACT | JSON_SORT_KEYS);
        ol_val_t p[] = {OL_VINT(j->integration), OL_VTEXT(a->key), OL_VTEXT(number),
                        storm ? OL_VINT(storm) : OL_VNULL, OL_VTEXT(a->name),
                        OL_VTEXT(a->severity), OL_VTEXT(a->service ? a->service : ""),
                        OL_VTEXT(a->ci ? a->ci : ""), OL_VTEXT(j->scopes[i] ? j->scopes[i] : ""),
                        OL_VTEXT(now), OL_VINT(ol_time()), OL_VTEXT(a->url), OL_VTEXT(labels),
                        OL_VINT(k.id)};
        rc = ol_db_exec(conn,
                        k.id ? "UPDATE alerts SET incident = ?3, storm_id = ?4, name = ?5, "
                               "severity = ?6, service = ?7, ci = ?8, scope = ?9, status = "
                               "'firing', count = 1, first_seen = ?10, first_epoch = ?11, "
                               "last_seen = ?10, resolved_at = NULL, url = ?12, labels = ?13 "
                               "WHERE id = ?14 AND integration_id = ?1 AND alert_key = ?2"
                             : "INSERT INTO alerts(integration_id, alert_key, incident, storm_id, "
                               "name, severity, service, ci, scope, status, count, first_seen, "
                               "first_epoch, last_seen, url, labels) VALUES (?1, ?2, ?3, ?4, ?5, "
                               "?6, ?7, ?8, ?9, 'firing', 1, ?10, ?11, ?10, ?12, ?13)",
                        p, k.id ? 14 : 13, NULL);
        free(labels);
        if (rc == -OL_ECONFLICT) /* PostgreSQL: the same new alert in a concurrent webhook */
            return ol_ctx_fail(j->c, -OL_EUNAVAILABLE, "alert %.200s is being taken by another "
                               "notification at this moment: send again", a->key);
        if (rc)
            return ol_ctx_db_fail(j->c, conn, rc);
        snprintf(k.incident, sizeof k.incident, "%s", number);
        action = storm ? "joined_storm" : "created";
        tally[storm ? 4 : 0]++;
    }
    json_array_append_new(out, json_pack("{ssssss}", "key", a->key, "action", action, "incident",
                                         k.incident));
    return 0;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Two webhooks of one scope at once (two nodes, or two threads on PostgreSQL) would each count
 * the window short of a storm, or each open a parent: the scopes this batch may place new
 * alerts in are locked until the commit, in order and before any write, so that batches never
 * wait for each other in a circle. SQLite's single writer serialises them already. */
static int lock_scopes(ol_conn_t *conn, intake_job_t *j, const json_t *counts)
{
    size_t n = json_object_size(counts), k = 0;
    if (!n || ol_conn_kind(conn) != OL_DB_PG ||
        ol_config_int(ol_config()->intake_storm_threshold) <= 0)
        return 0;
    const char **names = ol_xcalloc(n, sizeof *names);
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)counts, key, v)
        names[k++] = key;
    qsort(names, n, sizeof *names, by_name);
    int rc = 0;
    for (k = 0; k < n && rc == 0; k++) {
        char name[300];
        snprintf(name, sizeof name, "intake.storm:%s", names[k]);
        rc = ol_db_xact_lock(conn, name);
    }
    free(names);
    return rc ? ol_ctx_db_fail(j->c, conn, rc) : 0;
}

static int intake_fn(ol_conn_t *conn, void *arg)
{
    intake_job_t *j = arg;
    char now[32];
    ol_now_iso(now);
    /* What the table holds of each alert, and how many new firing alerts of each scope this
     * batch brings (a storm in one webhook converges at once). */
    json_t *counts = json_object(), *seen = json_object();
    size_t idx[CHUNK];
    int n = 0, rc = 0;
    for (size_t i = 0; i < j->alerts.n && rc == 0; i++) {
        const ol_alert_t *a = &j->alerts.items[i];
        if (json_object_get(seen, a->key)) {
            j->known[i].stale = 1;
            continue;
        }
        json_object_set_new(seen, a->key, json_integer((json_int_t)i));
        idx[n++] = i;
        if (n == CHUNK || i + 1 == j->alerts.n) {
            rc = lookup_many(conn, j, idx, n, seen);
            n = 0;
        }
    }
    if (rc == 0 && n)
        rc = lookup_many(conn, j, idx, n, seen);
    for (size_t i = 0; i < j->alerts.n && rc == 0; i++) {
        const known_t *k = &j->known[i];
        const char *s = j->scopes[i];
        if (s && !k->stale && !j->alerts.items[i].resolved && !(k->id && k->open)) {
            json_t *v = json_object_get(counts, s);
            if (v)
                json_integer_set(v, json_integer_value(v) + 1);
            else
                json_object_set_new(counts, s, json_integer(1));
        }
    }
    json_decref(seen);
    if (rc == 0)
        rc = lock_scopes(conn, j, counts);
    json_t *out = json_array();
    long long tally[6] = {0};
    for (size_t i = 0; i < j->alerts.n && rc == 0; i++)
        rc = one(conn, j, i, counts, now, out, tally);
    if (rc == 0)
        rc = flush(conn, j, now);
    json_decref(counts);
    if (rc == 0) {
        /* At most once a minute: every webhook writing the integration's row would make
         * concurrent webhooks wait for each other's commit (PostgreSQL row lock). */
        char stale[32];
        ol_iso_at(ol_time() - 60, stale);
        ol_val_t p[] = {OL_VINT(j->integration), OL_VTEXT(now), OL_VTEXT(stale)};
        rc = ol_db_exec(conn, "UPDATE integrations SET last_used_at = ?2 WHERE id = ?1 AND "
                              "(last_used_at IS NULL OR last_used_at < ?3)", p, 3, NULL);
        if (rc)
            rc = ol_ctx_db_fail(j->c, conn, rc);
    }
    if (rc == 0) {
        j->c->result = json_pack("{sIsIsIsIsIsIso}", "received", (json_int_t)j->alerts.n,
                                 "created", tally[0], "deduplicated", tally[1], "resolved",
                                 tally[2], "ignored", tally[3], "joined_storm", tally[4],
                                 "alerts", out);
        char detail[200];
        snprintf(detail, sizeof detail,
                 "{\"received\":%zu,\"created\":%lld,\"deduplicated\":%lld,\"resolved\":%lld,"
                 "\"ignored\":%lld,\"joined_storm\":%lld}",
                 j->alerts.n, tally[0], tally[1], tally[2], tally[3], tally[4]);
        rc = ol_audit_write(conn, j->c, "intake.receive", j->integration_name, "ok", detail);
        if (rc)
            rc = ol_ctx_db_fail(j->c, conn, rc);
        j->c->status = 200;
    } else {
        json_decref(out);
    }
    return rc;
}

/* ---- mapping --------------------------------------------------------------------------------- */

/* The first of the rule's labels that the alert has. */
static char *by_rules(const char *rules, const char *field, const json_t *labels)
{
    char buf[1024], err[200];
    const char *names[16];
    if (ol_intake_label_rules(rules, field, buf, sizeof buf, names, 16, err, sizeof err) <= 0)
        return NULL;
    for (int k = 0; names[k]; k++) {
        const char *v = json_string_value(json_object_get(labels, names[k]));
        if (v && *v)
            return ol_xstrndup(v, strlen(v) > 200 ? 200 : strlen(v));
    }
    return NULL;
}

static void map(const ol_integration_t *in, ol_alert_t *a)
{
    const ol_config_t *cfg = ol_config();
    const char *rules = *in->labels ? in->labels : cfg->intake_label_map;
    if (!a->service)
        a->service = by_rules(rules, "service", a->labels);
    if (!a->ci)
        a->ci = by_rules(rules, "ci", a->labels);
    char err[200], one[80];
    if ((!*in->severities ||
         ol_intake_severity(in->severities, a->severity, &a->impact, &a->urgency, err,
                            sizeof err) != 1) &&
        ol_intake_severity(cfg->intake_severity_map, a->severity, &a->impact, &a->urgency, err,
                           sizeof err) != 1) {
        snprintf(one, sizeof one, "x=%s", cfg->intake_severity_default);
        if (ol_intake_severity(one, "x", &a->impact, &a->urgency, err, sizeof err) != 1)
            a->impact = a->urgency = "medium";
    }
}

int ol_intake_prepare(ol_ctx_t *c, const ol_integration_t *in, ol_alerts_t *alerts,
                      ol_write_t *w)
{
    intake_job_t *j = ol_xcalloc(1, sizeof(*j));
    j->c = c;
    j->integration = in->id;
    j->integration_name = ol_xstrdup(in->name);
    j->group = *in->group ? ol_xstrdup(in->group) : NULL;
    j->alerts = *alerts;
    memset(alerts, 0, sizeof *alerts);
    j->scopes = ol_xcalloc(j->alerts.n + 1, sizeof(char *));
    j->known = ol_xcalloc(j->alerts.n + 1, sizeof(*j->known));
    for (size_t i = 0; i < j->alerts.n; i++) {
        ol_alert_t *a = &j->alerts.items[i];
        map(in, a);
        char s[300];
        if (a->service || a->ci) {
            snprintf(s, sizeof s, "%s:%s", a->service ? "service" : "ci",
                     a->service ? a->service : a->ci);
            j->scopes[i] = ol_xstrdup(s);
        }
    }
    *w = (ol_write_t){intake_fn, j, free_job};
    return 0;
}

/* ---- reading --------------------------------------------------------------------------------- */

typedef struct {
    ol_ctx_t *c;
    const char *number;
} alerts_job_t;

static int alerts_fn(ol_conn_t *conn, void *arg)
{
    alerts_job_t *j = arg;
    ol_rows_t *r;
    ol_val_t p[] = {OL_VTEXT(j->number)};
    int rc = ol_db_exec(conn,
                        "SELECT i.name, a.alert_key, a.name, a.status, a.severity, a.service, "
                        "a.ci, a.count, a.first_seen, a.last_seen, a.resolved_at, a.url, "
                        "a.labels, a.storm_id FROM alerts a JOIN integrations i ON i.id = "
                        "a.integration_id WHERE a.incident = ?1 ORDER BY a.id LIMIT 1000",
                        p, 1, &r);
    if (rc)
        return ol_ctx_db_fail(j->c, conn, rc);
    json_t *items = json_array();
    long long notifications = 0;
    for (int i = 0; i < ol_rows_count(r); i++) {
        const char *resolved = ol_rows_get(r, i, 10);
        json_t *labels = json_loads(ol_rows_get(r, i, 12), 0, NULL);
        notifications += ol_rows_int(r, i, 7);
        json_array_append_new(
            items, json_pack("{ss ss ss ss ss ss ss sI ss ss so ss so sb}", "integration",
                             ol_rows_get(r, i, 0), "key", ol_rows_get(r, i, 1), "name",
                             ol_rows_get(r, i, 2), "status", ol_rows_get(r, i, 3), "severity",
                             ol_rows_get(r, i, 4), "service", ol_rows_get(r, i, 5), "ci",
                             ol_rows_get(r, i, 6), "count", (json_int_t)ol_rows_int(r, i, 7),
                             "first_seen", ol_rows_get(r, i, 8), "last_seen",
                             ol_rows_get(r, i, 9), "resolved_at",
                             resolved ? json_string(resolved) : json_null(), "url",
                             ol_rows_get(r, i, 11), "labels", labels ? labels : json_object(),
                             "storm", ol_rows_get(r, i, 13) != NULL));
    }
    ol_rows_free(r);
    rc = ol_db_exec(conn, "SELECT scope, alerts, started_at FROM alert_storms WHERE incident = ?1 "
                          "ORDER BY id DESC LIMIT 1", p, 1, &r);
    if (rc) {
        json_decref(items);
        return ol_ctx_db_fail(j->c, conn, rc);
    }
    json_t *storm = ol_rows_count(r) ? json_pack("{sssIss}", "scope", ol_rows_get(r, 0, 0),
                                                 "alerts", (json_int_t)ol_rows_int(r, 0, 1),
                                                 "started_at", ol_rows_get(r, 0, 2))
                                     : json_null();
    ol_rows_free(r);
    j->c->result = json_pack("{sssIsIsoso}", "incident", j->number, "total",
                             (json_int_t)json_array_size(items), "notifications",
                             (json_int_t)notifications, "storm", storm, "items", items);
    return 0;
}

int ol_intake_alerts_of(ol_ctx_t *c, const char *number)
{
    int rc = ol_rec_get(c, &ol_incident_type, number); /* exists, and in the reader's scope */
    if (rc)
        return rc;
    json_decref(c->result);
    c->result = NULL;
    alerts_job_t j = {c, number};
    rc = ol_db_read(c->db, alerts_fn, &j);
    return rc ? ol_ctx_fail(c, rc, "the database is unavailable") : 0;
}
