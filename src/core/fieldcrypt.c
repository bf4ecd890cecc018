/* core/fieldcrypt.c - the field-encryption key ring and AEAD sealing (see fieldcrypt.h). */
#include "core/fieldcrypt.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/err.h"
#include "core/log.h"
#include "core/mem.h"

#define KEY_LEN crypto_aead_xchacha20poly1305_ietf_KEYBYTES
#define NONCE_LEN crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define TAG_LEN crypto_aead_xchacha20poly1305_ietf_ABYTES
#define MAX_KEYS 256
#define MAX_SEALED 65536 /* longest plaintext we seal: sensitive fields are short */

typedef struct {
    char id[OL_FKEY_ID_MAX];
    unsigned char key[KEY_LEN];
} fkey_t;

typedef struct {
    fkey_t *keys; /* sodium_malloc'd: guarded, wiped on free */
    size_t n;
    char *path;
    dev_t dev;
    ino_t ino;
    struct timespec mtime;
    off_t size;
} ring_t;

static pthread_rwlock_t lock = PTHREAD_RWLOCK_INITIALIZER;
static ring_t ring;
static pthread_mutex_t check_lock = PTHREAD_MUTEX_INITIALIZER;
static struct timespec last_check;

static void ring_free(ring_t *r)
{
    if (r->keys)
        sodium_free(r->keys);
    free(r->path);
    memset(r, 0, sizeof *r);
}

static int valid_id(const char *s, size_t n)
{
    if (n == 0 || n >= OL_FKEY_ID_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '.'))
            return 0;
    }
    return 1;
}

