/* auth/mfa_seal.c - TOTP secrets sealed with crypto_secretbox under a server key file.
 *
 * THREAD SAFETY: the key is loaded once per key-file path and cached under key_lock. */
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

/* Reads the 64 hex digits of the master key from path, making the file when it is missing and
 * make is set (sealing). Opening never makes one: secrets sealed under a lost key stay closed. */
static int read_or_make(const char *path, int make, unsigned char *master, char *err,
                        size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT && !make) {
        snprintf(err, errlen, "the MFA key file %s is missing: restore it from a backup, or reset "
                              "the MFA of enrolled users (opsledger user mfa-reset NAME)", path);
        return -OL_EUNAVAILABLE;
    }
    if (fd < 0 && errno == ENOENT) {
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd >= 0) {
            char hex[2 * crypto_kdf_KEYBYTES + 2];
            crypto_kdf_keygen(master);
            sodium_bin2hex(hex, sizeof hex, master, crypto_kdf_KEYBYTES);
            strcat(hex, "\n");
            ssize_t w = write(fd, hex, strlen(hex));
            int ok = w == (ssize_t)strlen(hex) && fsync(fd) == 0;
            close(fd);
            sodium_memzero(hex, sizeof hex);
            if (!ok) {
                unlink(path);
                snprintf(err, errlen, "cannot write the MFA key file %s", path);
                return -OL_EUNAVAILABLE;
            }
            return 0;
        }
        if (errno == EEXIST) /* another process made it first */
            fd = open(path, O_RDONLY | O_CLOEXEC);
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
static int load_key(ol_db_t *db, int make, unsigned char *key, char *err, size_t errlen)
{
    char path[PATH_MAX];
    int rc = key_file_path(db, path, sizeof path, err, errlen);
    if (rc)
        return rc;
    pthread_mutex_lock(&key_lock);
    if (strcmp(path, key_path) != 0) {
        unsigned char master[crypto_kdf_KEYBYTES];
        rc = read_or_make(path, make, master, err, errlen);
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

int ol_mfa_seal(ol_db_t *db, const unsigned char *plain, size_t n, char *out, size_t outlen,
                char *err, size_t errlen)
{
    unsigned char key[crypto_secretbox_KEYBYTES];
    unsigned char box[crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + 64];
    size_t blen = crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + n;
    if (n > 64 || outlen < strlen(PREFIX) +
                               sodium_base64_ENCODED_LEN(blen, sodium_base64_VARIANT_ORIGINAL)) {
        snprintf(err, errlen, "the secret does not fit");
        return -OL_EINVAL;
    }
    int rc = load_key(db, 1, key, err, errlen);
    if (rc)
        return rc;
    randombytes_buf(box, crypto_secretbox_NONCEBYTES);
    crypto_secretbox_easy(box + crypto_secretbox_NONCEBYTES, plain, n, box, key);
    sodium_memzero(key, sizeof key);
    strcpy(out, PREFIX);
    sodium_bin2base64(out + strlen(PREFIX), outlen - strlen(PREFIX), box, blen,
                      sodium_base64_VARIANT_ORIGINAL);
    return 0;
}

int ol_mfa_open(ol_db_t *db, const char *sealed, unsigned char *plain, size_t cap, size_t *n,
                char *err, size_t errlen)
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
    int rc = load_key(db, 0, key, err, errlen);
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
