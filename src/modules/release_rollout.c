/* modules/release_rollout.c - R2 gray release: the stage plan and gates of a release (policy
 * defaults release_stages, release_gates; 002 §11.5: 10% -> observe 30 min -> 100%), the
 * rollout log (release_rollout: stages started, gate readings, completion, rollback), gate
 * readings entered by an operator or posted by monitoring, and the circuit breaker (熔断) that
 * halts and rolls back a release whose reading fails a gate, in the reading's transaction. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/config.h"
#include "core/err.h"
#include "core/json.h"
#include "modules/release.h"
#include "records/audit.h"
#include "records/outbox.h"
#include "records/sla.h"
#include "records/store.h"

static const char *const system_roles[] = {"admin", NULL};

/* ---- plans ------------------------------------------------------------------------------------- */

int ol_release_parse_stages(const char *spec, ol_stage_t *out, int *n, char *err, size_t errlen)
{
    *n = 0;
    const char *p = spec ? spec : "";
    while (*p) {
        while (*p == ' ')
            p++;
        char *end;
        long pct = strtol(p, &end, 10);
        if (end == p || *end != '%' || pct < 1 || pct > 100) {
            snprintf(err, errlen, "stage %d: give a share of 1%% to 100%%, e.g. 10%%/30m", *n + 1);
            return -1;
        }
        if (*n == OL_RELEASE_MAX_STAGES) {
            snprintf(err, errlen, "at most %d stages", OL_RELEASE_MAX_STAGES);
            return -1;
        }
        if (*n && pct <= out[*n - 1].percent) {
            snprintf(err, errlen, "stage %d: the shares must rise (%ld%% after %d%%)", *n + 1, pct,
                     out[*n - 1].percent);
            return -1;
        }
        p = end + 1;
        long minutes = 0;
        if (*p == '/') {
            char d[16];
            size_t k = 0;
            for (p++; *p && *p != ',' && *p != ' ' && k + 1 < sizeof d; p++)
                d[k++] = *p;
            d[k] = 0;
            if ((minutes = ol_sla_parse_duration(d)) < 0) {
                snprintf(err, errlen, "stage %d: watch time '%s' is not a duration such as 30m or "
                                      "2h", *n + 1, d);
                return -1;
            }
        }
        out[(*n)++] = (ol_stage_t){(int)pct, minutes};
        while (*p == ' ')
            p++;
        if (*p == ',')
            p++;
        else if (*p) {
            snprintf(err, errlen, "stage %d: separate stages with commas", *n);
            return -1;
        }
    }
    if (*n == 0 || out[*n - 1].percent != 100) {
        snprintf(err, errlen, "the last stage must be 100%%");
        return -1;
    }
    return 0;
}

int ol_release_parse_gates(const char *spec, ol_gate_t *out, int *n, char *err, size_t errlen)
{
    *n = 0;
    const char *p = spec ? spec : "";
    while (*p) {
        while (*p == ' ')
            p++;
        size_t k = 0;
        while ((islower((unsigned char)p[k]) || isdigit((unsigned char)p[k]) || p[k] == '_') &&
               k < 40)
            k++;
        if (*n == OL_RELEASE_MAX_GATES) {
            snprintf(err, errlen, "at most %d gates", OL_RELEASE_MAX_GATES);
            return -1;
        }
        ol_gate_t *g = &out[*n];
        memcpy(g->metric, p, k);
        g->metric[k] = 0;
        p += k;
        while (*p == ' ')
            p++;
        if (k == 0 || (strncmp(p, "<=", 2) && strncmp(p, ">=", 2))) {
            snprintf(err, errlen, "gate %d: write METRIC<=LIMIT or METRIC>=LIMIT with a metric "
                                  "of a-z, 0-9 and _", *n + 1);
            return -1;
        }
        g->at_most = p[0] == '<';
        char *end;
        g->limit = strtod(p + 2, &end);
        if (end == p + 2 || !isfinite(g->limit)) {
            snprintf(err, errlen, "gate %d (%s): the limit is not a number", *n + 1, g->metric);
            return -1;
        }
        (*n)++;
        for (p = end; *p == ' ';)
            p++;
        if (*p == ',')
            p++;
        else if (*p) {
            snprintf(err, errlen, "gate %d: separate gates with commas", *n);
            return -1;
        }
    }
    if (*n == 0) {
        snprintf(err, errlen, "give at least one gate, e.g. error_rate<=1");
        return -1;
    }
    return 0;
}

