/* modules/change_rules.c - the schedule rules of changes (REQUIREMENTS C3, C4; 004 §7.2.5.1 h, i;
 * 002 §12.1.2; 000 §3.4) and their conflicts (C5): the lead time in working days of the business
 * calendar per type and level, the categories forbidden in business hours, the freeze periods
 * (freeze records), the recommended window (a warning), and the other changes planned at an
 * overlapping time on the same CI or a CI related to it in the CMDB; the policies behind them
 * and the dry run the change form calls before submitting. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/json.h"
#include "modules/change.h"
#include "modules/cmdb.h"
#include "modules/incident_policy.h"
#include "records/query.h"
#include "records/sla.h"
#include "records/store.h"

#define DAY 86400L
#define MAX_SCAN 1000 /* freezes or overlapping changes read for one check at most */

static const char *const system_roles[] = {"admin", NULL};

static time_t at_of(const json_t *rec, const char *key)
{
    time_t t;
    return ol_iso_parse(ol_json_str(rec, key), &t) ? 0 : t;
}

static int in_list(const char *const *list, const char *s)
{
    for (; s && *list; list++)
        if (!strcmp(*list, s))
            return 1;
    return 0;
}

/* 1 when the comma-separated list holds item. */
static int csv_has(const char *list, const char *item)
{
    size_t n = item ? strlen(item) : 0;
    for (const char *p = list; n && p && *p;) {
        size_t len = strcspn(p, ",");
        if (len == n && !strncmp(p, item, n))
            return 1;
        p += len + (p[len] == ',');
    }
    return 0;
}

/* ---- policies ------------------------------------------------------------------------------- */

int ol_change_level(int impact, int likelihood)
{
    int cells[9];
    char err[160];
    if (impact < 0 || impact > 2 || likelihood < 0 || likelihood > 2 ||
        ol_incident_matrix(ol_config()->change_level_matrix, 3, 3, ol_change_levels, cells, err,
                           sizeof err))
        return -1;
    return cells[impact * 3 + likelihood];
}

/* change_lead_time_days "TYPE/LEVEL=DAYS;...": the days of the first entry that matches (type
 * "*" = any), 0 when none does; -1 when malformed (with err). */
static long lead_days(const char *spec, const char *type, const char *level, char *err,
                      size_t errlen)
{
    long found = 0;
    int matched = 0;
    for (const char *p = spec; *p;) {
        size_t len = strcspn(p, ";");
        char entry[96], *slash, *eq, *end;
        if (len == 0 || len >= sizeof entry)
            goto bad;
        memcpy(entry, p, len);
        entry[len] = 0;
        slash = strchr(entry, '/');
        eq = strchr(entry, '=');
        if (!slash || !eq || eq < slash)
            goto bad;
        *slash = *eq = 0;
        long days = strtol(eq + 1, &end, 10);
        if (end == eq + 1 || *end || days < 0 || days > 365 ||
            (strcmp(entry, "*") && !in_list(ol_change_types, entry)) ||
            !in_list(ol_change_levels, slash + 1))
            goto bad;
        if (!matched && (!strcmp(entry, "*") || (type && !strcmp(entry, type))) && level &&
            !strcmp(slash + 1, level)) {
            found = days;
            matched = 1;
        }
        p += len + (p[len] == ';');
        continue;
    bad:
        snprintf(err, errlen, "change_lead_time_days: '%.*s' is not TYPE/LEVEL=DAYS (type %s or "
                 "*, level major, normal or standard, 0-365 days)", (int)len, p,
                 "application, infrastructure");
        return -1;
    }
    return found;
}

