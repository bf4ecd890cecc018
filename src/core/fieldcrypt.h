/* core/fieldcrypt.h - field encryption at rest (REQUIREMENTS S7): a key ring read from a key file
 * outside the database, and XChaCha20-Poly1305 (libsodium AEAD) sealing of short values.
 *
 * The key file holds one key per line, "id:base64(32 bytes)"; the last line is the active key
 * that new values are sealed with; earlier keys still open older values. A sealed value is text:
 *   enc:v1:<key id>:<base64(24-byte nonce || ciphertext || 16-byte tag)>
 * The associated data (the caller's: record number and field name) is authenticated, so a
 * sealed value copied to another record or field does not open.
 *
 * The ring is process-wide and thread-safe. A running server picks up a key that
 * `opsledger keys rotate` appended (ol_fkeys_refresh compares the file's identity and mtime). */
#ifndef OL_FIELDCRYPT_H
#define OL_FIELDCRYPT_H
#include <stddef.h>

#define OL_FKEY_ID_MAX 32     /* longest key id + 1 */
#define OL_FCRYPT_PREFIX "enc:v1:"

/* Loads the key file at path into the ring (replacing any loaded before). When create is set
 * and the file does not exist, creates it (and its directory, mode 0700) with one fresh key,
 * mode 0600. Refuses a file that group or others may read or write, a malformed line, a key
 * of the wrong length or a repeated id. Returns 0, or -1 with the reason in err. */
int ol_fkeys_open(const char *path, int create, char *err, size_t errlen);
/* Forgets the loaded keys (wiping them). */
void ol_fkeys_close(void);
/* 1 when a key file is loaded. */
int ol_fkeys_loaded(void);
/* Reloads the key file when it changed on disk; checks at most once per second unless force. */
void ol_fkeys_refresh(int force);
/* Copies the active key id into id; returns -1 when no key is loaded. */
int ol_fkeys_active(char id[OL_FKEY_ID_MAX]);
/* 1 when the ring holds a key with this id. */
int ol_fkeys_has(const char *id);
/* The ids of the ring in file order, as a NULL-terminated array of n entries; caller frees
 * with ol_fkeys_free_ids. */
char **ol_fkeys_ids(size_t *n);
void ol_fkeys_free_ids(char **ids);
/* A fingerprint of key id (BLAKE2b keyed by the key over a fixed text, 32 hex digits) into
 * hex: tells whether a key file holds the same key as the one that sealed the values, without
 * revealing it. Returns -1 when the ring has no such key. */
#define OL_FKEY_PRINT_HEX 33
int ol_fkeys_fingerprint(const char *id, char hex[OL_FKEY_PRINT_HEX]);
/* Appends a fresh random key (id "k<N>", one above the highest numbered id) to the loaded
 * file, fsyncs it and reloads: the new key becomes the active one. The new id goes to id. */
int ol_fkeys_add(char id[OL_FKEY_ID_MAX], char *err, size_t errlen);

/* Seals plain under the active key with associated data ad. Returns the sealed text (caller
 * frees), or NULL when no key is loaded. */
char *ol_fcrypt_seal(const char *plain, const void *ad, size_t adlen);
/* Opens a sealed value. Returns 0 with the plaintext in *plain (caller frees, wipe first),
 * -OL_EINVAL when s is not a sealed value, -OL_ENOTFOUND when its key is not in the ring, or
 * -OL_EDAMAGED when it does not authenticate (altered, or moved to another record/field). */
int ol_fcrypt_open(const char *s, const void *ad, size_t adlen, char **plain);
/* 1 when s has the form of a sealed value. */
int ol_fcrypt_is_sealed(const char *s);
/* The key id of a sealed value into id; -1 when s is not one. */
int ol_fcrypt_key_of(const char *s, char id[OL_FKEY_ID_MAX]);

#endif
