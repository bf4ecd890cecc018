/* auth/mfa_seal.c - TOTP secrets sealed under the field-encryption keys (S7, records/sealed.h),
 * and secrets sealed before that ("s1:", crypto_secretbox under mfa_key_file) still opened.
 *
 * THREAD SAFETY: the legacy key is loaded once per key-file path and cached under key_lock; the
 * field-encryption key ring has its own lock. */
#include "auth/mfa_seal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/config.h"
#include "core/err.h"
#include "core/fieldcrypt.h"
#include "records/keys.h"
#include "records/sealed.h"

#define PREFIX "s1:"

static pthread_mutex_t key_lock = PTHREAD_MUTEX_INITIALIZER;
static char key_path[PATH_MAX];                      /* guarded by key_lock */
static unsigned char box_key[crypto_secretbox_KEYBYTES]; /* guarded by key_lock */

static int key_file_path(ol_db_t *db, char *out, size_t len, char *err, size_t errlen)
{
    const char *cfg = ol_config()->mfa_key_file;
    const char *dbp = ol_db_path(db);
    int n;
    if (cfg && *cfg) {
        n = snprintf(out, len, "%s", cfg);
    } else if (dbp) {
        const char *slash = strrchr(dbp, '/');
        n = slash ? snprintf(out, len, "%.*s/mfa.key", (int)(slash - dbp), dbp)
                  : snprintf(out, len, "mfa.key");
    } else {
        snprintf(err, errlen, "set mfa_key_file: PostgreSQL nodes need one key file they share "
                              "to seal TOTP secrets");
        return -OL_EUNAVAILABLE;
    }
    if (n < 0 || (size_t)n >= len) {
        snprintf(err, errlen, "the MFA key file path is too long");
        return -OL_EUNAVAILABLE;
    }
    return 0;
}

/* Reads the 64 hex digits of the master key from path. Nothing makes this file any more: new
 * secrets are sealed under the field-encryption keys. */
static int read_key(const char *path, unsigned char *master, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT) {
        snprintf(err, errlen, "the MFA key file %s is missing: restore it from a backup, or reset "
                              "the MFA of enrolled users (opsledger user mfa-reset NAME)", path);
        return -OL_EUNAVAILABLE;
    }
    if (fd < 0) {
        snprintf(err, errlen, "cannot open the MFA key file %s: %s", path, strerror(errno));
        return -OL_EUNAVAILABLE;
    }
    struct stat st;
    char hex[2 * crypto_kdf_KEYBYTES + 8];
    ssize_t got = fstat(fd, &st) == 0 ? read(fd, hex, sizeof hex - 1) : -1;
    close(fd);
    if (got >= 0 && (st.st_mode & 077)) {
        snprintf(err, errlen, "the MFA key file %s may be read by others: chmod 600 it", path);
        return -OL_EUNAVAILABLE;
    }
    size_t bin = 0;
    if (got < 2 * crypto_kdf_KEYBYTES ||
        sodium_hex2bin(master, crypto_kdf_KEYBYTES, hex, (size_t)got, "\n", &bin, NULL) != 0 ||
        bin != crypto_kdf_KEYBYTES) {
        snprintf(err, errlen, "the MFA key file %s does not hold a key (64 hex digits)", path);
        sodium_memzero(hex, sizeof hex);
        return -OL_EUNAVAILABLE;
    }
    sodium_memzero(hex, sizeof hex);
    return 0;
}

/* Copies the box key for db's key file into key. */
static int load_key(ol_db_t *db, unsigned char *key, char *err, size_t errlen)
{
    char path[PATH_MAX];
    int rc = key_file_path(db, path, sizeof path, err, errlen);
    if (rc)
        return rc;
    pthread_mutex_lock(&key_lock);
    if (strcmp(path, key_path) != 0) {
        unsigned char master[crypto_kdf_KEYBYTES];
        rc = read_key(path, master, err, errlen);
        if (rc == 0) {
            crypto_kdf_derive_from_key(box_key, sizeof box_key, 1, "ol_mfa__", master);
            snprintf(key_path, sizeof key_path, "%s", path);
        }
        sodium_memzero(master, sizeof master);
    }
    if (rc == 0)
        memcpy(key, box_key, sizeof box_key);
    pthread_mutex_unlock(&key_lock);
    return rc;
}

/* The field-encryption key ring: loaded by serve and init; loaded here for other callers (the
 * CLI, tests), made beside an SQLite file when sealing finds none. */
static int ring(ol_db_t *db, int make, char *err, size_t errlen)
{
    char path[PATH_MAX];
    if (ol_fkeys_loaded())
        return 0;
    if (ol_keys_path(db, ol_config()->key_file, path, sizeof path, err, errlen) ||
        ol_fkeys_open(path, make && ol_db_path(db), err, errlen))
        return -OL_EUNAVAILABLE;
    return 0;
}