int ol_config_check_change(const ol_config_t *cfg, char *err, size_t errlen)
{
    int cells[9], a, b;
    char why[160];
    if (ol_incident_matrix(cfg->change_level_matrix, 3, 3, ol_change_levels, cells, why,
                           sizeof why)) {
        snprintf(err, errlen, "change_level_matrix: %s", why);
        return -1;
    }
    if (lead_days(cfg->change_lead_time_days, NULL, NULL, err, errlen) < 0)
        return -1;
    if (strcmp(cfg->change_verify_ci_updates, "referenced") &&
        strcmp(cfg->change_verify_ci_updates, "flag")) {
        snprintf(err, errlen, "change_verify_ci_updates = '%s': use referenced or flag",
                 cfg->change_verify_ci_updates);
        return -1;
    }
    if (ol_cal_parse_hours(cfg->change_business_hours, &a, &b)) {
        snprintf(err, errlen, "change_business_hours: want HH:MM-HH:MM, start before end");
        return -1;
    }
    if (ol_cal_parse_hours(cfg->change_recommended_window, &a, &b)) {
        snprintf(err, errlen, "change_recommended_window: want HH:MM-HH:MM, start before end");
        return -1;
    }
    if (ol_cal_parse_zone(cfg->change_timezone, &a)) {
        snprintf(err, errlen, "change_timezone: want Asia/Shanghai, UTC or an offset like +08:00");
        return -1;
    }
    for (const char *p = cfg->change_business_hours_forbidden; *p;) {
        size_t len = strcspn(p, ",");
        int known = 0;
        for (const char *const *k = ol_change_categories; *k; k++)
            known |= strlen(*k) == len && !strncmp(*k, p, len);
        if (!known) {
            snprintf(err, errlen, "change_business_hours_forbidden: '%.*s' is not a change "
                     "category", (int)len, p);
            return -1;
        }
        p += len + (p[len] == ',');
    }
    static const char *const approvers[] = {"unit_head_or_role", "unit_head", "role", NULL};
    if (!in_list(approvers, cfg->change_emergency_approver)) {
        snprintf(err, errlen, "change_emergency_approver: want unit_head_or_role, unit_head or "
                 "role");
        return -1;
    }
    static const struct {
        const char *name;
        long lo, hi;
    } ints[] = {{"change_emergency_written_hours", 1, 720},
                {"change_dr_update_working_days", 0, 60},
                {"change_regulator_notice_working_days", 0, 120},
                {"change_conflict_depth", 0, 10},
                {"change_success_target", 0, 100}};
    const char *values[] = {cfg->change_emergency_written_hours,
                            cfg->change_dr_update_working_days,
                            cfg->change_regulator_notice_working_days,
                            cfg->change_conflict_depth, cfg->change_success_target};
    for (size_t k = 0; k < sizeof ints / sizeof ints[0]; k++) {
        char *end;
        long v = strtol(values[k], &end, 10);
        if (end == values[k] || *end || v < ints[k].lo || v > ints[k].hi) {
            snprintf(err, errlen, "%s: want an integer from %ld to %ld", ints[k].name,
                     ints[k].lo, ints[k].hi);
            return -1;
        }
    }
    return 0;
}

/* ---- time arithmetic ------------------------------------------------------------------------ */

static int zone_offset(void)
{
    int off = 8 * 3600;
    ol_cal_parse_zone(ol_config()->change_timezone, &off);
    return off;
}

/* The local day (days since 1970-01-01 at offset off) t falls on. */
static long local_day(time_t t, int off)
{
    long long local = (long long)t + off;
    return (long)(local >= 0 ? local / DAY : -((-local + DAY - 1) / DAY));
}

/* 1 when [s, e) overlaps the daily span [from, to) (seconds after local midnight). */
static int overlaps_daily(time_t s, time_t e, int off, int from, int to)
{
    long day = local_day(s, off) - 1;
    for (int k = 0; k < 400; k++, day++) {
        time_t d0 = (time_t)(day * DAY - off);
        if (d0 >= e)
            return 0;
        if (d0 + from < e && d0 + to > s)
            return 1;
    }
    return 1; /* more than a year long: it meets every daily span */
}

int ol_change_in_recommended_window(time_t s, time_t e)
{
    int from, to, off = zone_offset();
    if (ol_cal_parse_hours(ol_config()->change_recommended_window, &from, &to))
        return 1;
    time_t d0 = (time_t)(local_day(s, off) * DAY - off);
    return s >= d0 + from && e <= d0 + to;
}

