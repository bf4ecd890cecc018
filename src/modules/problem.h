/* modules/problem.h - problem management and the known-error database (REQUIREMENTS Q1-Q4). */
#ifndef OL_PROBLEM_H
#define OL_PROBLEM_H
#include <jansson.h>
#include <stddef.h>

#include "core/db.h"
#include "records/ctx.h"
#include "records/schema.h"

/* Room for a kind from ol_problem_kind. */
#define OL_PROBLEM_KIND_MAX 1024

extern const ol_record_type_t ol_problem_type;

/* The kind of an incident or problem (Q1), "the same kind of incident": its alert name, else its
 * category and CI, else its category and service; written into buf. NULL when it has none. */
const char *ol_problem_kind(const json_t *rec, char *buf, size_t len);

/* Q1: the incident type's after-write hook. Links an incident to the open problem of its kind,
 * opens a problem when problem_auto_threshold unlinked incidents of one kind fall within
 * problem_auto_window_hours, and makes a problem major once problem_major_high_incidents
 * high-priority incidents lie behind it. The writes are the engine's own (audited, by "system"),
 * in the incident write's transaction. */
int ol_problem_after_incident(ol_conn_t *conn, ol_ctx_t *c, const json_t *incident,
                              const char *action);

/* Q4: the close transition's effect: refused while an incident of the problem's kind recurred
 * after its fix. */
int ol_problem_check_recurrence(ol_conn_t *conn, ol_ctx_t *c, const json_t *problem);

/* Q3: known errors (and published knowledge articles) matching text q or incident number
 * incident, ranked; c->result = {"items": [...]}. limit 1..50. Only what the caller may read. */
int ol_kedb_suggest(ol_ctx_t *c, const char *q, const char *incident, int limit);

/* Q3: the search terms of text: ASCII words of 3+ letters (lower case), Chinese and other
 * non-ASCII runs as overlapping 3-character pieces (a 2-character run whole), no duplicates; at
 * most max, each allocated into terms (caller frees). Returns how many. */
int ol_kedb_terms(const char *text, char **terms, int max);

/* Q2: re-writes open problems whose deadline passed, so "overdue" is set while they wait.
 * Returns 0 or a negative error. Called periodically by serve. */
int ol_problem_sweep(ol_db_t *db);

#endif
