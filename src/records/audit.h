/* records/audit.h - the append-only audit trail (who, when, what, from where, result). */
#ifndef OL_AUDIT_H
#define OL_AUDIT_H
#include "core/db.h"
#include "records/ctx.h"

/* Appends one entry inside the caller's transaction. detail is JSON text or NULL. */
int ol_audit_write(ol_conn_t *conn, const ol_ctx_t *c, const char *action, const char *target,
                   const char *result, const char *detail);
/* Writes one entry in its own transaction (failed logins, refused access). */
int ol_audit_write_now(ol_db_t *db, const ol_ctx_t *c, const char *action, const char *target,
                       const char *result, const char *detail);

#endif