int ol_config_check_release(const ol_config_t *cfg, char *err, size_t errlen)
{
    ol_stage_t st[OL_RELEASE_MAX_STAGES];
    ol_gate_t g[OL_RELEASE_MAX_GATES];
    int n;
    char why[160];
    if (ol_release_parse_stages(cfg->release_stages, st, &n, why, sizeof why)) {
        snprintf(err, errlen, "release_stages: %s", why);
        return -1;
    }
    if (ol_release_parse_gates(cfg->release_gates, g, &n, why, sizeof why)) {
        snprintf(err, errlen, "release_gates: %s", why);
        return -1;
    }
    static const struct {
        const char *name;
        long min, max;
    } ranges[] = {{"release_review_days", 1, 365}, {"release_dr_working_days", 1, 60},
                  {"calendar_feed_past_days", 0, 3660}, {"calendar_feed_future_days", 1, 3660},
                  {"calendar_max_entries", 10, 100000}};
    const char *values[] = {cfg->release_review_days, cfg->release_dr_working_days,
                            cfg->calendar_feed_past_days, cfg->calendar_feed_future_days,
                            cfg->calendar_max_entries};
    for (size_t k = 0; k < sizeof ranges / sizeof ranges[0]; k++) {
        char *end;
        long v = strtol(values[k], &end, 10);
        if (end == values[k] || *end || v < ranges[k].min || v > ranges[k].max) {
            snprintf(err, errlen, "%s = '%s': use %ld to %ld", ranges[k].name, values[k],
                     ranges[k].min, ranges[k].max);
            return -1;
        }
    }
    if (!*cfg->release_channel) {
        snprintf(err, errlen, "release_channel: name a notification channel");
        return -1;
    }
    return 0;
}

/* ---- the log ----------------------------------------------------------------------------------- */

int ol_rollout_log(ol_conn_t *conn, const ol_ctx_t *c, const char *number, int stage,
                   const char *event, int percent, int passed, const char *metrics,
                   const char *detail, const char *source)
{
    char now[32];
    ol_val_t p[] = {OL_VTEXT(number), OL_VINT(stage), OL_VTEXT(event), OL_VINT(percent),
                    passed < 0 ? OL_VNULL : OL_VINT(passed), OL_VTEXT(metrics), OL_VTEXT(detail),
                    OL_VTEXT(source), OL_VTEXT(c->user ? c->user : "system"),
                    OL_VTEXT(ol_iso_at(ol_time(), now))};
    return ol_db_exec(conn,
                      "INSERT INTO release_rollout (release, stage, event, percent, passed, "
                      "metrics, detail, source, created_by, created_at) VALUES (?1, ?2, ?3, ?4, "
                      "?5, ?6, ?7, ?8, ?9, ?10)",
                      p, 10, NULL);
}

int ol_rollout_read(ol_conn_t *conn, const char *number, const json_t *rec,
                    ol_rollout_state_t *st)
{
    memset(st, 0, sizeof *st);
    ol_rows_t *r;
    ol_val_t p[] = {OL_VTEXT(number)};
    int rc = ol_db_exec(conn,
                        "SELECT id, stage, percent, created_at FROM release_rollout WHERE "
                        "release = ?1 AND event = 'start' ORDER BY id DESC LIMIT 1",
                        p, 1, &r);
    if (rc)
        return rc;
    if (ol_rows_count(r) == 0) {
        ol_rows_free(r);
        return 0;
    }
    long long start_id = ol_rows_int(r, 0, 0);
    st->stage = (int)ol_rows_int(r, 0, 1);
    st->percent = (int)ol_rows_int(r, 0, 2);
    snprintf(st->started_at, sizeof st->started_at, "%s", ol_rows_get(r, 0, 3));
    ol_rows_free(r);

    ol_stage_t plan[OL_RELEASE_MAX_STAGES];
    int n = 0;
    char err[160];
    time_t started = 0, until;
    ol_iso_parse(st->started_at, &started);
    until = started;
    if (ol_release_parse_stages(ol_json_str(rec, "stages"), plan, &n, err, sizeof err) == 0 &&
        st->stage <= n)
        until += plan[st->stage - 1].observe_minutes * 60;
    ol_iso_at(until, st->observe_until);

    ol_val_t q[] = {OL_VTEXT(number), OL_VINT(start_id)};
    rc = ol_db_exec(conn,
                    "SELECT passed, created_at FROM release_rollout WHERE release = ?1 AND "
                    "id > ?2 AND event = 'reading' ORDER BY id DESC LIMIT 1",
                    q, 2, &r);
    if (rc)
        return rc;
    time_t taken = 0;
    const char *status = "pending";
    if (ol_rows_count(r) && !ol_rows_int(r, 0, 0))
        status = "failed";
    else if (ol_rows_count(r) && ol_iso_parse(ol_rows_get(r, 0, 1), &taken) == 0 &&
             taken >= until)
        status = "passed"; /* a reading taken once the watch was over */
    snprintf(st->gate_status, sizeof st->gate_status, "%s", status);
    ol_rows_free(r);
    return 0;
}