time_t ol_change_working_days_after(time_t t, long n)
{
    const ol_calendar_t *cal = ol_sla_calendar(OL_CAL_5X8);
    return ol_cal_add(cal, t, (long long)n * (cal->work_end - cal->work_start));
}

time_t ol_change_working_days_before(time_t t, long n)
{
    if (n <= 0)
        return t;
    const ol_calendar_t *cal = ol_sla_calendar(OL_CAL_5X8);
    long day = local_day(t, cal->offset);
    for (long k = 0, guard = 0; k < n && guard < 3660; guard++)
        if (ol_cal_working_day(cal, --day))
            k++;
    return (time_t)(day * DAY - cal->offset + cal->work_end);
}

/* ---- reading other records ------------------------------------------------------------------ */

/* Every record of t matching the query arguments (NULL-terminated key, value pairs), up to
 * MAX_SCAN, read as the system into *items. */
static int scan(ol_ctx_t *c, const ol_record_type_t *t, const char *const *args, json_t **items)
{
    ol_ctx_t sc;
    ol_ctx_init(&sc, c->db, "system", system_roles);
    sc.lang = c->lang;
    ol_query_t q;
    ol_query_init(&q);
    int rc = 0;
    for (int k = 0; args[k] && rc == 0; k += 2)
        rc = ol_query_add(&sc, t, &q, args[k], args[k + 1]);
    if (rc == 0)
        rc = ol_query_add(&sc, t, &q, "limit", "200");
    *items = json_array();
    while (rc == 0 && json_array_size(*items) < MAX_SCAN) {
        if ((rc = ol_rec_list(&sc, t, &q)))
            break;
        json_array_extend(*items, json_object_get(sc.result, "items"));
        const char *next = ol_json_str(sc.result, "next_cursor");
        if (next)
            rc = ol_query_add(&sc, t, &q, "cursor", next);
        json_decref(sc.result);
        sc.result = NULL;
        if (!next)
            break;
    }
    ol_query_clear(&q);
    if (rc) {
        ol_ctx_fail(c, rc, "reading %s records: %s", t->name, sc.detail);
        json_decref(*items);
        *items = NULL;
    }
    ol_ctx_clear(&sc);
    return rc;
}

/* Adds a CI (its number and its unique ID) to related with how it was reached, unless there. */
static void relate(json_t *related, const json_t *ci, const char *how)
{
    static const char *const keys[] = {"number", "ci_id", NULL};
    for (int k = 0; keys[k]; k++) {
        const char *v = ol_json_str(ci, keys[k]);
        if (v && !json_object_get(related, v))
            json_object_set_new(related, v, json_string(how));
    }
}

/* The CIs a change on cis may disturb: each CI itself (named by number or unique ID) and,
 * through the CMDB's impact graph up to change_conflict_depth levels, the CIs that depend on it
 * (up) and those it depends on (down). *related = {CI number or ID: how it was reached}. A name
 * that is no CI of the CMDB stands for itself. */
