/* modules/registry.h - the record types of the product. */
#ifndef OL_REGISTRY_H
#define OL_REGISTRY_H
#include "core/db.h"
#include "records/schema.h"

/* Registers every module's record type once; aborts on a bad declaration (a build defect). */
void ol_schema_register_all(void);

/* Expires temporary privilege elevations whose time is up (S4); returns how many, or a
 * negative error. Called periodically by serve. */
int ol_elevation_sweep(ol_db_t *db);

#endif
