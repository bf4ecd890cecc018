/* modules/incident_sweep.c - I3: levels rise while an incident stays open, not only when someone
 * touches it. Called from serve's loop: each open high-impact incident is re-written with no
 * input, so the type's compute hook recomputes its level; the engine writes (with history and
 * audit) only when the level actually changed. */
#include <stdio.h>

#include "records/ctx.h"
#include "records/query.h"
#include "records/store.h"
#include "modules/registry.h"

extern const ol_record_type_t ol_incident_type;

static int sweep_state(ol_db_t *db, const char *state)
{
    static const char *const system_roles[] = {"admin", NULL};
    ol_ctx_t q;
    ol_ctx_init(&q, db, "system", system_roles);
    q.via = "system";
    ol_query_t query;
    ol_query_init(&query);
    int rc = ol_query_add(&q, &ol_incident_type, &query, "state", state);
    if (!rc)
        rc = ol_query_add(&q, &ol_incident_type, &query, "impact", "high");
    if (!rc)
        rc = ol_query_add(&q, &ol_incident_type, &query, "limit", "200");
    if (!rc)
        rc = ol_rec_list(&q, &ol_incident_type, &query);
    ol_query_clear(&query);
    json_t *due = json_array(); /* level 1 cannot rise */
    size_t i;
    json_t *rec;
    json_array_foreach(rc ? NULL : json_object_get(q.result, "items"), i, rec)
        if (json_integer_value(json_object_get(rec, "level")) > 1)
            json_array_append(due, rec);
    int raised = ol_rec_refresh(db, &ol_incident_type, due);
    json_decref(due);
    ol_ctx_clear(&q);
    return rc ? rc : raised;
}

int ol_incident_sweep(ol_db_t *db)
{
    static const char *const open_states[] = {"new", "assigned", "in_progress", "awaiting_user",
                                              NULL};
    int rc = 0;
    for (const char *const *s = open_states; *s && rc >= 0; s++)
        rc = sweep_state(db, *s);
    return rc < 0 ? rc : 0;
}
