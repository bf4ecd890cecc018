/* auth/mfa_seal.h - TOTP secrets at rest.
 *
 * Until S7's field encryption (keys with ids, rotation) is merged, secrets are sealed with
 * libsodium crypto_secretbox under a subkey (crypto_kdf, context "ol_mfa__") of a 32-byte server
 * key in a file outside the database: config mfa_key_file, by default mfa.key beside the SQLite
 * file, created with mode 0600 on first use. PostgreSQL nodes must name a shared key file.
 * Callers only use these two functions, so they can be redirected to S7's seal/open. */
#ifndef OL_MFA_SEAL_H
#define OL_MFA_SEAL_H
#include <stddef.h>

#include "core/db.h"

/* Seals n bytes into out as text ("s1:" + base64 of nonce and ciphertext). Returns 0,
 * -OL_EINVAL when out is too small, or -OL_EUNAVAILABLE when the key file cannot be read or
 * made (the reason in err). */
int ol_mfa_seal(ol_db_t *db, const unsigned char *plain, size_t n, char *out, size_t outlen,
                char *err, size_t errlen);
/* Opens what ol_mfa_seal made into plain (cap bytes); *n receives the length. Returns 0,
 * -OL_EDAMAGED when the text was altered or sealed under another key, or -OL_EUNAVAILABLE. */
int ol_mfa_open(ol_db_t *db, const char *sealed, unsigned char *plain, size_t cap, size_t *n,
                char *err, size_t errlen);

#endif
