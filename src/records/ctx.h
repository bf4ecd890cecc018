/* records/ctx.h - who is acting, and what an engine operation answers. */
#ifndef OL_CTX_H
#define OL_CTX_H
#include <jansson.h>

#include "core/db.h"

typedef struct ol_ctx {
    ol_db_t *db;
    const char *user;          /* username of the actor (borrowed) */
    const char *const *roles;  /* NULL-terminated (borrowed) */
    const char *ip;            /* client address, for the audit trail */
    const char *lang;          /* "en" or "zh-CN" */
    const char *via;           /* "api", "cli": where the change came from */
    /* Data scope (S5): NULL = every record; else the groups whose records the actor may see
     * (NULL-terminated); records it owns or created stay visible. */
    const char *const *scope;
    /* Results, owned by the context and released by ol_ctx_clear(). */
    int status;                /* HTTP status of a success (200, 201, 204) */
    json_t *result;
    json_t *errors;            /* per-field errors, [] when none */
    char detail[512];          /* human detail of a failure */
    const char *problem_type;  /* RFC 9457 type of a failure (static text), NULL = about:blank */
} ol_ctx_t;

void ol_ctx_init(ol_ctx_t *c, ol_db_t *db, const char *user, const char *const *roles);
void ol_ctx_clear(ol_ctx_t *c);
/* Sets detail and returns rc, for `return ol_ctx_fail(c, -OL_ENOTFOUND, "...")`. */
int ol_ctx_fail(ol_ctx_t *c, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Sets the detail for a database error (disk full, busy, or the backend's message) and returns
 * rc. Every engine operation reports database failures through this one function. */
int ol_ctx_db_fail(ol_ctx_t *c, ol_conn_t *conn, int rc);

/* A prepared write: run fn(conn, arg) in a durable transaction (ol_db_write or the asynchronous
 * form), then read the outcome from the context. free_arg releases arg afterwards. */
typedef struct {
    ol_db_fn fn;
    void *arg;
    void (*free_arg)(void *arg);
} ol_write_t;

/* 1 when a record with these shared columns is inside c's data scope. */
int ol_ctx_in_scope(const ol_ctx_t *c, const char *grp, const char *owner, const char *created_by);

/* Runs a prepared write synchronously and releases it. */
int ol_write_run(ol_db_t *db, ol_write_t *w);

/* The current UTC time as "2026-11-22T10:00:00.123Z" into buf (>= 32 bytes). */
const char *ol_now_iso(char *buf);

#endif
