/* bench/fsync_rate.c - the disk's durable-write rate: write 4 KiB + fdatasync in a loop for a few
 * seconds in a given directory, the way a commit appends to a WAL. Prints fsyncs/s and latency.
 *
 *   fsync_rate DIR [SECONDS]      (default 3 s) */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: fsync_rate DIR [SECONDS]\n");
        return 2;
    }
    double secs = argc > 2 ? atof(argv[2]) : 3.0;
    if (secs <= 0 || secs > 60)
        secs = 3.0;
    char path[4096];
    snprintf(path, sizeof path, "%s/fsync_rate.%d.tmp", argv[1], (int)getpid());
    int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0600);
    if (fd < 0) {
        perror(path);
        return 1;
    }
    char block[4096];
    memset(block, 'x', sizeof block);
    /* Appends like a WAL; wraps around after 64 MiB so the file stays bounded. */
    size_t cap = 1 << 20, n = 0;
    double *lat = malloc(cap * sizeof *lat);
    double t0 = now_s(), t = t0;
    off_t off = 0;
    while (t - t0 < secs && n < cap) {
        double s = now_s();
        if (pwrite(fd, block, sizeof block, off) != (ssize_t)sizeof block || fdatasync(fd) != 0) {
            perror("write/fdatasync");
            unlink(path);
            return 1;
        }
        off = (off + (off_t)sizeof block) % (64 << 20);
        t = now_s();
        lat[n++] = t - s;
    }
    close(fd);
    unlink(path);
    qsort(lat, n, sizeof *lat, cmp);
    printf("fsyncs=%zu seconds=%.2f rate=%.0f p50_ms=%.3f p99_ms=%.3f\n", n, t - t0,
           (double)n / (t - t0), lat[n / 2] * 1e3, lat[(size_t)((double)n * 0.99)] * 1e3);
    free(lat);
    return 0;
}