int ol_mfa_seal(ol_db_t *db, long long user_id, const unsigned char *plain, size_t n, char *out,
                size_t outlen, char *err, size_t errlen)
{
    char hex[2 * 64 + 1];
    if (n > 64) {
        snprintf(err, errlen, "the secret does not fit");
        return -OL_EINVAL;
    }
    int rc = ring(db, 1, err, errlen);
    if (rc)
        return rc;
    sodium_bin2hex(hex, sizeof hex, plain, n);
    char *sealed = ol_seal_text("user_mfa", "secret_enc", user_id, hex);
    sodium_memzero(hex, sizeof hex);
    if (!sealed) {
        snprintf(err, errlen, "no field-encryption key is loaded");
        return -OL_EUNAVAILABLE;
    }
    if (strlen(sealed) >= outlen) {
        free(sealed);
        snprintf(err, errlen, "the secret does not fit");
        return -OL_EINVAL;
    }
    strcpy(out, sealed);
    free(sealed);
    return 0;
}

/* A secret sealed before S7's keys: crypto_secretbox under the key in mfa_key_file. */
static int legacy_open(ol_db_t *db, const char *sealed, unsigned char *plain, size_t cap,
                       size_t *n, char *err, size_t errlen)
{
    unsigned char key[crypto_secretbox_KEYBYTES];
    unsigned char box[crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + 64];
    size_t blen = 0;
    if (strncmp(sealed, PREFIX, strlen(PREFIX)) != 0 ||
        sodium_base642bin(box, sizeof box, sealed + strlen(PREFIX), strlen(sealed + strlen(PREFIX)),
                          NULL, &blen, NULL, sodium_base64_VARIANT_ORIGINAL) != 0 ||
        blen < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES ||
        blen - crypto_secretbox_NONCEBYTES - crypto_secretbox_MACBYTES > cap) {
        snprintf(err, errlen, "a sealed MFA secret is damaged");
        return -OL_EDAMAGED;
    }
    int rc = load_key(db, key, err, errlen);
    if (rc)
        return rc;
    size_t clen = blen - crypto_secretbox_NONCEBYTES;
    rc = crypto_secretbox_open_easy(plain, box + crypto_secretbox_NONCEBYTES, clen, box, key);
    sodium_memzero(key, sizeof key);
    if (rc != 0) {
        snprintf(err, errlen, "a sealed MFA secret does not open with the key in the MFA key file "
                              "(altered, or sealed under another key)");
        return -OL_EDAMAGED;
    }
    *n = clen - crypto_secretbox_MACBYTES;
    return 0;
}

int ol_mfa_open(ol_db_t *db, long long user_id, const char *sealed, unsigned char *plain,
                size_t cap, size_t *n, char *err, size_t errlen)
{
    if (!strncmp(sealed, PREFIX, strlen(PREFIX)))
        return legacy_open(db, sealed, plain, cap, n, err, errlen);
    if (!ol_fcrypt_is_sealed(sealed)) {
        snprintf(err, errlen, "a sealed MFA secret is damaged");
        return -OL_EDAMAGED;
    }
    int rc = ring(db, 0, err, errlen);
    if (rc)
        return rc;
    char *hex = NULL;
    rc = ol_open_text("user_mfa", "secret_enc", user_id, sealed, &hex);
    if (rc == -OL_ENOTFOUND) {
        snprintf(err, errlen, "a sealed MFA secret needs a key the key file lacks: restore the key "
                              "file, or reset the user's MFA (opsledger user mfa-reset NAME)");
        return -OL_EUNAVAILABLE;
    }
    if (rc == 0 && sodium_hex2bin(plain, cap, hex, strlen(hex), NULL, n, NULL) != 0)
        rc = -OL_EDAMAGED;
    ol_sealed_free(hex);
    if (rc)
        snprintf(err, errlen, "a sealed MFA secret does not open with the field-encryption keys "
                              "(altered, or moved from another user)");
    return rc ? -OL_EDAMAGED : 0;
}

int ol_mfa_legacy_text(ol_db_t *db, const char *sealed, char **hex)
{
    unsigned char plain[64];
    size_t n = 0;
    char err[256];
    *hex = NULL;
    int rc = legacy_open(db, sealed, plain, sizeof plain, &n, err, sizeof err);
    if (rc)
        return rc;
    *hex = malloc(2 * n + 1);
    if (!*hex)
        abort();
    sodium_bin2hex(*hex, 2 * n + 1, plain, n);
    sodium_memzero(plain, sizeof plain);
    return 0;
}
