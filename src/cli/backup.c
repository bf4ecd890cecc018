/* cli/backup.c - `opsledger backup` and `restore`: online, checksummed SQLite copies. */
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/mem.h"

#define PAGES_PER_STEP 256
#define BUSY_TIMEOUT_MS 5000

/* ---- small helpers --------------------------------------------------------------------------- */

/* A formatted string; caller frees with free(). */
__attribute__((format(printf, 1, 2))) static char *xfmt(const char *fmt, ...)
{
    ol_buf_t b;
    va_list ap;
    ol_buf_init(&b);
    va_start(ap, fmt);
    ol_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    return ol_buf_steal(&b);
}

/* The directory part of path ("." when there is none). Caller frees. */
static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return ol_xstrdup(".");
    if (slash == path)
        return ol_xstrdup("/");
    return ol_xstrndup(path, (size_t)(slash - path));
}

static const char *base_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

static int fsync_fd_path(const char *path, int flags)
{
    int fd = open(path, flags);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    int saved = errno;
    close(fd);
    errno = saved;
    return rc;
}

/* Makes a rename or a new file in the directory of path durable. */
static int fsync_dir_of(const char *path)
{
    char *dir = dir_of(path);
    int rc = fsync_fd_path(dir, O_RDONLY | O_DIRECTORY);
    if (rc)
        fprintf(stderr, "opsledger: cannot sync the directory %s: %s\n", dir, strerror(errno));
    free(dir);
    return rc;
}

static int remove_if_present(const char *path)
{
    if (unlink(path) && errno != ENOENT) {
        fprintf(stderr, "opsledger: cannot remove %s: %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

/* SHA-256 of a file as 64 lowercase hex digits plus NUL. */
static int sha256_file(const char *path, char hex[65])
{
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        fprintf(stderr, "opsledger: cannot read %s: %s\n", path, strerror(errno));
        return -1;
    }
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    unsigned char *chunk = ol_xmalloc(1 << 16);
    ssize_t n;
    while ((n = read(fd, chunk, 1 << 16)) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            break;
        crypto_hash_sha256_update(&st, chunk, (unsigned long long)n);
    }
    int saved = errno;
    free(chunk);
    close(fd);
    if (n < 0) {
        fprintf(stderr, "opsledger: cannot read %s: %s\n", path, strerror(saved));
        return -1;
    }
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_final(&st, digest);
    sodium_bin2hex(hex, 65, digest, sizeof digest);
    return 0;
}

static int write_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Writes FILE.sha256 in sha256sum format, durably (temporary file, fsync, rename). */
static int write_checksum(const char *file, const char *hex)
{
    char *sum = xfmt("%s.sha256", file), *tmp = xfmt("%s.sha256.tmp", file);
    char *line = xfmt("%s  %s\n", hex, base_of(file));
    int rc = -1;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || write_all(fd, line, strlen(line)) || fsync(fd)) {
        fprintf(stderr, "opsledger: cannot write %s: %s\n", tmp, strerror(errno));
        if (fd >= 0)
            close(fd);
        unlink(tmp);
        goto out;
    }
    close(fd);
    if (rename(tmp, sum)) {
        fprintf(stderr, "opsledger: cannot rename %s to %s: %s\n", tmp, sum, strerror(errno));
        unlink(tmp);
        goto out;
    }
    rc = fsync_dir_of(sum);
out:
    free(sum);
    free(tmp);
    free(line);
    return rc;
}

/* The SQLite path of the configured database. Returns 0, or the exit status after saying why
 * this store cannot be handled here. */
static int sqlite_target(const ol_config_t *cfg, const char *verb, const char **path)
{
    const char *url = ol_config_db_url(cfg);
    if (!strncmp(url, "postgresql://", 13) || !strncmp(url, "postgres://", 11)) {
        fprintf(stderr,
                "opsledger: '%s' handles the SQLite store only; this server uses PostgreSQL.\n"
                "  Use PostgreSQL's own tools instead: pg_dump -Fc (logical backup, restore with "
                "pg_restore)\n  or pg_basebackup with WAL archiving (physical, point-in-time). "
                "See docs/admin-guide.md, section PostgreSQL.\n", verb);
        return 2;
    }
    if (strncmp(url, "sqlite:", 7) || !url[7]) {
        fprintf(stderr, "opsledger: db: use sqlite:PATH or postgresql://...\n");
        return 2;
    }
    *path = url + 7;
    return 0;
}

/* Parses "VERB FILE [--force]". Returns 0 or 2 after printing the usage. */
static int parse_args(int argc, char **argv, const char *usage, const char **file, int *force)
{
    *file = NULL;
    *force = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--force"))
            *force = 1;
        else if (!strncmp(argv[i], "--", 2) || *file)
            goto bad;
        else
            *file = argv[i];
    }
    if (*file && **file)
        return 0;
bad:
    fprintf(stderr, "usage: %s\n", usage);
    return 2;
}

