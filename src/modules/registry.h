/* modules/registry.h - the record types of the product. */
#ifndef OL_REGISTRY_H
#define OL_REGISTRY_H
#include "core/db.h"
#include "records/ctx.h"
#include "records/schema.h"

/* Registers every module's record type once; aborts on a bad declaration (a build defect). */
void ol_schema_register_all(void);

/* The product's process areas (service desk, change and release, ...), in menu order: how the
 * UI groups the record types. Each type belongs to one. */
typedef struct {
    const char *name, *label_en, *label_zh;
    const ol_record_type_t *const *types; /* NULL-terminated */
} ol_area_t;
extern const ol_area_t ol_areas[]; /* ends with a NULL name */
/* The name of t's area, or NULL for a type registered without one. */
const char *ol_area_of(const ol_record_type_t *t);

/* Expires temporary privilege elevations whose time is up (S4); returns how many, or a
 * negative error. Called periodically by serve. */
int ol_elevation_sweep(ol_db_t *db);
/* I3: recomputes the level of open high-impact incidents, so it rises while they last. */
int ol_incident_sweep(ol_db_t *db);

/* Creates and starts the access reviews that are due (S4); returns how many, or a negative
 * error. Called periodically by serve. */
int ol_access_review_schedule(ol_db_t *db);
/* The rights listed by an access review, and a reviewer's decision on one (attest|revoke). */
int ol_review_items(ol_ctx_t *c, const char *number);
int ol_review_decide(ol_ctx_t *c, const char *number, long long item, const char *decision,
                     const char *note);

#endif