/* ---- gate readings and the circuit breaker ---------------------------------------------------- */

typedef struct {
    ol_ctx_t *c;
    char *number;
    json_t *metrics;
    char source[16];
} reading_job_t;

static void free_reading(void *arg)
{
    reading_job_t *j = arg;
    free(j->number);
    json_decref(j->metrics);
    free(j);
}

/* Runs a write of the release (a transition, or none: a re-read) in this transaction as the
 * given actor; its result goes to *out. */
static int write_release(ol_conn_t *conn, ol_ctx_t *c, const char *user,
                         const char *const *roles, const json_t *rec, const char *transition,
                         const char *reason, json_t **out)
{
    ol_ctx_t c2;
    ol_ctx_init(&c2, c->db, user, roles);
    c2.via = user == c->user ? c->via : "system";
    c2.ip = c->ip;
    c2.lang = c->lang;
    ol_write_t w;
    const char *number = ol_json_str(rec, "number");
    long long version = json_integer_value(json_object_get(rec, "version"));
    json_t *input = transition ? json_pack("{ss}", "reason", reason) : json_object();
    int rc = transition ? ol_rec_transition_prepare(&c2, &ol_release_type, number, transition,
                                                    version, input, &w)
                        : ol_rec_update_prepare(&c2, &ol_release_type, number, version, input,
                                                &w);
    json_decref(input);
    if (rc == 0) {
        rc = w.fn(conn, w.arg);
        w.free_arg(w.arg);
    }
    if (rc)
        ol_ctx_fail(c, rc, "%s", c2.detail);
    else
        *out = json_incref(c2.result);
    ol_ctx_clear(&c2);
    return rc;
}