static int same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    return !stat(a, &sa) && !stat(b, &sb) && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* ---- backup ---------------------------------------------------------------------------------- */

static void progress(int remaining, int total, int show)
{
    if (!show || total <= 0)
        return;
    int pct = (int)(100LL * (total - remaining) / total);
    fprintf(stderr, "\rbackup: %3d%%", pct);
    fflush(stderr);
}

/* Copies the database at src_path into the new file dst_path with the online backup API. */
static int copy_online(const char *src_path, const char *dst_path, int *pages)
{
    sqlite3 *src = NULL, *dst = NULL;
    sqlite3_backup *bk = NULL;
    int show = isatty(STDERR_FILENO), rc, in_txn = 0, ret = -1;

    rc = sqlite3_open_v2(src_path, &src, SQLITE_OPEN_READONLY, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_busy_timeout(src, BUSY_TIMEOUT_MS);
        /* One read transaction for the whole copy: in WAL mode it pins a snapshot, so the
         * running server keeps writing and the backup never restarts. */
        rc = sqlite3_exec(src, "BEGIN; SELECT count(*) FROM sqlite_master;", NULL, NULL, NULL);
        in_txn = rc == SQLITE_OK;
    }
    if (rc != SQLITE_OK) {
        fprintf(stderr, "opsledger: cannot read the database %s: %s\n", src_path,
                src ? sqlite3_errmsg(src) : sqlite3_errstr(rc));
        goto out;
    }
    rc = sqlite3_open_v2(dst_path, &dst, SQLITE_OPEN_READWRITE, NULL);
    if (rc != SQLITE_OK || !(bk = sqlite3_backup_init(dst, "main", src, "main"))) {
        fprintf(stderr, "opsledger: cannot start the backup into %s: %s\n", dst_path,
                dst ? sqlite3_errmsg(dst) : sqlite3_errstr(rc));
        goto out;
    }
    do {
        rc = sqlite3_backup_step(bk, PAGES_PER_STEP);
        progress(sqlite3_backup_remaining(bk), sqlite3_backup_pagecount(bk), show);
        if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
            sqlite3_sleep(50);
    } while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
    if (show)
        fputc('\n', stderr);
    *pages = sqlite3_backup_pagecount(bk);
    sqlite3_backup_finish(bk);
    if (rc != SQLITE_DONE) {
        fprintf(stderr, "opsledger: the backup failed: %s\n", sqlite3_errstr(rc));
        goto out;
    }
    /* A self-contained file: no -wal beside it, readable without write access. */
    char *mode = NULL;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(dst, "PRAGMA journal_mode=DELETE", -1, &st, NULL) == SQLITE_OK) {
        if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
            mode = ol_xstrdup((const char *)sqlite3_column_text(st, 0));
        sqlite3_finalize(st);
    }
    if (!mode || strcmp(mode, "delete")) {
        fprintf(stderr, "opsledger: cannot finish the backup file: %s\n", sqlite3_errmsg(dst));
        free(mode);
        goto out;
    }
    free(mode);
    ret = 0;
out:
    if (in_txn)
        sqlite3_exec(src, "COMMIT", NULL, NULL, NULL);
    if (dst && sqlite3_close(dst) != SQLITE_OK) {
        fprintf(stderr, "opsledger: cannot close %s: %s\n", dst_path, sqlite3_errmsg(dst));
        ret = -1;
    }
    sqlite3_close(src);
    return ret;
}