static int related_cis(ol_ctx_t *c, const json_t *cis, json_t **related)
{
    *related = json_object();
    const char *depth = ol_config()->change_conflict_depth;
    size_t i, j;
    json_t *ci, *node;
    int rc = 0;
    json_array_foreach(cis, i, ci) {
        const char *name = json_string_value(ci);
        if (!name)
            continue;
        json_object_set_new(*related, name, json_string("same CI"));
        if (ol_config_int(depth) < 1)
            continue;
        /* A unique ID is resolved to its CI's number first. */
        char number[64];
        snprintf(number, sizeof number, "%s", name);
        json_t *found = NULL;
        const char *const by_id[] = {"ci_id", name, NULL};
        if (strncmp(name, "CI-", 3) && scan(c, &ol_ci_type, by_id, &found) == 0 &&
            json_array_size(found))
            snprintf(number, sizeof number, "%s", ol_json_str(json_array_get(found, 0), "number"));
        json_decref(found);
        static const char *const directions[] = {"up", "down"};
        for (int d = 0; d < 2 && rc == 0; d++) {
            ol_ctx_t gc;
            ol_ctx_init(&gc, c->db, "system", system_roles);
            gc.lang = c->lang;
            int got = ol_cmdb_impact(&gc, number, directions[d], depth);
            if (got == 0) {
                relate(*related, json_object_get(gc.result, "ci"), "same CI");
                json_array_foreach(json_object_get(gc.result, "nodes"), j, node) {
                    char how[300];
                    snprintf(how, sizeof how, "%s %s %s (%s, depth %lld)",
                             ol_json_str(node, "number"), d ? "is needed by" : "depends on", name,
                             d ? "down" : "up",
                             (long long)json_integer_value(json_object_get(node, "depth")));
                    relate(*related, node, how);
                }
            } else if (got != -OL_ENOTFOUND && got != -OL_EINVAL) {
                rc = ol_ctx_fail(c, got, "reading the CMDB graph: %s", gc.detail);
            }
            ol_ctx_clear(&gc);
        }
    }
    return rc;
}

/* C5: the changes holding a slot that overlaps [s, e) on a CI related to rec's, into
 * conflicts. */
static int find_conflicts(ol_ctx_t *c, const json_t *rec, const char *from, const char *to,
                          json_t *conflicts)
{
    const json_t *cis = json_object_get(rec, "cis");
    if (!json_array_size(cis))
        return 0;
    json_t *related, *items;
    int rc = related_cis(c, cis, &related);
    const char *const args[] = {"state[in]", "assessment,approval,expert_review,"
                                             "leadership_review,scheduled,implementing",
                                "planned_start[lt]", to, "planned_end[gt]", from, NULL};
    if (rc == 0)
        rc = scan(c, &ol_change_type, args, &items);
    if (rc) {
        json_decref(related);
        return rc;
    }
    const char *me = ol_json_str(rec, "number");
    size_t i, j;
    json_t *other, *ci;
    json_array_foreach(items, i, other) {
        if (me && !strcmp(me, ol_json_str(other, "number")))
            continue;
        json_t *shared = json_array();
        const char *via = NULL;
        json_array_foreach(json_object_get(other, "cis"), j, ci) {
            json_t *how = json_object_get(related, json_string_value(ci) ? json_string_value(ci)
                                                                         : "");
            if (how) {
                json_array_append(shared, ci);
                via = via ? via : json_string_value(how);
            }
        }
        if (json_array_size(shared))
            json_array_append_new(conflicts,
                                  json_pack("{sOsOsOsOsOsOsoss}", "number",
                                            json_object_get(other, "number"), "title",
                                            json_object_get(other, "title"), "state",
                                            json_object_get(other, "state"), "planned_start",
                                            json_object_get(other, "planned_start"),
                                            "planned_end", json_object_get(other, "planned_end"),
                                            "cis", json_object_get(other, "cis"), "shared",
                                            shared, "via", via));
        else
            json_decref(shared);
    }
    json_decref(items);
    json_decref(related);
    return 0;
}

/* C4: the active freezes overlapping [s, e) whose scope takes in the change; each a refusal. */
static int check_freezes(ol_ctx_t *c, const json_t *rec, const char *from, const char *to)
{
    json_t *items;
    const char *const args[] = {"state", "active", "start[lt]", to, "end[gt]", from, NULL};
    int rc = scan(c, &ol_freeze_type, args, &items);
    if (rc)
        return rc;
    int n = 0;
    size_t i, j;
    json_t *f, *s;
    json_array_foreach(items, i, f) {
        const json_t *scope = json_object_get(f, "scope");
        int applies = json_array_size(scope) == 0;
        json_array_foreach(scope, j, s) {
            const char *v = json_string_value(s);
            applies |=
                v &&
                ((ol_json_str(rec, "change_type") && !strcmp(v, ol_json_str(rec, "change_type"))) ||
                 (ol_json_str(rec, "category") && !strcmp(v, ol_json_str(rec, "category"))));
        }
        if (!applies)
            continue;
        char arg[400];
        snprintf(arg, sizeof arg, "%s %.200s (%s - %s)", ol_json_str(f, "number"),
                 ol_json_str(f, "title") ? ol_json_str(f, "title") : "", ol_json_str(f, "start"),
                 ol_json_str(f, "end"));
        ol_schema_add_error(c->errors, "planned_start", "change_window_freeze", c->lang, arg);
        n++;
    }
    json_decref(items);
    return n;
}

