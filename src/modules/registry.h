/* modules/registry.h - the record types of the product. */
#ifndef OL_REGISTRY_H
#define OL_REGISTRY_H
#include "core/db.h"
#include "records/ctx.h"
#include "records/schema.h"

/* Registers every module's record type once; aborts on a bad declaration (a build defect). */
void ol_schema_register_all(void);

/* Expires temporary privilege elevations whose time is up (S4); returns how many, or a
 * negative error. Called periodically by serve. */
int ol_elevation_sweep(ol_db_t *db);
/* I3: recomputes the level of open high-impact incidents, so it rises while they last. */
int ol_incident_sweep(ol_db_t *db);
/* Re-writes rec (a record of t, as listed) with no input, as "system", so the type's compute hook
 * brings its derived fields up to date; the engine writes only what changed. Returns 1 when the
 * write succeeded (a concurrent writer wins: the next sweep retries). */
int ol_sweep_recompute(ol_db_t *db, const ol_record_type_t *t, const json_t *rec);

/* Creates and starts the access reviews that are due (S4); returns how many, or a negative
 * error. Called periodically by serve. */
int ol_access_review_schedule(ol_db_t *db);
/* The rights listed by an access review, and a reviewer's decision on one (attest|revoke). */
int ol_review_items(ol_ctx_t *c, const char *number);
int ol_review_decide(ol_ctx_t *c, const char *number, long long item, const char *decision,
                     const char *note);

#endif