int ol_cli_backup(ol_config_t *cfg, int argc, char **argv)
{
    const char *file, *db_path;
    int force, pages = 0;
    int rc = parse_args(argc, argv, "opsledger backup FILE [--data DIR | --db sqlite:PATH] "
                                    "[--force]", &file, &force);
    if (rc || (rc = sqlite_target(cfg, "backup", &db_path)))
        return rc;
    struct stat st;
    if (stat(db_path, &st)) {
        fprintf(stderr, "opsledger: there is no database at %s: %s\n", db_path, strerror(errno));
        return 1;
    }
    if (!access(file, F_OK)) {
        if (same_file(file, db_path)) {
            fprintf(stderr, "opsledger: %s is the database itself; choose another file\n", file);
            return 2;
        }
        if (!force) {
            fprintf(stderr, "opsledger: %s exists; use --force to overwrite it\n", file);
            return 1;
        }
    }
    char *tmp = xfmt("%s.tmp", file), *sum = xfmt("%s.sha256", file);
    char hex[65];
    rc = 1;
    /* The copy holds password hashes and token digests: owner-only from the first byte. */
    unlink(tmp);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0) {
        fprintf(stderr, "opsledger: cannot create %s: %s\n", tmp, strerror(errno));
        goto out;
    }
    close(fd);
    if (copy_online(db_path, tmp, &pages))
        goto fail;
    if (fsync_fd_path(tmp, O_RDONLY)) {
        fprintf(stderr, "opsledger: cannot sync %s: %s\n", tmp, strerror(errno));
        goto fail;
    }
    /* An old checksum must never sit beside a new file. */
    if (remove_if_present(sum))
        goto fail;
    if (rename(tmp, file)) {
        fprintf(stderr, "opsledger: cannot rename %s to %s: %s\n", tmp, file, strerror(errno));
        goto fail;
    }
    if (fsync_dir_of(file) || sha256_file(file, hex) || write_checksum(file, hex))
        goto out;
    if (stat(file, &st) == 0)
        printf("backup written: %s (%d pages, %lld bytes)\nchecksum in %s: sha256 %s\n", file,
               pages, (long long)st.st_size, sum, hex);
    rc = 0;
    goto out;
fail:
    unlink(tmp);
out:
    free(tmp);
    free(sum);
    return rc;
}

/* ---- restore --------------------------------------------------------------------------------- */

/* Compares FILE with the digest in FILE.sha256. */
static int verify_checksum(const char *file)
{
    char *sum = xfmt("%s.sha256", file);
    char line[200] = "", hex[65];
    int rc = -1;
    FILE *f = fopen(sum, "r");
    if (!f) {
        fprintf(stderr, "opsledger: cannot read the checksum %s: %s\n"
                        "  refusing to restore a backup that cannot be verified\n", sum,
                strerror(errno));
        goto out;
    }
    if (!fgets(line, sizeof line, f))
        line[0] = 0;
    fclose(f);
    size_t n = strspn(line, "0123456789abcdefABCDEF");
    if (n != 64 || (line[64] != ' ' && line[64] != '\t')) {
        fprintf(stderr, "opsledger: %s is not a sha256sum line; refusing to restore\n", sum);
        goto out;
    }
    if (sha256_file(file, hex))
        goto out;
    if (strncasecmp(hex, line, 64)) {
        fprintf(stderr, "opsledger: checksum mismatch: %s does not match %s; the backup is "
                        "damaged or was altered. Refusing to restore.\n", file, sum);
        goto out;
    }
    rc = 0;
out:
    free(sum);
    return rc;
}

/* Opens path and checks it: integrity, an ol_meta table and a schema this binary can serve.
 * Prints the problem and returns -1, or 0 with the schema version in *version. */