/* Parses the file's text into r->keys. */
static int parse(ring_t *r, char *text, const char *path, char *err, size_t errlen)
{
    r->keys = sodium_malloc(sizeof(fkey_t) * MAX_KEYS);
    if (!r->keys) {
        snprintf(err, errlen, "cannot allocate protected memory for the keys");
        return -1;
    }
    int lineno = 0;
    for (char *save = NULL, *line = strtok_r(text, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        lineno++;
        line[strcspn(line, "\r")] = 0;
        if (!*line || *line == '#')
            continue;
        char *colon = strchr(line, ':');
        if (!colon || !valid_id(line, (size_t)(colon - line))) {
            snprintf(err, errlen, "%s line %d: expected 'id:base64key' (id of letters, digits, "
                                  "'-', '_' or '.')", path, lineno);
            return -1;
        }
        if (r->n == MAX_KEYS) {
            snprintf(err, errlen, "%s: more than %d keys", path, MAX_KEYS);
            return -1;
        }
        fkey_t *k = &r->keys[r->n];
        memcpy(k->id, line, (size_t)(colon - line));
        k->id[colon - line] = 0;
        size_t len = 0;
        if (sodium_base642bin(k->key, KEY_LEN, colon + 1, strlen(colon + 1), NULL, &len, NULL,
                              sodium_base64_VARIANT_ORIGINAL) != 0 || len != KEY_LEN) {
            snprintf(err, errlen, "%s line %d: key '%s' is not %d bytes of base64", path, lineno,
                     k->id, (int)KEY_LEN);
            return -1;
        }
        for (size_t i = 0; i < r->n; i++)
            if (!strcmp(r->keys[i].id, k->id)) {
                snprintf(err, errlen, "%s line %d: key id '%s' appears twice", path, lineno, k->id);
                return -1;
            }
        r->n++;
    }
    if (r->n == 0) {
        snprintf(err, errlen, "%s holds no key", path);
        return -1;
    }
    return 0;
}

/* Reads and checks the key file into r. */
static int load(ring_t *r, const char *path, char *err, size_t errlen)
{
    memset(r, 0, sizeof *r);
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        snprintf(err, errlen, "cannot open the key file %s: %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "the key file %s is not a regular file", path);
        close(fd);
        return -1;
    }
    if (st.st_mode & 077) {
        snprintf(err, errlen, "the key file %s may be read or written by other users (mode %04o): "
                              "run 'chmod 600 %s'", path, (unsigned)(st.st_mode & 07777), path);
        close(fd);
        return -1;
    }
    if (st.st_size > 64 * 1024) {
        snprintf(err, errlen, "the key file %s is larger than 64 KiB", path);
        close(fd);
        return -1;
    }
    char *text = sodium_malloc((size_t)st.st_size + 1);
    ssize_t got = text ? read(fd, text, (size_t)st.st_size) : -1;
    close(fd);
    if (got != st.st_size) {
        snprintf(err, errlen, "cannot read the key file %s", path);
        if (text)
            sodium_free(text);
        return -1;
    }
    text[got] = 0;
    int rc = parse(r, text, path, err, errlen);
    sodium_free(text); /* wipes the base64 keys */
    if (rc) {
        ring_free(r);
        return -1;
    }
    r->path = ol_xstrdup(path);
    r->dev = st.st_dev;
    r->ino = st.st_ino;
    r->mtime = st.st_mtim;
    r->size = st.st_size;
    return 0;
}

static int mkdirs(char *dir)
{
    for (char *p = dir + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = 0;
        int rc = mkdir(dir, 0700);
        *p = '/';
        if (rc && errno != EEXIST)
            return -1;
    }
    return mkdir(dir, 0700) && errno != EEXIST ? -1 : 0;
}

static void key_line(char *out, size_t outlen, const char *id)
{
    unsigned char key[KEY_LEN];
    char b64[sodium_base64_ENCODED_LEN(KEY_LEN, sodium_base64_VARIANT_ORIGINAL)];
    crypto_aead_xchacha20poly1305_ietf_keygen(key);
    sodium_bin2base64(b64, sizeof b64, key, KEY_LEN, sodium_base64_VARIANT_ORIGINAL);
    snprintf(out, outlen, "%s:%s\n", id, b64);
    sodium_memzero(key, sizeof key);
    sodium_memzero(b64, sizeof b64);
}

/* Writes text to path through a temporary file and rename, so that a reader sees the old
 * file or the new one, never half of it. */
static int write_atomic(const char *path, const char *text, char *err, size_t errlen)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    size_t len = strlen(text);
    if (fd < 0 || fchmod(fd, 0600) || write(fd, text, len) != (ssize_t)len || fsync(fd)) {
        snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
        if (fd >= 0)
            close(fd);
        unlink(tmp);
        return -1;
    }
    close(fd);
    if (rename(tmp, path)) {
        snprintf(err, errlen, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
        unlink(tmp);
        return -1;
    }
    char *dir = ol_xstrdup(path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = 0;
    int dfd = open(slash ? (*dir ? dir : "/") : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    free(dir);
    return 0;
}

static int create_file(const char *path, char *err, size_t errlen)
{
    char *dir = ol_xstrdup(path);
    char *slash = strrchr(dir, '/');
    if (slash && slash != dir) {
        *slash = 0;
        if (mkdirs(dir)) {
            snprintf(err, errlen, "cannot create the key directory %s: %s", dir, strerror(errno));
            free(dir);
            return -1;
        }
    }
    free(dir);
    char line[128];
    key_line(line, sizeof line, "k1");
    int rc = write_atomic(path, line, err, errlen);
    sodium_memzero(line, sizeof line);
    if (rc == 0)
        ol_log(OL_LOG_INFO, "created the field-encryption key file %s", path);
    return rc;
}

int ol_fkeys_open(const char *path, int create, char *err, size_t errlen)
{
    if (create && access(path, F_OK) != 0 && errno == ENOENT &&
        create_file(path, err, errlen))
        return -1;
    ring_t r;
    if (load(&r, path, err, errlen))
        return -1;
    pthread_rwlock_wrlock(&lock);
    ring_free(&ring);
    ring = r;
    pthread_rwlock_unlock(&lock);
    return 0;
}

void ol_fkeys_close(void)
{
    pthread_rwlock_wrlock(&lock);
    ring_free(&ring);
    pthread_rwlock_unlock(&lock);
}

int ol_fkeys_loaded(void)
{
    pthread_rwlock_rdlock(&lock);
    int n = ring.n > 0;
    pthread_rwlock_unlock(&lock);
    return n;
}

void ol_fkeys_refresh(int force)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    pthread_mutex_lock(&check_lock);
    if (!force && now.tv_sec == last_check.tv_sec) {
        pthread_mutex_unlock(&check_lock);
        return;
    }
    last_check = now;
    pthread_rwlock_rdlock(&lock);
    char *path = ring.path ? ol_xstrdup(ring.path) : NULL;
    struct stat st;
    int same = !path || (stat(path, &st) == 0 && st.st_dev == ring.dev && st.st_ino == ring.ino &&
                         st.st_size == ring.size && st.st_mtim.tv_sec == ring.mtime.tv_sec &&
                         st.st_mtim.tv_nsec == ring.mtime.tv_nsec);
    pthread_rwlock_unlock(&lock);
    if (!same) {
        char err[512];
        if (ol_fkeys_open(path, 0, err, sizeof err))
            ol_log(OL_LOG_WARN, "the key file changed but cannot be reloaded (keeping the keys "
                                "loaded before): %s", err);
        else
            ol_log(OL_LOG_INFO, "reloaded the field-encryption keys from %s", path);
    }
    pthread_mutex_unlock(&check_lock);
    free(path);
}

int ol_fkeys_active(char id[OL_FKEY_ID_MAX])
{
    pthread_rwlock_rdlock(&lock);
    int rc = ring.n ? 0 : -1;
    if (ring.n)
        memcpy(id, ring.keys[ring.n - 1].id, OL_FKEY_ID_MAX);
    pthread_rwlock_unlock(&lock);
    return rc;
}

static const fkey_t *find(const char *id)
{
    for (size_t i = 0; i < ring.n; i++)
        if (!strcmp(ring.keys[i].id, id))
            return &ring.keys[i];
    return NULL;
}

int ol_fkeys_has(const char *id)
{
    pthread_rwlock_rdlock(&lock);
    int has = find(id) != NULL;
    pthread_rwlock_unlock(&lock);
    return has;
}

int ol_fkeys_fingerprint(const char *id, char hex[OL_FKEY_PRINT_HEX])
{
    static const char text[] = "opsledger field key check v1";
    unsigned char h[16];
    pthread_rwlock_rdlock(&lock);
    const fkey_t *k = find(id);
    if (k)
        crypto_generichash(h, sizeof h, (const unsigned char *)text, sizeof text - 1, k->key,
                           KEY_LEN);
    pthread_rwlock_unlock(&lock);
    if (!k)
        return -1;
    sodium_bin2hex(hex, OL_FKEY_PRINT_HEX, h, sizeof h);
    return 0;
}

char **ol_fkeys_ids(size_t *n)
{
    pthread_rwlock_rdlock(&lock);
    char **ids = ol_xcalloc(ring.n + 1, sizeof(char *));
    for (size_t i = 0; i < ring.n; i++)
        ids[i] = ol_xstrdup(ring.keys[i].id);
    *n = ring.n;
    pthread_rwlock_unlock(&lock);
    return ids;
}

void ol_fkeys_free_ids(char **ids)
{
    for (size_t i = 0; ids && ids[i]; i++)
        free(ids[i]);
    free(ids);
}

int ol_fkeys_add(char id[OL_FKEY_ID_MAX], char *err, size_t errlen)
{
    pthread_rwlock_rdlock(&lock);
    if (!ring.path) {
        pthread_rwlock_unlock(&lock);
        snprintf(err, errlen, "no key file is loaded");
        return -1;
    }
    char *path = ol_xstrdup(ring.path);
    pthread_rwlock_unlock(&lock);

    /* Two rotations at once would each append "their" key and one would be lost: the
     * second waits for the first, rereads the file, then appends after it. */
    char lockpath[4096];
    snprintf(lockpath, sizeof lockpath, "%s.lock", path);
    int lfd = open(lockpath, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (lfd < 0 || flock(lfd, LOCK_EX)) {
        snprintf(err, errlen, "cannot lock %s: %s", lockpath, strerror(errno));
        if (lfd >= 0)
            close(lfd);
        free(path);
        return -1;
    }
    if (ol_fkeys_open(path, 0, err, errlen)) {
        close(lfd);
        free(path);
        return -1;
    }
    long top = 0;
    pthread_rwlock_rdlock(&lock);
    for (size_t i = 0; i < ring.n; i++)
        if (ring.keys[i].id[0] == 'k' && atol(ring.keys[i].id + 1) > top)
            top = atol(ring.keys[i].id + 1);
    pthread_rwlock_unlock(&lock);
    snprintf(id, OL_FKEY_ID_MAX, "k%ld", top + 1);

    /* The file as it is on disk (not the ring), plus the new line. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    struct stat st;
    char *text = NULL;
    int rc = -1;
    if (fd >= 0 && fstat(fd, &st) == 0 && st.st_size < 64 * 1024 &&
        (text = sodium_malloc((size_t)st.st_size + 160)) != NULL &&
        read(fd, text, (size_t)st.st_size) == st.st_size) {
        size_t len = (size_t)st.st_size;
        if (len && text[len - 1] != '\n')
            text[len++] = '\n';
        key_line(text + len, 150, id);
        rc = write_atomic(path, text, err, errlen);
    } else {
        snprintf(err, errlen, "cannot read the key file %s: %s", path, strerror(errno));
    }
    if (fd >= 0)
        close(fd);
    if (text)
        sodium_free(text);
    if (rc == 0)
        rc = ol_fkeys_open(path, 0, err, errlen);
    close(lfd); /* releases the lock */
    free(path);
    return rc;
}

/* ---- sealing --------------------------------------------------------------------------------- */

char *ol_fcrypt_seal(const char *plain, const void *ad, size_t adlen)
{
    size_t plen = strlen(plain);
    if (plen > MAX_SEALED)
        return NULL;
    size_t blen = NONCE_LEN + plen + TAG_LEN;
    unsigned char *bin = ol_xmalloc(blen);
    randombytes_buf(bin, NONCE_LEN);
    ol_fkeys_refresh(0);
    pthread_rwlock_rdlock(&lock);
    if (!ring.n) {
        pthread_rwlock_unlock(&lock);
        free(bin);
        return NULL;
    }
    const fkey_t *k = &ring.keys[ring.n - 1];
    unsigned long long clen;
    crypto_aead_xchacha20poly1305_ietf_encrypt(bin + NONCE_LEN, &clen,
                                               (const unsigned char *)plain, plen, ad, adlen,
                                               NULL, bin, k->key);
    size_t b64len = sodium_base64_ENCODED_LEN(blen, sodium_base64_VARIANT_ORIGINAL);
    size_t outlen = strlen(OL_FCRYPT_PREFIX) + strlen(k->id) + 1 + b64len;
    char *out = ol_xmalloc(outlen);
    int n = snprintf(out, outlen, OL_FCRYPT_PREFIX "%s:", k->id);
    pthread_rwlock_unlock(&lock);
    sodium_bin2base64(out + n, outlen - (size_t)n, bin, blen, sodium_base64_VARIANT_ORIGINAL);
    free(bin);
    return out;
}

int ol_fcrypt_key_of(const char *s, char id[OL_FKEY_ID_MAX])
{
    size_t pl = strlen(OL_FCRYPT_PREFIX);
    if (!s || strncmp(s, OL_FCRYPT_PREFIX, pl))
        return -1;
    const char *colon = strchr(s + pl, ':');
    if (!colon || !valid_id(s + pl, (size_t)(colon - s - pl)))
        return -1;
    memcpy(id, s + pl, (size_t)(colon - s - pl));
    id[colon - s - pl] = 0;
    return 0;
}

int ol_fcrypt_is_sealed(const char *s)
{
    char id[OL_FKEY_ID_MAX];
    return ol_fcrypt_key_of(s, id) == 0;
}

int ol_fcrypt_open(const char *s, const void *ad, size_t adlen, char **plain)
{
    char id[OL_FKEY_ID_MAX];
    *plain = NULL;
    if (ol_fcrypt_key_of(s, id))
        return -OL_EINVAL;
    const char *b64 = strchr(s + strlen(OL_FCRYPT_PREFIX), ':') + 1;
    size_t b64len = strlen(b64), blen = 0;
    unsigned char *bin = ol_xmalloc(b64len + 1);
    if (sodium_base642bin(bin, b64len + 1, b64, b64len, NULL, &blen, NULL,
                          sodium_base64_VARIANT_ORIGINAL) != 0 || blen < NONCE_LEN + TAG_LEN) {
        free(bin);
        return -OL_EINVAL;
    }
    if (!ol_fkeys_has(id))
        ol_fkeys_refresh(1); /* a key another process added since we loaded the file */
    char *out = ol_xmalloc(blen - NONCE_LEN - TAG_LEN + 1);
    unsigned long long olen = 0;
    int rc;
    pthread_rwlock_rdlock(&lock);
    const fkey_t *k = find(id);
    if (!k)
        rc = -OL_ENOTFOUND;
    else if (crypto_aead_xchacha20poly1305_ietf_decrypt((unsigned char *)out, &olen, NULL,
                                                        bin + NONCE_LEN, blen - NONCE_LEN, ad,
                                                        adlen, bin, k->key) != 0)
        rc = -OL_EDAMAGED;
    else
        rc = 0;
    pthread_rwlock_unlock(&lock);
    free(bin);
    if (rc) {
        free(out);
        return rc;
    }
    out[olen] = 0;
    *plain = out;
    return 0;
}
