/* records/sensitive.h - S7 sensitive fields in the record engine: sealing values before they
 * are stored (records.data and record_history), opening them when read, and masking them
 * on every output unless revealed.
 *
 * A value is sealed with core/fieldcrypt under the active key, with "<number>\x1f<field>" as
 * associated data: a sealed value moved to another record or field does not open. Inside the
 * engine a loaded record holds plaintext; nothing leaves it without ol_sens_mask_record. */
#ifndef OL_SENSITIVE_H
#define OL_SENSITIVE_H
#include <jansson.h>

#include "core/db.h"
#include "records/schema.h"

/* 1 when t declares a sensitive field. */
int ol_sens_type(const ol_record_type_t *t);
/* 1 when f is sensitive. */
int ol_sens_field(const ol_field_t *f);

/* The associated data of a value of field in record number into ad; returns its length. */
size_t ol_sens_ad(char *ad, size_t len, const char *number, const char *field);
/* Seals plain for field of record number. Caller frees; NULL when no key is loaded. */
char *ol_sens_seal(const char *number, const char *field, const char *plain);
/* Opens a stored value; returns as ol_fcrypt_open (-OL_EINVAL when it is not sealed). */
int ol_sens_open(const char *number, const char *field, const char *stored, char **plain);

/* The stored form of a value of f: a new reference to its sealed string (a value already
 * sealed, or not a string, is kept as it is). NULL when a key is needed and none is loaded. */
json_t *ol_sens_stored(const ol_field_t *f, const char *number, const json_t *v);
/* Seals, in place, every sensitive field of data (a record's own fields, about to be stored)
 * and records the key used in field_keys (so a server never starts without it). Returns 0,
 * or -OL_EUNAVAILABLE when no key is loaded, or the database's error. */
int ol_sens_seal_data(ol_conn_t *conn, const ol_record_type_t *t, const char *number,
                      json_t *data);
/* Notes, in the caller's transaction, that a value was sealed under the key of sealed. */
int ol_sens_note_key(ol_conn_t *conn, const char *sealed);

/* Opens, in place, every sealed sensitive field of rec (a record read from the database).
 * A value that does not open (its key is missing, or it was altered) stays sealed. */
void ol_sens_open_record(const ol_record_type_t *t, json_t *rec);
/* Replaces, in place, each sensitive field of rec (holding plaintext) by its mask, except the
 * fields named in keep (NULL-terminated, or NULL). A value still sealed shows as "****". */
void ol_sens_mask_record(const ol_record_type_t *t, json_t *rec, const char *const *keep);
/* The masked form of a stored (sealed) value of f, for history and audit. New reference. */
json_t *ol_sens_mask_stored(const ol_field_t *f, const char *number, const json_t *stored);
/* The masked form of a plaintext value of f. New reference. */
json_t *ol_sens_mask_value(const ol_field_t *f, const json_t *plain);

#endif