static int reading_job(ol_conn_t *conn, void *arg)
{
    reading_job_t *j = arg;
    ol_ctx_t *c = j->c;
    json_t *rec = NULL, *release = NULL;
    int rc = ol_rec_find(conn, c, &ol_release_type, j->number, &rec);
    if (rc == -OL_ENOTFOUND ||
        (rc == 0 && !ol_ctx_in_scope(c, ol_json_str(rec, "group"), ol_json_str(rec, "owner"),
                                     ol_json_str(rec, "created_by")))) {
        json_decref(rec);
        return ol_ctx_fail(c, -OL_ENOTFOUND, "no release %s", j->number);
    }
    if (rc)
        return rc;
    if (strcmp(ol_json_str(rec, "state"), "rolling_out")) {
        rc = ol_ctx_fail(c, -OL_ESTATE, "%s is %s: gate readings are taken while it rolls out",
                         j->number, ol_json_str(rec, "state"));
        goto out;
    }
    ol_gate_t gates[OL_RELEASE_MAX_GATES];
    int ngates = 0;
    char why[160];
    ol_release_parse_gates(ol_json_str(rec, "gates"), gates, &ngates, why, sizeof why);
    for (int k = 0; k < ngates; k++) {
        if (!json_is_number(json_object_get(j->metrics, gates[k].metric))) {
            char field[64];
            snprintf(field, sizeof field, "metrics.%.40s", gates[k].metric);
            ol_schema_add_error(c->errors, field, "required", c->lang, NULL);
        }
    }
    if (json_array_size(c->errors)) {
        rc = ol_ctx_fail(c, -OL_EINVAL, "the reading lacks a metric that a gate of %s needs",
                         j->number);
        goto out;
    }
    int stage = (int)json_integer_value(json_object_get(rec, "stage"));
    int percent = (int)json_integer_value(json_object_get(rec, "stage_percent"));
    char failed[600] = "";
    size_t used = 0;
    json_t *results = json_array();
    for (int k = 0; k < ngates; k++) {
        double v = json_number_value(json_object_get(j->metrics, gates[k].metric));
        int ok = gates[k].at_most ? v <= gates[k].limit : v >= gates[k].limit;
        json_array_append_new(results, json_pack("{sssssfsfsb}", "metric", gates[k].metric, "op",
                                                 gates[k].at_most ? "<=" : ">=", "limit",
                                                 gates[k].limit, "value", v, "passed", ok));
        if (!ok && used < sizeof failed)
            used += (size_t)snprintf(failed + used, sizeof failed - used, "%s%s %g %s %g",
                                     used ? ", " : "", gates[k].metric, v,
                                     gates[k].at_most ? ">" : "<", gates[k].limit);
    }
    int passed = failed[0] == 0;
    char *metrics = ol_json_dump(j->metrics);
    rc = ol_rollout_log(conn, c, j->number, stage, "reading", percent, passed, metrics,
                        passed ? NULL : failed, j->source);
    json_t *detail = json_pack("{sisbsOss}", "stage", stage, "passed", passed, "metrics",
                               j->metrics, "source", j->source);
    char *dtext = ol_json_dump(detail);
    json_decref(detail);
    if (rc == 0)
        rc = ol_audit_write(conn, c, "release.gate_reading", j->number, passed ? "ok" : "failed",
                            dtext);
    free(dtext);
    free(metrics);
    if (rc) {
        json_decref(results);
        rc = ol_ctx_db_fail(c, conn, rc);
        goto out;
    }
    if (passed) {
        rc = write_release(conn, c, c->user, c->roles, rec, NULL, NULL, &release);
    } else {
        /* The circuit breaker: halt and roll back, as the system, naming the failed gates. */
        char reason[800], subject[400], subject_zh[400], key[96];
        snprintf(reason, sizeof reason, "circuit breaker: stage %d (%d%%) failed its gates: %s",
                 stage, percent, failed);
        rc = write_release(conn, c, "system", system_roles, rec, "trip", reason, &release);
        snprintf(subject, sizeof subject, "%s %s rolled back by the circuit breaker", j->number,
                 ol_json_str(rec, "release_version"));
        snprintf(subject_zh, sizeof subject_zh, "%s %s 触发熔断,已回退", j->number,
                 ol_json_str(rec, "release_version"));
        snprintf(key, sizeof key, "release.trip.%s.%lld", j->number,
                 (long long)json_integer_value(json_object_get(rec, "version")));
        ol_notice_t n = {ol_config()->release_channel, "release.trip", j->number, subject, reason,
                         subject_zh, reason, key};
        if (rc == 0 && (rc = ol_outbox_enqueue(conn, c, &n)))
            rc = ol_ctx_db_fail(c, conn, rc);
    }
    if (rc == 0) {
        char now[32];
        c->result = json_pack("{s{sisisbsoss}so}", "reading", "stage", stage, "percent", percent,
                              "passed", passed, "gates", results, "at", ol_iso_at(ol_time(), now),
                              "release", release);
        c->status = 201;
    } else {
        json_decref(results);
    }
out:
    json_decref(rec);
    return rc;
}

int ol_release_reading_prepare(ol_ctx_t *c, const char *number, const json_t *input,
                               ol_write_t *w)
{
    if (!ol_rec_allowed(c, &ol_release_type, "update"))
        return ol_ctx_fail(c, -OL_EFORBIDDEN, "you may not record gate readings of releases");
    static const char *const keys[] = {"metrics", "source", NULL};
    if (ol_input_check_keys(input, keys, c->lang, c->errors))
        return ol_ctx_fail(c, -OL_EINVAL, "the reading has unknown fields");
    const json_t *metrics = json_object_get(input, "metrics");
    const json_t *source = json_object_get(input, "source");
    const char *key;
    json_t *v;
    if (!json_is_object(metrics) || json_object_size(metrics) == 0 ||
        json_object_size(metrics) > 20)
        ol_schema_add_error(c->errors, "metrics", "bad_spec", c->lang,
                            "an object of 1 to 20 metrics, e.g. {\"error_rate\": 0.4}");
    else
        json_object_foreach((json_t *)metrics, key, v) {
            char field[80];
            snprintf(field, sizeof field, "metrics.%.60s", key);
            if (!json_is_number(v) || strlen(key) > 40)
                ol_schema_add_error(c->errors, field, "type_number", c->lang, NULL);
        }
    const char *src = source ? json_string_value(source) : "operator";
    if (!src || (strcmp(src, "operator") && strcmp(src, "monitoring")))
        ol_schema_add_error(c->errors, "source", "enum", c->lang, "operator, monitoring");
    if (json_array_size(c->errors))
        return ol_ctx_fail(c, -OL_EINVAL, "the reading is invalid");
    reading_job_t *j = ol_xcalloc(1, sizeof *j);
    j->c = c;
    j->number = ol_xstrdup(number);
    j->metrics = json_deep_copy(metrics);
    snprintf(j->source, sizeof j->source, "%s", src);
    *w = (ol_write_t){reading_job, j, free_reading};
    return 0;
}