static int check_store(const char *path, int flags, const char *what, int *version)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_open_v2(path, &db, flags, NULL), ret = -1, rows = 0, ok = 0;
    if (rc == SQLITE_OK) {
        sqlite3_busy_timeout(db, BUSY_TIMEOUT_MS);
        rc = sqlite3_prepare_v2(db, "PRAGMA integrity_check(10)", -1, &st, NULL);
    }
    if (rc != SQLITE_OK) {
        fprintf(stderr, "opsledger: %s %s is not a readable SQLite database: %s\n", what, path,
                db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
        goto out;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *msg = (const char *)sqlite3_column_text(st, 0);
        if (rows++ == 0) {
            if (msg && !strcmp(msg, "ok")) {
                ok = 1;
                continue;
            }
            fprintf(stderr, "opsledger: %s %s fails the integrity check:\n", what, path);
        }
        ok = 0;
        fprintf(stderr, "  %s\n", msg ? msg : "(null)");
    }
    sqlite3_finalize(st);
    st = NULL;
    if (rc != SQLITE_DONE) {
        fprintf(stderr, "opsledger: %s %s cannot be checked: %s\n", what, path,
                sqlite3_errmsg(db));
        goto out;
    }
    if (!ok || rows != 1)
        goto out;
    rc = sqlite3_prepare_v2(db, "SELECT value FROM ol_meta WHERE key = 'schema_version'", -1, &st,
                            NULL);
    if (rc != SQLITE_OK || sqlite3_step(st) != SQLITE_ROW) {
        fprintf(stderr, "opsledger: %s %s is not an opsledger database (no schema version in "
                        "ol_meta)\n", what, path);
        goto out;
    }
    *version = sqlite3_column_int(st, 0);
    int latest = ol_db_latest_version(OL_DB_SQLITE);
    if (*version < 1 || *version > latest) {
        fprintf(stderr, "opsledger: %s %s has schema version %d; this opsledger supports up to %d"
                        "%s\n", what, path, *version, latest,
                *version > latest ? ": upgrade opsledger first" : "");
        goto out;
    }
    ret = 0;
out:
    sqlite3_finalize(st);
    sqlite3_close(db);
    return ret;
}

/* Takes an exclusive lock on the existing database at path, which fails while a server (or any
 * other connection) has it open. In WAL mode BEGIN EXCLUSIVE alone does not exclude readers, so
 * the connection is first put in exclusive locking mode. On success *out holds the lock, with
 * the WAL checkpointed into the main file. Returns 0, 1 when in use, -1 when not a database. */
