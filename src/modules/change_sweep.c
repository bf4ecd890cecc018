/* modules/change_sweep.c - the timers of changes (REQUIREMENTS C6, C7, C8): the written approval
 * of an emergency change due change_emergency_written_hours after its implementation, the DR
 * update due a working day after it, the regulator notice due before a major change, and the
 * back-out point of a change being implemented. Each write of a change records in
 * record_wakeups the first of these still ahead (ol_change_next_wake); serve's sweep re-writes
 * the changes due by that index with no input, so the compute hook raises the overdue flags
 * (with history and audit) and the check hook tells change_notify_channel. */
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/json.h"
#include "modules/change.h"
#include "records/outbox.h"
#include "records/sla.h"
#include "records/store.h"

#define SWEEP_BATCH 200 /* changes re-checked per sweep at most (the rest: the next sweep) */

static time_t at_of(const json_t *rec, const char *key)
{
    time_t t;
    return ol_iso_parse(ol_json_str(rec, key), &t) ? 0 : t;
}

time_t ol_change_next_wake(const json_t *rec)
{
    static const struct {
        const char *due, *done, *flag;
    } timers[] = {{"written_approval_due", "written_approval_at", "written_approval_late"},
                  {"dr_update_due", "dr_updated_at", "dr_update_overdue"},
                  {"regulator_notice_due", "regulator_notified_at", "regulator_notice_overdue"},
                  {"backout_at", NULL, "backout_due"}};
    const char *state = ol_json_str(rec, "state");
    time_t next = 0;
    for (size_t k = 0; k < sizeof timers / sizeof timers[0]; k++) {
        time_t due = at_of(rec, timers[k].due);
        if (!due || json_is_true(json_object_get(rec, timers[k].flag)) ||
            (timers[k].done && at_of(rec, timers[k].done)))
            continue;
        if (!timers[k].done && (!state || strcmp(state, "implementing")))
            continue; /* the back-out point matters only while implementing */
        if (!next || due < next)
            next = due;
    }
    return next ? next + 1 : 0; /* just after: "passed" is strictly later than due */
}

void ol_change_prepare(void)
{
    ol_wake_register(ol_change_type.name, ol_change_next_wake);
}

int ol_change_sweep(ol_db_t *db)
{
    static const char *const system_roles[] = {"admin", NULL};
    time_t now = ol_time();
    json_t *numbers;
    int rc = ol_wake_due(db, ol_change_type.name, SWEEP_BATCH, now, &numbers);
    if (rc || !json_array_size(numbers)) {
        json_decref(numbers);
        return rc;
    }
    json_t *items = json_array();
    size_t i;
    json_t *num;
    ol_ctx_t c;
    json_array_foreach(numbers, i, num) {
        ol_ctx_init(&c, db, "system", system_roles);
        if (ol_rec_get(&c, &ol_change_type, json_string_value(num)) == 0)
            json_array_append(items, c.result);
        ol_ctx_clear(&c);
    }
    ol_rec_refresh(db, &ol_change_type, items);
    /* Those the refresh did not move (nothing changed, or a write failed): their real next
     * time, so the index does not hand them back at once. */
    json_t *settle = json_object();
    json_array_foreach(numbers, i, num) {
        ol_ctx_init(&c, db, "system", system_roles);
        int got = ol_rec_get(&c, &ol_change_type, json_string_value(num));
        json_object_set_new(settle, json_string_value(num),
                            json_integer(got == 0 ? (json_int_t)ol_change_next_wake(c.result)
                                                  : 0));
        ol_ctx_clear(&c);
    }
    rc = ol_wake_settle(db, ol_change_type.name, settle, now);
    json_decref(settle);
    json_decref(items);
    json_decref(numbers);
    return rc;
}
