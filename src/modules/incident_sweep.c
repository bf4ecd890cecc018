/* modules/incident_sweep.c - I3: levels rise while an incident stays open, not only when someone
 * touches it. Each write of an incident records in record_wakeups when its level next rises
 * (next_rise, registered with the engine at start); serve's sweep reads the incidents due by
 * that index - never a scan of the open ones - and re-writes each with no input, so the type's
 * compute hook recomputes its level (the engine writes, with history and audit, only when it
 * changed) and the write records the next rise. */
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/config.h"
#include "core/err.h"
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

void ol_incident_prepare(void)
{
    ol_wake_register(ol_incident_type.name, next_rise);
}

int ol_incident_sweep(ol_db_t *db)
{
    static const char *const system_roles[] = {"admin", NULL};
    time_t now = ol_time();
    json_t *numbers;
    int rc = ol_wake_due(db, ol_incident_type.name, SWEEP_BATCH, now, &numbers);
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
        int got = ol_rec_get(&c, &ol_incident_type, number);
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
        if (ol_rec_update_prepare(&c, &ol_incident_type, number, version, none, &w) == 0 &&
            ol_write_run(db, &w) == 0 &&
            json_integer_value(json_object_get(c.result, "version")) == version)
            json_object_set_new(settle, number, json_integer((json_int_t)next_rise(rec)));
        json_decref(none);
        json_decref(rec);
        ol_ctx_clear(&c);
    }
    json_decref(numbers);
    rc = ol_wake_settle(db, ol_incident_type.name, settle, now);
    json_decref(settle);
    return rc;
}
