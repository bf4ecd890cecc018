/* records/store.h - create, read, update and transition records of any declared type, with
 * comments, links, history and audit written in the same transaction (REQUIREMENTS P1-P3).
 *
 * Writes come in two steps so the HTTP layer can wait for the commit without holding a thread:
 * ol_rec_*_prepare() validates what needs no database and fills an ol_write_t; running it (with
 * ol_write_run() or ol_db_write_async()) does the rest in one transaction. On success
 * ctx->result holds the answer; on failure the rc, ctx->detail and ctx->errors say why, and
 * nothing was written. */
#ifndef OL_STORE_H
#define OL_STORE_H
#include "records/ctx.h"
#include "records/schema.h"

/* input: the client's JSON object (borrowed). */
int ol_rec_create_prepare(ol_ctx_t *c, const ol_record_type_t *t, const json_t *input,
                          ol_write_t *w);
/* if_match: the version the client read (required, >= 1). */
int ol_rec_update_prepare(ol_ctx_t *c, const ol_record_type_t *t, const char *number,
                          long long if_match, const json_t *input, ol_write_t *w);
/* input: {"reason": "...", "fields": {...}} (both optional); if_match 0 = not checked. */
int ol_rec_transition_prepare(ol_ctx_t *c, const ol_record_type_t *t, const char *number,
                              const char *name, long long if_match, const json_t *input,
                              ol_write_t *w);
/* input: {"body": "...", "kind": "comment" | "work_note"} */
int ol_rec_comment_prepare(ol_ctx_t *c, const ol_record_type_t *t, const char *number,
                           const json_t *input, ol_write_t *w);
/* input: {"type": "<link type>", "target": "KB-000002"} */
int ol_rec_link_prepare(ol_ctx_t *c, const ol_record_type_t *t, const char *number,
                        const json_t *input, ol_write_t *w);
int ol_rec_unlink_prepare(ol_ctx_t *c, const ol_record_type_t *t, const char *number,
                          long long link_id, ol_write_t *w);

/* P7: the record's events for the notification rules (records/record_events.c), raised in the
 * write's transaction: created (changed NULL), entered a state (tr, the transition taken) and
 * given an owner (changed holds "owner"). rec: the record as written. */
int ol_rec_events(struct ol_conn *conn, const ol_ctx_t *c, const ol_record_type_t *t,
                  const json_t *rec, const ol_transition_t *tr, const json_t *changed);

/* Reads; results in ctx->result. */
int ol_rec_get(ol_ctx_t *c, const ol_record_type_t *t, const char *number);
int ol_rec_history(ol_ctx_t *c, const ol_record_type_t *t, const char *number);
int ol_rec_comments(ol_ctx_t *c, const ol_record_type_t *t, const char *number);
int ol_rec_links(ol_ctx_t *c, const ol_record_type_t *t, const char *number);

/* Resolves a number of type t to its id inside a callback: -OL_ENOTFOUND (set in c) when
 * there is none or it is outside c's data scope. */
int ol_rec_find_id(ol_ctx_t *c, ol_conn_t *conn, const ol_record_type_t *t, const char *number,
                   long long *id);

/* For the engine's own rules (a type's check hook) inside a write: the record of type t with
 * this number, read on conn regardless of the actor's data scope and permissions, sensitive
 * fields masked, into *rec (caller frees). Returns 0, -OL_ENOTFOUND (no detail set) or a
 * database error with the detail in c. */
int ol_rec_find(ol_conn_t *conn, ol_ctx_t *c, const ol_record_type_t *t, const char *number,
                json_t **rec);

/* Re-writes each record of items (list output: number and version) with no input, as the
 * system, so that the type's compute and check hooks bring fields that change with time up to
 * date; only records that changed are written (history, audit). Returns how many were
 * (records/refresh.c). */
int ol_rec_refresh(ol_db_t *db, const ol_record_type_t *t, const json_t *items);

/* Permission check for an action on a type ("read", "create", "update", "comment"). */
int ol_rec_allowed(const ol_ctx_t *c, const ol_record_type_t *t, const char *action);

/* Link types any two records may be joined by (P3); NULL-terminated pairs {name, inverse}. */
typedef struct {
    const char *name, *inverse, *label_en, *label_zh;
} ol_link_type_t;
extern const ol_link_type_t ol_link_types[];

/* Builds the API form of a record from a row of the columns in OL_REC_COLUMNS. */
#define OL_REC_COLUMNS                                                                     \
    "id, type, number, title, state, priority, owner, grp, version, created_at, updated_at, " \
    "state_changed_at, created_by, updated_by, data"
json_t *ol_rec_from_row(const ol_record_type_t *t, const ol_rows_t *rows, int row);
/* The same with sensitive fields in clear (S7): for the engine's own use, never for output
 * without ol_sens_mask_record. */
json_t *ol_rec_from_row_plain(const ol_record_type_t *t, const ol_rows_t *rows, int row);

/* S7: prepares a read of a record with the sensitive fields named in fields (comma-separated)
 * in clear. Refused (-OL_EFORBIDDEN) unless the caller holds "reveal" on the type; every
 * attempt, allowed or refused, is audited as "record.reveal" (high severity) with detail
 * {"fields": [...]}: a refused one before this returns, an allowed one in the write's
 * transaction, before anything is shown. */
int ol_rec_reveal_prepare(ol_ctx_t *c, const ol_record_type_t *t, const char *number,
                          const char *fields, ol_write_t *w);

#endif
