/* records/keys.h - S7 field-encryption keys of a database: where the key file is, the check a
 * server makes before it starts, and what `opsledger keys status|rotate` do.
 *
 * Sealed values live in records.data (sensitive fields), record_history (their old and new
 * values) and the columns declared in records/sealed.h. Rotation appends a key to the key file
 * (it becomes the active key) and re-encrypts every sealed value under another key, a batch of
 * rows per transaction, each row replaced only if it did not change meanwhile: a server can keep
 * running (it reloads the key file when it changes), and an interrupted run is finished by
 * running again with resume. */
#ifndef OL_KEYS_H
#define OL_KEYS_H
#include <jansson.h>
#include <stddef.h>

#include "core/db.h"
#include "records/ctx.h"

/* The key file of db: key_file when set; else, on SQLite, keys/field.keys in the directory of
 * the database file. On PostgreSQL key_file is required (every node must use the same keys).
 * Returns 0, or -1 with the reason in err. */
int ol_keys_path(const ol_db_t *db, const char *key_file, char *out, size_t len, char *err,
                 size_t errlen);
/* Loads the key file (creating it, mode 0600 with one key, when create is set and it is
 * missing) and checks that it holds every key id the database's values use. Returns 0, or -1
 * with the reason in err (e.g. to refuse to start). */
int ol_keys_setup(ol_db_t *db, const char *key_file, int create, char *err, size_t errlen);

/* Counts the sealed values per key id into c->result:
 *   {"active": "k2", "file": [ids], "keys": [{"id", "in_file", "values"}],
 *    "legacy": {"s1:": n}, "unreadable": n}
 * where legacy counts values sealed the old way of a column (sealed.h), by prefix, and
 * unreadable values whose key is missing or which do not authenticate. */
int ol_keys_status(ol_ctx_t *c);

typedef struct {
    long long rows;      /* rows re-encrypted */
    long long values;    /* values re-encrypted */
    long long unreadable;/* values left as they were: their key is missing or they were altered */
} ol_keys_stats_t;
/* Called after each batch: where ("records", "record_history" or "table.column"), and the
 * totals so far. */
typedef void (*ol_keys_progress_fn)(const char *where, const ol_keys_stats_t *st, void *arg);
/* Re-encrypts every sealed value not under the active key, batch rows per transaction, each
 * batch audited ("keys.reencrypt"). Then notes which key ids no value uses any more (retired:
 * the start-up check no longer asks for them). Returns 0 or an error (detail on c). */
int ol_keys_reencrypt(ol_ctx_t *c, int batch, ol_keys_progress_fn fn, void *arg,
                      ol_keys_stats_t *st);

#endif
