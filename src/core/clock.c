/* core/clock.c - real time plus the test offset of clock.h. */
#include "core/clock.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static pthread_once_t once = PTHREAD_ONCE_INIT;
static const char *offset_file; /* NULL: no test clock */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct timespec seen_mtime;
static atomic_long offset_s;

static void init(void)
{
    const char *f = getenv("OPSLEDGER_TEST_CLOCK");
    offset_file = f && *f ? f : NULL;
}

static long test_offset(void)
{
    struct stat st;
    if (stat(offset_file, &st))
        return atomic_load(&offset_s);
    pthread_mutex_lock(&lock);
    if (st.st_mtim.tv_sec != seen_mtime.tv_sec || st.st_mtim.tv_nsec != seen_mtime.tv_nsec) {
        FILE *fp = fopen(offset_file, "r");
        long v = 0;
        if (fp) {
            if (fscanf(fp, "%ld", &v) == 1)
                atomic_store(&offset_s, v);
            fclose(fp);
        }
        seen_mtime = st.st_mtim;
    }
    pthread_mutex_unlock(&lock);
    return atomic_load(&offset_s);
}

void ol_clock(struct timespec *ts)
{
    pthread_once(&once, init);
    clock_gettime(CLOCK_REALTIME, ts);
    if (offset_file)
        ts->tv_sec += test_offset();
}

time_t ol_time(void)
{
    struct timespec ts;
    ol_clock(&ts);
    return ts.tv_sec;
}

const char *ol_iso_at(time_t t, char *buf)
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

int ol_iso_parse(const char *s, time_t *out)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    const char *end = s ? strptime(s, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;
    if (!end)
        return -1;
    if (*end == '.')
        for (end++; *end >= '0' && *end <= '9'; end++)
            ;
    if (*end == 'Z')
        end++;
    if (*end)
        return -1;
    *out = timegm(&tm);
    return 0;
}