static int lock_target(const char *path, sqlite3 **out)
{
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_busy_timeout(db, 0);
        rc = sqlite3_exec(db, "PRAGMA locking_mode=EXCLUSIVE; BEGIN EXCLUSIVE; "
                              "SELECT count(*) FROM sqlite_master;", NULL, NULL, NULL);
    }
    if (rc == SQLITE_OK) {
        sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
        rc = sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
    }
    if (rc == SQLITE_OK) {
        *out = db;
        return 0;
    }
    int busy = (rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED;
    if (!busy)
        fprintf(stderr, "opsledger: warning: the current database %s cannot be opened: %s\n",
                path, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    sqlite3_close(db);
    return busy ? 1 : -1;
}

/* Copies src into the new file dst (owner-only, or the mode and owner of like when it exists)
 * and syncs it. */
static int copy_file(const char *src, const char *dst, const struct stat *like)
{
    int in = open(src, O_RDONLY), out = -1, ret = -1;
    char *buf = ol_xmalloc(1 << 16);
    if (in < 0) {
        fprintf(stderr, "opsledger: cannot read %s: %s\n", src, strerror(errno));
        goto done;
    }
    unlink(dst);
    out = open(dst, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (out < 0) {
        fprintf(stderr, "opsledger: cannot create %s: %s\n", dst, strerror(errno));
        goto done;
    }
    ssize_t n;
    while ((n = read(in, buf, 1 << 16)) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 || write_all(out, buf, (size_t)n)) {
            fprintf(stderr, "opsledger: cannot copy %s to %s: %s\n", src, dst, strerror(errno));
            goto done;
        }
    }
    if (like) {
        /* The server may run as another user: keep the replaced file's owner and mode. */
        if (fchown(out, like->st_uid, like->st_gid) && errno != EPERM)
            fprintf(stderr, "opsledger: warning: cannot set the owner of %s: %s\n", dst,
                    strerror(errno));
        if (fchmod(out, like->st_mode & 07777))
            fprintf(stderr, "opsledger: warning: cannot set the mode of %s: %s\n", dst,
                    strerror(errno));
    }
    if (fsync(out)) {
        fprintf(stderr, "opsledger: cannot sync %s: %s\n", dst, strerror(errno));
        goto done;
    }
    ret = 0;
done:
    if (out >= 0 && close(out) && ret == 0) {
        fprintf(stderr, "opsledger: cannot write %s: %s\n", dst, strerror(errno));
        ret = -1;
    }
    if (ret && out >= 0)
        unlink(dst);
    if (in >= 0)
        close(in);
    free(buf);
    return ret;
}

/* Keeps the current database as TARGET.before-restore-<UTC time>: a hard link, so TARGET stays
 * in place until the atomic rename replaces it. *kept receives the name (caller frees). */
static int keep_old(const char *target, char **kept)
{
    char stamp[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
    *kept = xfmt("%s.before-restore-%s", target, stamp);
    /* A second restore within the same second must not fail or overwrite the first copy. */
    for (int i = 2; i < 1000 && access(*kept, F_OK) == 0; i++) {
        free(*kept);
        *kept = xfmt("%s.before-restore-%s-%d", target, stamp, i);
    }
    if (link(target, *kept) == 0)
        return 0;
    if (errno != EEXIST && rename(target, *kept) == 0)
        return 0;
    fprintf(stderr, "opsledger: cannot keep the current database as %s: %s\n", *kept,
            strerror(errno));
    free(*kept);
    *kept = NULL;
    return -1;
}

int ol_cli_restore(ol_config_t *cfg, int argc, char **argv)
{
    const char *file, *target;
    int force, version, rc;
    rc = parse_args(argc, argv, "opsledger restore FILE [--data DIR | --db sqlite:PATH] "
                                "[--force]", &file, &force);
    if (rc || (rc = sqlite_target(cfg, "restore", &target)))
        return rc;
    if (verify_checksum(file) || check_store(file, SQLITE_OPEN_READONLY, "the backup", &version))
        return 1;
    fprintf(stderr, "opsledger: %s: checksum, integrity and schema (version %d) verified\n", file,
            version);

    char *tmp = xfmt("%s.tmp", target), *wal = xfmt("%s-wal", target);
    char *shm = xfmt("%s-shm", target), *kept = NULL;
    sqlite3 *lock = NULL;
    struct stat old;
    int exists = stat(target, &old) == 0;
    rc = 1;
    if (exists && same_file(file, target)) {
        fprintf(stderr, "opsledger: %s is the database itself\n", file);
        goto out;
    }
    if (exists && lock_target(target, &lock) == 1) {
        fprintf(stderr, "opsledger: the database %s is in use (is the server running?): stop "
                        "the server first\n", target);
        goto out;
    }
    if (exists && !force) {
        fprintf(stderr, "opsledger: %s exists; use --force to replace it (the current database "
                        "is then kept as %s.before-restore-<time>)\n", target, target);
        goto out;
    }
    if (!exists) {
        char *dir = dir_of(target);
        int made = mkdir(dir, 0700) == 0 || errno == EEXIST;
        if (!made)
            fprintf(stderr, "opsledger: cannot create %s: %s\n", dir, strerror(errno));
        free(dir);
        if (!made)
            goto out;
    }
    if (copy_file(file, tmp, exists ? &old : NULL))
        goto out;
    /* Release the lock only now: a server started meanwhile found the database busy. */
    sqlite3_close(lock);
    lock = NULL;
    if (exists && keep_old(target, &kept))
        goto fail;
    if (remove_if_present(wal) || remove_if_present(shm))
        goto fail;
    if (rename(tmp, target)) {
        fprintf(stderr, "opsledger: cannot rename %s to %s: %s\n", tmp, target, strerror(errno));
        goto fail;
    }
    if (fsync_dir_of(target))
        goto out;
    if (check_store(target, SQLITE_OPEN_READWRITE, "the restored database", &version))
        goto out;
    if (kept)
        printf("previous database kept as %s\n", kept);
    printf("restored and verified: %s (schema version %d)\n", target, version);
    if (version < ol_db_latest_version(OL_DB_SQLITE))
        printf("the backup predates this opsledger: run 'opsledger migrate' before 'opsledger "
               "serve'\n");
    rc = 0;
    goto out;
fail:
    unlink(tmp);
    if (kept && access(target, F_OK))
        fprintf(stderr, "opsledger: the previous database is at %s\n", kept);
out:
    sqlite3_close(lock);
    free(tmp);
    free(wal);
    free(shm);
    free(kept);
    return rc;
}
