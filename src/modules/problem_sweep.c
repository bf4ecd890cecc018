/* modules/problem_sweep.c - Q2: a problem becomes overdue while it waits, not only when someone
 * touches it. Called from serve's loop: each problem past a deadline it has not met and not yet
 * marked is re-written with no input, so the type's compute hook sets "overdue"; the engine
 * writes it with history and audit. */
#include <stdio.h>

#include "core/clock.h"
#include "modules/problem.h"
#include "modules/registry.h"
#include "records/query.h"
#include "records/store.h"

/* The states in which each kind of deadline is still to be met (see deadline() in problem.c). */
static const struct {
    const char *due_kind, *states;
} pending[] = {
    {"response", "new"},
    {"plan", "new,analysing"},
    {"analysis", "new,analysing"},
    {"fix", "new,analysing,fixing"},
    {"close", "new,analysing,fixing,verifying"},
};

static int sweep_kind(ol_db_t *db, const char *due_kind, const char *states, const char *now)
{
    static const char *const system_roles[] = {"admin", NULL};
    ol_ctx_t q;
    ol_ctx_init(&q, db, "system", system_roles);
    q.via = "system";
    ol_query_t query;
    ol_query_init(&query);
    const char *args[][2] = {{"due_kind", due_kind}, {"state[in]", states}, {"overdue", "false"},
                             {"due_at[lt]", now},    {"limit", "200"}};
    int rc = 0;
    for (size_t k = 0; k < sizeof args / sizeof args[0] && !rc; k++)
        rc = ol_query_add(&q, &ol_problem_type, &query, args[k][0], args[k][1]);
    if (!rc)
        rc = ol_rec_list(&q, &ol_problem_type, &query);
    ol_query_clear(&query);
    if (!rc)
        ol_rec_refresh(db, &ol_problem_type, json_object_get(q.result, "items"));
    ol_ctx_clear(&q);
    return rc;
}

int ol_problem_sweep(ol_db_t *db)
{
    char now[32];
    ol_iso_at(ol_time(), now);
    int rc = 0;
    for (size_t k = 0; k < sizeof pending / sizeof pending[0] && !rc; k++)
        rc = sweep_kind(db, pending[k].due_kind, pending[k].states, now);
    return rc;
}
