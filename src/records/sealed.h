/* records/sealed.h - S7 encryption at rest of values kept in a column of their own, outside
 * records.data: a user's phone number, a TOTP secret. Sealed under the active field-encryption
 * key (core/fieldcrypt.h: "enc:v1:<key id>:<base64>", the key id inside the value), with
 * "<table>.<column>" - and the row's key when the column binds rows - as associated data, so a
 * value copied to another column (or row) does not open.
 *
 * Every such column is declared in ol_sealed_cols (sealed.c): `opsledger keys rotate`
 * re-encrypts what they hold, `keys status` counts it and the server's start-up check finds
 * the key ids they use. Sealing for an undeclared column is refused. To seal a new column,
 * add a line there: {"users", "id", "phone", 1, NULL, NULL}. */
#ifndef OL_SEALED_H
#define OL_SEALED_H
#include <stddef.h>

#include "core/db.h"

typedef struct {
    const char *table, *key, *column; /* SQL identifiers (from this declaration only); key is an
                                       * INTEGER primary key */
    int bind_row;                     /* 1: the row's key is in the associated data */
    /* Values sealed some older way, which `keys rotate` re-seals: their prefix and how to open
     * them (0 or -OL_E*; *plain to free), or NULL. */
    const char *legacy_prefix;
    int (*legacy_open)(ol_db_t *db, const char *sealed, char **plain);
} ol_sealed_col_t;

/* The declared columns, ended by an entry with table NULL. */
extern const ol_sealed_col_t ol_sealed_cols[];

/* Seals plain for table.column (row: the row's key, ignored unless the column binds rows).
 * Returns the sealed text (caller frees), or NULL when the column is not declared or no key
 * is loaded. */
char *ol_seal_text(const char *table, const char *column, long long row, const char *plain);
/* Opens a value that ol_seal_text made. Returns 0 with *plain (caller frees; wipe it first),
 * -OL_EINVAL (not sealed, or the column is not declared), -OL_ENOTFOUND (its key is not in the
 * key file) or -OL_EDAMAGED (altered, or moved from another column or row). */
int ol_open_text(const char *table, const char *column, long long row, const char *sealed,
                 char **plain);
/* Wipes and frees a plaintext from ol_open_text (NULL is fine). */
void ol_sealed_free(char *plain);

/* The declaration of table.column, or NULL. */
const ol_sealed_col_t *ol_sealed_col(const char *table, const char *column);
/* Builds the associated data of a value of col in row into ad; returns its length. */
size_t ol_sealed_ad(const ol_sealed_col_t *col, long long row, char *ad, size_t len);

#endif
