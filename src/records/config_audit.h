/* records/config_audit.h - configuration changes in the audit trail (S8), recorded at start. */
#ifndef OL_CONFIG_AUDIT_H
#define OL_CONFIG_AUDIT_H
#include "core/config.h"
#include "core/db.h"

/* Writes one audit entry per setting that differs from the last start's, and the new snapshot.
 * Returns the number of changes, or a negative database error. */
int ol_config_audit(ol_db_t *db, const ol_config_t *cfg);

#endif
