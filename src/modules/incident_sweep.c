/* modules/incident_sweep.c - I3: levels rise while an incident stays open, not only when someone
 * touches it; I5-I8: report, update, confirmation, review and action deadlines pass while
 * nobody writes. Each write of an incident, review or action records in record_wakeups when it
 * next needs a look (its next level rise or deadline, registered with the engine at start);
 * serve's sweep reads the records due by that index - never a scan of the open ones - and
 * re-writes each with no input, so the type's hooks recompute the level and the overdue flags
 * and send their reminders (the engine writes, with history and audit, only when something
 * changed) and the write records the next wake-up. I7: a resolved incident past its
 * confirmation deadline is then closed by the system. */
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/config.h"
#include "core/err.h"
#include "modules/incident_major.h"
#include "modules/incident_policy.h"
#include "modules/registry.h"
#include "records/sla.h"
#include "records/store.h"

#define SWEEP_BATCH 500 /* incidents re-checked per sweep at most (the rest: the next sweep) */

extern const ol_record_type_t ol_incident_type;

/* When the incident's level next rises (see incident.c level_of): the first rise threshold
 * still ahead while it is open, of high impact on a core or important service, and not yet at
 * level 1; 0 = never. */
static time_t next_rise(const json_t *rec)
{
    static const char *const open[] = {"new", "assigned", "in_progress", "awaiting_user", NULL};
    const char *state = json_string_value(json_object_get(rec, "state"));
    const char *impact = json_string_value(json_object_get(rec, "impact"));
    const char *importance = json_string_value(json_object_get(rec, "importance"));
    int is_open = 0;
    for (int k = 0; state && open[k]; k++)
        is_open |= !strcmp(open[k], state);
    time_t from;
    if (!is_open || !impact || strcmp(impact, ol_incident_levels3[0]) || !importance ||
        (strcmp(importance, ol_incident_importance[0]) &&
         strcmp(importance, ol_incident_importance[1])) ||
        json_integer_value(json_object_get(rec, "level")) <= 1 ||
        ol_iso_parse(json_string_value(json_object_get(rec, "detected_at")), &from))
        return 0;
    long rises[3];
    char err[160];
    int n = ol_incident_rises(ol_config()->incident_level_rise_minutes, rises, err, sizeof err);
    time_t now = ol_time();
    for (int k = 0; k < n; k++)
        if (from + rises[k] * 60 > now)
            return from + rises[k] * 60;
    return 0;
}

/* I3 and I5-I7: the level's next rise, or a report, update or confirmation falling due. */
static time_t next_wake(const json_t *rec)
{
    time_t a = next_rise(rec), b = ol_incident_major_next(rec);
    return a && (!b || a < b) ? a : b;
}

void ol_incident_prepare(void)
{
    ol_wake_register(ol_incident_type.name, next_wake);
    ol_wake_register(ol_review_type.name, ol_review_next); /* I8 */
    ol_wake_register(ol_action_type.name, ol_action_next);
}

/* I7: a resolved incident the reporter did not confirm in time closes by itself. */
static void auto_close(ol_db_t *db, const json_t *rec)
{
    static const char *const system_roles[] = {"admin", NULL};
    time_t due;
    const char *state = json_string_value(json_object_get(rec, "state"));
    if (!state || strcmp(state, "resolved") ||
        ol_iso_parse(json_string_value(json_object_get(rec, "confirm_due")), &due) ||
        due > ol_time())
        return;
    ol_ctx_t c;
    ol_ctx_init(&c, db, "system", system_roles);
    c.via = "system";
    ol_write_t w;
    char reason[160];
    snprintf(reason, sizeof reason, "I7: not confirmed within %s minutes of the resolution",
             ol_config()->incident_confirm_minutes);
    json_t *in = json_pack("{ss}", "reason", reason);
    if (ol_rec_transition_prepare(&c, &ol_incident_type,
                                  json_string_value(json_object_get(rec, "number")), "auto_close",
                                  0, in, &w) == 0)
        ol_write_run(db, &w);
    json_decref(in);
    ol_ctx_clear(&c);
}

/* Re-writes the type's records due by their wake-up with no input, so the type's hooks bring
 * them up to date; then settles the wake-ups of those the write did not move. */
static int sweep_type(ol_db_t *db, const ol_record_type_t *t, ol_wake_fn next, int incidents)
{
    static const char *const system_roles[] = {"admin", NULL};
    time_t now = ol_time();
    json_t *numbers;
    int rc = ol_wake_due(db, t->name, SWEEP_BATCH, now, &numbers);
    if (rc)
        return rc;
    json_t *settle = json_object(); /* those a write did not move: their real next time */
    size_t i;
    json_t *num;
    json_array_foreach(numbers, i, num) {
        const char *number = json_string_value(num);
        ol_ctx_t c;
        ol_ctx_init(&c, db, "system", system_roles);
        c.via = "system";
        int got = ol_rec_get(&c, t, number);
        json_t *rec = got == 0 ? json_incref(c.result) : NULL;
        ol_ctx_clear(&c);
        if (got == -OL_ENOTFOUND)
            json_object_set_new(settle, number, json_integer(0));
        if (!rec)
            continue;
        long long version = json_integer_value(json_object_get(rec, "version"));
        ol_ctx_init(&c, db, "system", system_roles);
        c.via = "system";
        ol_write_t w;
        json_t *none = json_object();
        if (ol_rec_update_prepare(&c, t, number, version, none, &w) == 0 &&
            ol_write_run(db, &w) == 0) {
            if (json_integer_value(json_object_get(c.result, "version")) == version)
                json_object_set_new(settle, number, json_integer((json_int_t)next(rec)));
            if (incidents)
                auto_close(db, c.result);
        }
        json_decref(none);
        json_decref(rec);
        ol_ctx_clear(&c);
    }
    json_decref(numbers);
    rc = ol_wake_settle(db, t->name, settle, now);
    json_decref(settle);
    return rc;
}

int ol_incident_sweep(ol_db_t *db)
{
    int rc = sweep_type(db, &ol_incident_type, next_wake, 1);
    if (rc == 0)
        rc = sweep_type(db, &ol_review_type, ol_review_next, 0);
    if (rc == 0)
        rc = sweep_type(db, &ol_action_type, ol_action_next, 0);
    return rc;
}
