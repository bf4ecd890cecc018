/* records/ctx.c - the operation context and the clock. */
#include "records/ctx.h"

#include "core/clock.h"
#include "core/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

void ol_ctx_init(ol_ctx_t *c, ol_db_t *db, const char *user, const char *const *roles)
{
    *c = (ol_ctx_t){.db = db, .user = user, .roles = roles, .lang = "en", .via = "api",
                    .ip = "", .status = 200};
    c->errors = json_array();
}

void ol_ctx_clear(ol_ctx_t *c)
{
    json_decref(c->result);
    json_decref(c->errors);
    c->result = c->errors = NULL;
}

int ol_ctx_fail(ol_ctx_t *c, int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->detail, sizeof c->detail, fmt, ap);
    va_end(ap);
    return rc;
}

int ol_ctx_db_fail(ol_ctx_t *c, ol_conn_t *conn, int rc)
{
    if (rc == -OL_ENOSPACE)
        return ol_ctx_fail(c, rc, "the disk holding the database is full; nothing was written");
    if (rc == -OL_EUNAVAILABLE)
        return ol_ctx_fail(c, rc, "the database is busy; retry");
    return ol_ctx_fail(c, rc, "database error: %s", ol_conn_errmsg(conn));
}

int ol_ctx_in_scope(const ol_ctx_t *c, const char *grp, const char *owner, const char *created_by)
{
    if (!c->scope)
        return 1;
    if (c->user && ((owner && !strcmp(owner, c->user)) || (created_by && !strcmp(created_by, c->user))))
        return 1;
    for (const char *const *g = c->scope; grp && *g; g++)
        if (!strcmp(*g, grp))
            return 1;
    return 0;
}

int ol_write_run(ol_db_t *db, ol_write_t *w)
{
    int rc = ol_db_write(db, w->fn, w->arg);
    if (w->free_arg)
        w->free_arg(w->arg);
    return rc;
}

const char *ol_now_iso(char *buf)
{
    struct timespec ts;
    struct tm tm;
    ol_clock(&ts);
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(buf, 32, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, 32 - n, ".%03dZ", (int)(ts.tv_nsec / 1000000) % 1000);
    return buf;
}
