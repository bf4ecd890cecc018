/* records/audit.c - the append-only audit trail (REQUIREMENTS S8; hash chain comes with S8 in
 * full). The table refuses UPDATE and DELETE by trigger on both backends. */
#include "records/audit.h"

int ol_audit_write(ol_conn_t *conn, const ol_ctx_t *c, const char *action, const char *target,
                   const char *result, const char *detail)
{
    char now[32];
    ol_val_t p[] = {OL_VTEXT(ol_now_iso(now)), OL_VTEXT(c->user ? c->user : "-"),
                    OL_VTEXT(action), OL_VTEXT(target), OL_VTEXT(c->ip),
                    OL_VTEXT(result), OL_VTEXT(detail)};
    return ol_db_exec(conn,
                      "INSERT INTO audit_log(at, actor, action, target, ip, result, detail) "
                      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                      p, 7, NULL);
}

typedef struct {
    const ol_ctx_t *c;
    const char *action, *target, *result, *detail;
} audit_job_t;

static int audit_job(ol_conn_t *conn, void *arg)
{
    audit_job_t *j = arg;
    return ol_audit_write(conn, j->c, j->action, j->target, j->result, j->detail);
}

int ol_audit_write_now(ol_db_t *db, const ol_ctx_t *c, const char *action, const char *target,
                       const char *result, const char *detail)
{
    audit_job_t j = {c, action, target, result, detail};
    return ol_db_write(db, audit_job, &j);
}