/* ---- the rollout as a whole ------------------------------------------------------------------- */

typedef struct {
    const char *number;
    json_t *events;
} log_read_t;

static int log_fn(ol_conn_t *conn, void *arg)
{
    log_read_t *l = arg;
    ol_rows_t *r;
    ol_val_t p[] = {OL_VTEXT(l->number)};
    int rc = ol_db_exec(conn,
                        "SELECT stage, event, percent, passed, metrics, detail, source, "
                        "created_by, created_at FROM release_rollout WHERE release = ?1 "
                        "ORDER BY id LIMIT 1000",
                        p, 1, &r);
    if (rc)
        return rc;
    for (int i = 0; i < ol_rows_count(r); i++) {
        json_t *e = json_pack("{sIsssIss?ssssss?}", "stage", (json_int_t)ol_rows_int(r, i, 0),
                              "event", ol_rows_get(r, i, 1), "percent",
                              (json_int_t)ol_rows_int(r, i, 2), "detail", ol_rows_get(r, i, 5),
                              "by", ol_rows_get(r, i, 7), "at", ol_rows_get(r, i, 8), "source",
                              ol_rows_get(r, i, 6));
        if (ol_rows_get(r, i, 3))
            json_object_set_new(e, "passed", json_boolean(ol_rows_int(r, i, 3)));
        json_t *m = ol_rows_get(r, i, 4) ? json_loads(ol_rows_get(r, i, 4), 0, NULL) : NULL;
        if (m)
            json_object_set_new(e, "metrics", m);
        json_array_append_new(l->events, e);
    }
    ol_rows_free(r);
    return 0;
}

int ol_release_rollout(ol_ctx_t *c, const char *number)
{
    int rc = ol_rec_get(c, &ol_release_type, number);
    if (rc)
        return rc;
    json_t *rec = c->result;
    c->result = NULL;
    log_read_t l = {number, json_array()};
    if ((rc = ol_db_read(c->db, log_fn, &l))) {
        json_decref(rec);
        json_decref(l.events);
        return ol_ctx_fail(c, rc, "cannot read the rollout log of %s", number);
    }
    ol_stage_t st[OL_RELEASE_MAX_STAGES];
    ol_gate_t g[OL_RELEASE_MAX_GATES];
    int n = 0, ng = 0;
    char why[160];
    ol_release_parse_stages(ol_json_str(rec, "stages"), st, &n, why, sizeof why);
    ol_release_parse_gates(ol_json_str(rec, "gates"), g, &ng, why, sizeof why);
    long long cur = json_integer_value(json_object_get(rec, "stage"));
    const char *state = ol_json_str(rec, "state");
    json_t *stages = json_array(), *gates = json_array();
    for (int k = 0; k < n; k++) {
        const char *status = "pending";
        if (k + 1 < cur || (k + 1 == cur && !strcmp(state, "released")) ||
            !strcmp(state, "reviewed"))
            status = "passed";
        else if (k + 1 == cur && !strcmp(state, "rolled_back"))
            status = "rolled_back";
        else if (k + 1 == cur && !strcmp(state, "rolling_out"))
            status = "active";
        json_array_append_new(stages, json_pack("{sisisIss}", "stage", k + 1, "percent",
                                                st[k].percent, "observe_minutes",
                                                (json_int_t)st[k].observe_minutes, "status",
                                                status));
    }
    for (int k = 0; k < ng; k++)
        json_array_append_new(gates, json_pack("{sssssf}", "metric", g[k].metric, "op",
                                               g[k].at_most ? "<=" : ">=", "limit", g[k].limit));
    c->result = json_pack("{sssO?sO?sO?sososo}", "number", number, "state", json_object_get(rec, "state"),
                          "stage", json_object_get(rec, "stage"), "gate_status",
                          json_object_get(rec, "gate_status"), "stages", stages, "gates", gates,
                          "events", l.events);
    json_decref(rec);
    return 0;
}
