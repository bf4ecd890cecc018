/* core/db_sqlite_wal.c - before SQLite opens a database that no process has open, check that
 * its write-ahead log still holds every transaction its index says was committed.
 *
 * SQLite cannot notice a log that lost committed frames: its recovery stops at the first frame
 * that is missing or fails its checksum and goes on without the rest, so a truncated or damaged
 * -wal file silently loses acknowledged writes (and, when the lost frames were already copied
 * into the database file, mixes old and new pages). The -shm file outlives a crashed process
 * (it is a shared file mapping) and its header records how many frames were committed and the
 * running checksum of the last one: that is what the log must still hold. Formats:
 * https://www.sqlite.org/walformat.html and https://www.sqlite.org/fileformat2.html. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/db.h"
#include "core/err.h"
#include "core/mem.h"

#define WAL_HDR 32          /* bytes of the -wal file header */
#define FRAME_HDR 24        /* bytes of a frame header, before the page */
#define SHM_HDR 48          /* one copy of the index header; the -shm file holds two */
#define SHM_NBACKFILL 96    /* frames already copied into the database file */
#define SHM_DMS_LOCK 128    /* byte every process with the database open holds a lock on */
#define SHM_VERSION 3007000u
#define WAL_MAGIC 0x377f0682u

static uint32_t get32(const unsigned char *p, int big)
{
    if (big)
        return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
    return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

static uint32_t native32(const unsigned char *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

/* SQLite's log checksum over n bytes (a multiple of 8), continuing from s. The index header
 * uses native words; the log uses big-endian words when the magic's low bit is set. */
static void cksum(const unsigned char *a, size_t n, int native, int big, uint32_t s[2])
{
    uint32_t s1 = s[0], s2 = s[1];
    for (size_t i = 0; i < n; i += 8) {
        s1 += (native ? native32(a + i) : get32(a + i, big)) + s2;
        s2 += (native ? native32(a + i + 4) : get32(a + i + 4, big)) + s1;
    }
    s[0] = s1;
    s[1] = s2;
}

static int read_at(int fd, void *buf, size_t n, off_t off)
{
    size_t got = 0;
    while (got < n) {
        ssize_t k = pread(fd, (char *)buf + got, n - got, off + (off_t)got);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return -1;
        got += (size_t)k;
    }
    return 0;
}

/* 1 when another process holds a lock on the index, i.e. has the database open. */
static int in_use(int fd)
{
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = SHM_DMS_LOCK,
                       .l_len = 1};
    return fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK;
}

__attribute__((format(printf, 3, 4))) static int damaged(char *err, size_t errlen,
                                                         const char *fmt, ...)
{
    char what[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    snprintf(err, errlen,
             "%s, so acknowledged writes would be lost: restore the last good backup with "
             "'opsledger restore BACKUP --force' (or start with startup_check = none to accept "
             "the loss)", what);
    return -OL_EDAMAGED;
}

/* Walks frames 1..mx of the log in fd and checks each against the index header hdr. */
static int check_frames(int fd, const char *wal, const unsigned char *hdr, uint32_t pgsz,
                        uint32_t mx, char *err, size_t errlen)
{
    unsigned char wh[WAL_HDR];
    struct stat st;
    if (fstat(fd, &st) || read_at(fd, wh, WAL_HDR, 0))
        return damaged(err, errlen, "the write-ahead log %s has no header (%u of %u committed "
                       "frames left)", wal, 0, mx);
    uint32_t magic = get32(wh, 1);
    int big = magic & 1;
    uint32_t s[2] = {0, 0};
    cksum(wh, 24, 0, big, s);
    if ((magic & ~1u) != WAL_MAGIC || s[0] != get32(wh + 24, 1) || s[1] != get32(wh + 28, 1))
        return damaged(err, errlen, "the write-ahead log %s has a damaged header (%u of %u "
                       "committed frames readable)", wal, 0, mx);
    /* Another generation of the log than the index describes: nothing to compare. */
    if (get32(wh + 8, 1) != pgsz || memcmp(wh + 16, hdr + 32, 8))
        return 0;
    size_t fsz = FRAME_HDR + pgsz;
    uint64_t have = st.st_size > WAL_HDR ? ((uint64_t)st.st_size - WAL_HDR) / fsz : 0;
    if (have < mx)
        return damaged(err, errlen, "the write-ahead log %s is truncated: it holds %u of the %u "
                       "committed frames", wal, (unsigned)have, mx);
    unsigned char *frame = ol_xmalloc(fsz);
    int rc = 0;
    for (uint32_t i = 1; i <= mx && rc == 0; i++) {
        if (read_at(fd, frame, fsz, (off_t)(WAL_HDR + (uint64_t)(i - 1) * fsz))) {
            rc = damaged(err, errlen, "the write-ahead log %s cannot be read at frame %u of %u",
                         wal, i, mx);
            break;
        }
        cksum(frame, 8, 0, big, s);
        cksum(frame + FRAME_HDR, pgsz, 0, big, s);
        if (get32(frame, 1) == 0 || memcmp(frame + 8, wh + 16, 8) ||
            s[0] != get32(frame + 16, 1) || s[1] != get32(frame + 20, 1))
            rc = damaged(err, errlen, "the write-ahead log %s is damaged at frame %u of %u "
                         "committed frames", wal, i, mx);
    }
    if (rc == 0 && (s[0] != native32(hdr + 24) || s[1] != native32(hdr + 28)))
        rc = damaged(err, errlen, "the write-ahead log %s does not end as its index says "
                     "(%u of %u frames check)", wal, mx, mx);
    free(frame);
    return rc;
}

int ol__sqlite_wal_check(const char *path, char *err, size_t errlen)
{
    int rc = 0, sfd = -1, wfd = -1;
    ol_buf_t b;
    ol_buf_init(&b);
    ol_buf_printf(&b, "%s-shm", path);
    char *shm = ol_buf_steal(&b);
    ol_buf_printf(&b, "%s-wal", path);
    char *wal = ol_buf_steal(&b);

    unsigned char hdr[SHM_NBACKFILL + 4];
    sfd = open(shm, O_RDONLY | O_CLOEXEC);
    if (sfd < 0 || in_use(sfd) || read_at(sfd, hdr, sizeof hdr, 0))
        goto out; /* no index left behind, or a live one: SQLite knows best */
    uint32_t s[2] = {0, 0};
    cksum(hdr, 40, 1, 0, s);
    if (memcmp(hdr, hdr + SHM_HDR, SHM_HDR) || native32(hdr) != SHM_VERSION || !hdr[12] ||
        s[0] != native32(hdr + 40) || s[1] != native32(hdr + 44))
        goto out; /* a torn or stale index proves nothing */
    uint16_t sz;
    memcpy(&sz, hdr + 14, 2);
    uint32_t pgsz = (uint32_t)(sz & 0xfe00) + ((uint32_t)(sz & 1) << 16);
    uint32_t mx = native32(hdr + 16);
    if (mx == 0 || pgsz < 512)
        goto out;
    wfd = open(wal, O_RDONLY | O_CLOEXEC);
    if (wfd < 0) {
        /* Frames all copied into the database file may go with their log; others may not. */
        if (errno == ENOENT && native32(hdr + SHM_NBACKFILL) < mx)
            rc = damaged(err, errlen, "the write-ahead log %s is missing (%u of %u committed "
                         "frames left)", wal, 0, mx);
        goto out;
    }
    rc = check_frames(wfd, wal, hdr, pgsz, mx, err, errlen);
out:
    /* Close before SQLite opens the files: closing a descriptor drops the process's POSIX
     * locks on that file, which is why this runs only before the first connection. */
    if (wfd >= 0)
        close(wfd);
    if (sfd >= 0)
        close(sfd);
    free(shm);
    free(wal);
    return rc;
}