int ol_change_rules(ol_ctx_t *c, const json_t *rec, time_t now, json_t **report)
{
    const ol_config_t *cfg = ol_config();
    json_t *warnings = json_array(), *conflicts = json_array(), *earliest = json_null();
    *report = json_pack("{sososo}", "warnings", warnings, "conflicts", conflicts,
                        "earliest_start", earliest);
    time_t s = at_of(rec, "planned_start"), e = at_of(rec, "planned_end");
    if (!s || e <= s)
        return 0;
    char from[32], to[32], msg[300], arg[300];
    ol_iso_at(s, from);
    ol_iso_at(e, to);
    const char *type = ol_json_str(rec, "change_type"), *level = ol_json_str(rec, "level");
    const char *category = ol_json_str(rec, "category");
    int n = 0, rc = 0;
    if (!json_is_true(json_object_get(rec, "emergency"))) {
        char err[200];
        long days = lead_days(cfg->change_lead_time_days, type, level, err, sizeof err);
        if (days > 0) {
            char first[32];
            ol_iso_at(ol_change_working_days_after(now, days), first);
            json_object_set_new(*report, "earliest_start", json_string(first));
            if (s < ol_change_working_days_after(now, days)) {
                snprintf(arg, sizeof arg, "a %s %s change needs %ld working days: not before %s",
                         level ? level : "", type ? type : "", days, first);
                ol_schema_add_error(c->errors, "planned_start", "change_lead_time", c->lang, arg);
                n++;
            }
        }
        int bs, be;
        if (csv_has(cfg->change_business_hours_forbidden, category) &&
            !ol_cal_parse_hours(cfg->change_business_hours, &bs, &be) &&
            overlaps_daily(s, e, zone_offset(), bs, be)) {
            snprintf(arg, sizeof arg, "%s is forbidden %s (%s)", category,
                     cfg->change_business_hours, cfg->change_timezone);
            ol_schema_add_error(c->errors, "planned_start", "change_window_business_hours",
                                c->lang, arg);
            n++;
        }
        rc = check_freezes(c, rec, from, to);
        if (rc > 0)
            n += rc;
    }
    if (rc >= 0 && !ol_change_in_recommended_window(s, e)) {
        json_array_append_new(warnings,
                              json_pack("{ssss}", "rule", "recommended_window", "message",
                                        ol_msg("change_window_recommended", c->lang,
                                               cfg->change_recommended_window, msg, sizeof msg)));
    }
    if (rc >= 0)
        rc = find_conflicts(c, rec, from, to, conflicts);
    return rc < 0 ? rc : n;
}

/* ---- the dry run ---------------------------------------------------------------------------- */

