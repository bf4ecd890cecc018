/* records/outbox.h - P7 notifications: the durable outbox, the channels it delivers through,
 * and the delivery worker.
 *
 * A module that must tell someone about a change enqueues a notice INSIDE the transaction that
 * makes the change (ol_outbox_enqueue on the write callback's connection): the notice exists
 * exactly when the change committed, and a crash between the commit and the delivery loses
 * nothing. The worker (a thread of `opsledger serve`) claims due notices, sends them through
 * their channel (webhook: DingTalk, WeCom, Feishu, Slack or generic JSON; e-mail over SMTP) and
 * retries with exponential backoff until outbox_max_attempts, after which the notice is dead
 * (audited, severity high) until an administrator retries it. Delivery is at least once: a
 * node that dies mid-send leaves a lease that expires, and the notice is sent again; each
 * request carries the notice id (header X-Opsledger-Notice, the e-mail's Message-ID) so that
 * receivers can drop duplicates. */
#ifndef OL_OUTBOX_H
#define OL_OUTBOX_H
#include <time.h>

#include "core/db.h"
#include "records/ctx.h"

/* One notice to send. Strings are borrowed for the call. */
typedef struct {
    const char *channel;    /* the channel's name (need not exist yet: sending then fails and
                             * is retried, so a channel created late still gets it); NULL or ""
                             * = none: only the notification rules' channels get it */
    const char *event;      /* what happened: "sla.warning", "channel.test"; [a-z0-9._-], <= 64 */
    const char *record;     /* the record it is about ("INC-000123"), or NULL */
    const char *subject_en, *body_en; /* required; subject one line of <= 300 bytes */
    const char *subject_zh, *body_zh; /* zh-CN texts; NULL = the English ones */
    const char *dedupe_key; /* unique per notice: printable ASCII without spaces, <= 200 bytes;
                             * enqueuing a key that is already there is a no-op */
} ol_notice_t;

/* Stores n in the outbox inside the caller's write transaction (conn of an ol_db_write
 * callback); c names the actor (kept as created_by). Returns 0 when stored or when its
 * dedupe_key was already there, -OL_EINVAL for a malformed notice (the caller's bug: nothing is
 * stored), or a database error (the caller's transaction should fail). */
int ol_outbox_enqueue(ol_conn_t *conn, const ol_ctx_t *c, const ol_notice_t *n);
/* The same; *id receives the notice's id (the existing one for a repeated key) and the return
 * value is 1 when it was new, 0 when it was already there, or negative. */
int ol_outbox_enqueue_id(ol_conn_t *conn, const ol_ctx_t *c, const ol_notice_t *n,
                         long long *id);

/* The same for one channel only, without the rules (n already checked); used for the copies. */
int ol_outbox_enqueue_one(ol_conn_t *conn, const ol_ctx_t *c, const ol_notice_t *n,
                          long long *id);

/* ---- who is notified of what, per team (records/notify_rules.c) ------------------------------ */

/* Enqueues a copy of n to the channel of every rule whose event pattern ("sla.breach", "sla.*",
 * "*") matches n's event and whose group is empty or the group of n's record; called by
 * ol_outbox_enqueue in the caller's transaction. 0 or a database error. */
int ol_notify_fanout(ol_conn_t *conn, const ol_ctx_t *c, const ol_notice_t *n);
/* c->result = {"items": [{"id","event","group","channel","created_at","created_by"}]}. */
int ol_rule_list(ol_ctx_t *c);
/* From {"event", "group" (optional), "channel"}: both must exist; audited. 409 for a repeat. */
int ol_rule_create(ol_ctx_t *c, const json_t *in);
int ol_rule_delete(ol_ctx_t *c, long long id);

/* ---- administration (records/outbox.c) ----------------------------------------------------- */

#define OL_OUTBOX_DEFAULT_LIMIT 50
#define OL_OUTBOX_MAX_LIMIT 200

/* c->result = {"items": [notices, newest first], "next_cursor": "..." | null}; state NULL =
 * any; before_id 0 = from the newest. */
int ol_outbox_list(ol_ctx_t *c, const char *state, const char *channel, int limit,
                   long long before_id);
/* Makes a dead notice pending again, due now, with its attempts reset. Audited
 * (outbox.retry). -OL_ENOTFOUND, or -OL_ECONFLICT when it is not dead. c->result = the notice. */
int ol_outbox_retry(ol_ctx_t *c, long long id);

/* ---- channels (records/notify_channel.c) --------------------------------------------------- */

/* Create from {name, kind, format, url, lang, secret, smtp_user, starttls, from, to}; audited.
 * Bad fields go to c->errors (-OL_EINVAL); a taken name is -OL_ECONFLICT. c->result = channel. */
int ol_channel_create(ol_ctx_t *c, const json_t *in);
/* PATCH: any field but name and kind, plus disabled; "secret": null removes it. Audited. */
int ol_channel_update(ol_ctx_t *c, const char *name, const json_t *changes);
/* c->result = the channel (never its secret: "has_secret" tells whether there is one). */
int ol_channel_get(ol_ctx_t *c, const char *name);
/* c->result = [channels] by name. */
int ol_channel_list(ol_ctx_t *c);
/* Disables the channel (its notices then fail and are retried until it is enabled). Audited. */
int ol_channel_disable(ol_ctx_t *c, const char *name);
/* Enqueues a test notice to the channel; c->result = {"notice_id": N}. Audited. */
int ol_channel_test(ol_ctx_t *c, const char *name);

/* A channel as the worker uses it, secret opened (wipe with ol_channel_clear). */
typedef struct {
    int found, disabled, starttls;
    long long id;
    char kind[16], format[16], lang[8];
    char *url, *smtp_user, *from, *to; /* malloc'd */
    char *secret;                      /* opened secret or NULL */
} ol_channel_t;
/* Loads name; ch->found = 0 when there is none. Returns 0, a database error, or -OL_EDAMAGED
 * when its secret does not open (the reason in err). */
int ol_channel_load(ol_db_t *db, const char *name, ol_channel_t *ch, char *err, size_t errlen);
void ol_channel_clear(ol_channel_t *ch);

/* The two places a channel secret crosses the database boundary (S7 sealing, bound to the
 * channel's row). seal returns malloc'd text or NULL (no key); open returns 0 or -OL_E*. */
char *ol_channel_secret_seal(long long channel_id, const char *plain);
int ol_channel_secret_open(long long channel_id, const char *sealed, char **plain);

/* ---- delivery (records/outbox_worker.c) ------------------------------------------------------ */

/* One round: claims up to outbox_batch due notices, sends them, records the outcome. Returns
 * the number of notices handled, or a negative database error. *stop (may be NULL) aborts a
 * send in progress and releases what is not sent yet. */
int ol_outbox_run_once(ol_db_t *db, volatile int *stop);
/* Starts the worker thread (serve); stop ends it, letting no send run past the call. */
int ol_outbox_worker_start(ol_db_t *db);
void ol_outbox_worker_stop(void);

#endif
