/* modules/registry.h - the record types of the product. */
#ifndef OL_REGISTRY_H
#define OL_REGISTRY_H
#include "records/schema.h"

/* Registers every module's record type once; aborts on a bad declaration (a build defect). */
void ol_schema_register_all(void);

#endif