int ol_change_check(ol_ctx_t *c, const json_t *args)
{
    if (!ol_rec_allowed(c, &ol_change_type, "create") &&
        !ol_rec_allowed(c, &ol_change_type, "update"))
        return ol_ctx_fail(c, -OL_EFORBIDDEN, "checking a change's schedule needs the create or "
                                              "update permission on changes");
    static const char *const known[] = {"number", "change_type", "category", "failure_impact",
                                        "failure_likelihood", "emergency", "planned_start",
                                        "planned_end", "cis", "model", NULL};
    json_t *rec = json_object();
    const char *number = ol_json_str(args, "number");
    int rc = 0;
    if (number) {
        ol_ctx_t rc_ctx;
        ol_ctx_init(&rc_ctx, c->db, c->user, c->roles);
        rc_ctx.scope = c->scope;
        rc_ctx.lang = c->lang;
        rc = ol_rec_get(&rc_ctx, &ol_change_type, number);
        if (rc == 0)
            json_object_update(rec, rc_ctx.result);
        else
            ol_ctx_fail(c, rc, "%s", rc_ctx.detail);
        ol_ctx_clear(&rc_ctx);
        if (rc) {
            json_decref(rec);
            return rc;
        }
    }
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)args, key, v) {
        if (!in_list(known, key)) {
            ol_schema_add_error(c->errors, key, "unknown", c->lang, NULL);
            continue;
        }
        const char *s = json_string_value(v);
        const ol_field_t *f = ol_schema_field(&ol_change_type, key);
        if (!strcmp(key, "number"))
            continue;
        if (!strcmp(key, "cis")) {
            json_t *list = json_array();
            for (const char *p = s; p && *p;) {
                size_t len = strcspn(p, ",");
                if (len)
                    json_array_append_new(list, json_stringn(p, len));
                p += len + (p[len] == ',');
            }
            json_object_set_new(rec, key, list);
        } else if (!strcmp(key, "emergency")) {
            if (strcmp(s, "true") && strcmp(s, "false"))
                ol_schema_add_error(c->errors, key, "type_bool", c->lang, NULL);
            json_object_set_new(rec, key, json_boolean(!strcmp(s, "true")));
        } else {
            time_t t;
            if (f->type == OL_F_DATETIME && *s && ol_iso_parse(s, &t))
                ol_schema_add_error(c->errors, key, "datetime", c->lang, NULL);
            else if (f->type == OL_F_ENUM && !in_list(f->values, s))
                ol_schema_add_error(c->errors, key, "enum", c->lang, s);
            json_object_set_new(rec, key, *s ? json_string(s) : json_null());
        }
    }
    if (json_array_size(c->errors)) {
        json_decref(rec);
        return ol_ctx_fail(c, -OL_EINVAL, "the schedule to check is invalid");
    }
    int impact = -1, likelihood = -1;
    for (int k = 0; ol_change_levels3[k]; k++) {
        if (ol_json_str(rec, "failure_impact") &&
            !strcmp(ol_change_levels3[k], ol_json_str(rec, "failure_impact")))
            impact = k;
        if (ol_json_str(rec, "failure_likelihood") &&
            !strcmp(ol_change_levels3[k], ol_json_str(rec, "failure_likelihood")))
            likelihood = k;
    }
    int level = ol_change_level(impact < 0 ? 1 : impact, likelihood < 0 ? 1 : likelihood);
    const char *model = ol_json_str(rec, "model");
    if (model && *model) {
        ol_ctx_t mc;
        ol_ctx_init(&mc, c->db, "system", system_roles);
        if (ol_rec_get(&mc, &ol_change_model_type, model) == 0 &&
            json_is_true(json_object_get(mc.result, "pre_approved")) &&
            !strcmp(ol_json_str(mc.result, "state"), "active"))
            level = 2;
        ol_ctx_clear(&mc);
    }
    if (level >= 0)
        json_object_set_new(rec, "level", json_string(ol_change_levels[level]));
    json_t *report = NULL;
    time_t submitted;
    int n = ol_change_rules(
        c, rec, ol_iso_parse(ol_json_str(rec, "submitted_at"), &submitted) ? ol_time() : submitted,
        &report);
    if (n < 0) {
        json_decref(report);
        json_decref(rec);
        return n;
    }
    json_t *errors = c->errors;
    c->errors = json_array();
    json_object_set(report, "level", json_object_get(rec, "level"));
    json_object_set_new(report, "ok", json_boolean(n == 0));
    json_object_set_new(report, "errors", errors);
    json_decref(rec);
    c->result = report;
    c->status = 200;
    return 0;
}
