/* auth/mfa_seal.h - TOTP secrets at rest.
 *
 * Sealed with S7's field encryption (records/sealed.h: column user_mfa.secret_enc, bound to the
 * user's id; the key file key_file, rotated by `opsledger keys rotate`). Secrets sealed before
 * ("s1:", crypto_secretbox under a subkey of the key in mfa_key_file, by default mfa.key beside
 * the SQLite file) still open, and `keys rotate` re-seals them under the field keys. */
#ifndef OL_MFA_SEAL_H
#define OL_MFA_SEAL_H
#include <stddef.h>

#include "core/db.h"

/* Seals n bytes (at most 64) of user_id's secret into out as text ("enc:v1:..."). Returns 0,
 * -OL_EINVAL when out is too small, or -OL_EUNAVAILABLE when the key file cannot be read or
 * made (the reason in err). */
int ol_mfa_seal(ol_db_t *db, long long user_id, const unsigned char *plain, size_t n, char *out,
                size_t outlen, char *err, size_t errlen);
/* Opens user_id's sealed secret (either form) into plain (cap bytes); *n receives the length.
 * Returns 0, -OL_EDAMAGED when the text was altered, sealed under another key or for another
 * user, or -OL_EUNAVAILABLE when a key is missing. */
int ol_mfa_open(ol_db_t *db, long long user_id, const char *sealed, unsigned char *plain,
                size_t cap, size_t *n, char *err, size_t errlen);
/* Opens a secret in the old "s1:" form into hex text (caller frees, wipe first), for
 * `keys rotate` to re-seal it. Returns as ol_mfa_open. */
int ol_mfa_legacy_text(ol_db_t *db, const char *sealed, char **hex);

#endif
