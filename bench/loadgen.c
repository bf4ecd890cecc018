/* bench/loadgen.c - a small HTTP/1.1 load generator for the benchmarks: keep-alive connections,
 * a fixed-rate open-loop schedule (or closed-loop saturation), bounded in time and count, and a
 * per-request latency histogram.
 *
 * Open loop (-r RATE): request k is due at start + k/RATE whatever happened before; it goes out
 * on the first idle connection, and its latency is measured from the moment it was due, so a
 * stalled server is charged for the requests it delayed (no coordinated omission).
 * Closed loop (-r 0): every connection sends its next request as soon as the previous answer
 * arrived; latency is measured from the send.
 *
 *   loadgen [-a HOST:PORT] [-c CONNS] [-r RATE] [-d SECONDS] [-n COUNT] [-m METHOD]
 *           [-H 'Name: value']... [-N MAX] [-b] [-s FIRST] PATH
 *   loadgen -g FILE -n COUNT [-s FIRST]
 *
 *   PATH may hold {n}: replaced per request by a random number 1..MAX as %06d (reads by number).
 *   -b sends POST bodies from the article generator (article FIRST, FIRST+1, ...), for seeding.
 *   -g writes COUNT article bodies to FILE, one per line, for wrk's create.lua, and exits.
 *
 * Prints one line: RESULT requests=.. ok=.. non2xx=.. errors=.. seconds=.. rate=.. p50_ms=..
 * p90_ms=.. p99_ms=.. p999_ms=.. max_ms=..  Exit status 0, or 1 when any request failed. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "articles.h"

#define MAX_CONNS 1024
#define MAX_HEADERS 8
#define MAX_RESPONSE (64u << 20)
#define DRAIN_NS (10ULL * 1000000000ULL) /* wait this long for answers after the schedule ends */

/* ---- latency histogram: microseconds, exact below 128 us, then 64 sub-buckets per power of two
 * (under 1.6% error), up to about 2^40 us. */
#define SUB 64
#define NBUCKETS (128 + (40 - 7) * SUB)
static uint64_t hist[NBUCKETS];
static uint64_t hist_total, hist_max_us;

static int bucket_of(uint64_t us)
{
    if (us < 128)
        return (int)us;
    int e = 63 - __builtin_clzll(us); /* >= 7 */
    if (e >= 40)
        return NBUCKETS - 1;
    return 128 + (e - 7) * SUB + (int)((us >> (e - 6)) & (SUB - 1));
}

static double bucket_mid_us(int b)
{
    if (b < 128)
        return b;
    int e = (b - 128) / SUB + 7, m = (b - 128) % SUB;
    double lo = (double)((uint64_t)(SUB + m) << (e - 6));
    return lo + (double)(1ULL << (e - 6)) / 2.0;
}

static void record(uint64_t ns)
{
    uint64_t us = ns / 1000;
    hist[bucket_of(us)]++;
    hist_total++;
    if (us > hist_max_us)
        hist_max_us = us;
}

static double percentile_ms(double p)
{
    if (!hist_total)
        return 0;
    uint64_t want = (uint64_t)(p * (double)hist_total + 0.999999), cum = 0;
    if (want < 1)
        want = 1;
    for (int b = 0; b < NBUCKETS; b++) {
        cum += hist[b];
        if (cum >= want)
            return bucket_mid_us(b) / 1000.0;
    }
    return (double)hist_max_us / 1000.0;
}

/* ---- connections ------------------------------------------------------------------------ */

typedef struct {
    int fd;
    int busy;
    uint64_t due;      /* when the outstanding request was due (open loop) or sent */
    char *out;         /* request being written */
    size_t outlen, outoff;
    char *in;          /* response bytes read so far */
    size_t inlen, incap;
} conn_t;

static struct sockaddr_in addr;
static char host_hdr[128];
static int epfd;
static conn_t conns[MAX_CONNS];
static int idle[MAX_CONNS], nidle;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void die(const char *what)
{
    perror(what);
    exit(2);
}

static void conn_open(int i)
{
    conn_t *c = &conns[i];
    c->fd = socket(AF_INET, SOCK_STREAM, 0);
    if (c->fd < 0)
        die("socket");
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(c->fd, (struct sockaddr *)&addr, sizeof addr) != 0)
        die("connect");
    fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &ev) != 0)
        die("epoll_ctl");
    c->busy = 0;
    c->inlen = 0;
    c->outlen = c->outoff = 0;
}

static void conn_close(int i)
{
    epoll_ctl(epfd, EPOLL_CTL_DEL, conns[i].fd, NULL);
    close(conns[i].fd);
    conns[i].fd = -1;
}

/* ---- requests ---------------------------------------------------------------------------- */

static const char *method = "GET";
static const char *path_tmpl;
static const char *headers[MAX_HEADERS];
static int nheaders;
static unsigned long long max_n = 1, first_article = 1;
static int with_body;
static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t xorshift(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* Builds request number k into c->out. */
static void build_request(conn_t *c, unsigned long long k)
{
    static char body[8192];
    char path[2048];
    size_t bodylen = 0;
    const char *brace = strstr(path_tmpl, "{n}");
    if (brace)
        snprintf(path, sizeof path, "%.*s%06llu%s", (int)(brace - path_tmpl), path_tmpl,
                 (unsigned long long)(xorshift() % max_n) + 1, brace + 3);
    else
        snprintf(path, sizeof path, "%s", path_tmpl);
    if (with_body && !(bodylen = article_json(first_article + k, body, sizeof body))) {
        fprintf(stderr, "loadgen: article %llu does not fit\n", first_article + k);
        exit(2);
    }
    size_t cap = strlen(path) + bodylen + 1024;
    for (int i = 0; i < nheaders; i++)
        cap += strlen(headers[i]) + 2;
    free(c->out);
    c->out = malloc(cap);
    if (!c->out)
        die("malloc");
    int n = snprintf(c->out, cap, "%s %s HTTP/1.1\r\nHost: %s\r\n", method, path, host_hdr);
    for (int i = 0; i < nheaders; i++)
        n += snprintf(c->out + n, cap - (size_t)n, "%s\r\n", headers[i]);
    if (with_body)
        n += snprintf(c->out + n, cap - (size_t)n,
                      "Content-Type: application/json\r\nContent-Length: %zu\r\n", bodylen);
    n += snprintf(c->out + n, cap - (size_t)n, "\r\n");
    memcpy(c->out + n, body, bodylen);
    c->outlen = (size_t)n + bodylen;
    c->outoff = 0;
}

static void want_write(int i, int on)
{
    struct epoll_event ev = {.events = EPOLLIN | (on ? EPOLLOUT : 0), .data.u32 = (uint32_t)i};
    epoll_ctl(epfd, EPOLL_CTL_MOD, conns[i].fd, &ev);
}

/* Writes what it can; returns -1 when the connection broke. */
static int flush_out(int i)
{
    conn_t *c = &conns[i];
    while (c->outoff < c->outlen) {
        ssize_t w = send(c->fd, c->out + c->outoff, c->outlen - c->outoff, MSG_NOSIGNAL);
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            want_write(i, 1);
            return 0;
        }
        if (w <= 0)
            return -1;
        c->outoff += (size_t)w;
    }
    return 0;
}

/* Parses a complete response at the start of c->in. Returns 1 with *status and *len (bytes
 * used) set, 0 when more bytes are needed, -1 on a response it cannot frame. */
static int parse_response(conn_t *c, int *status, size_t *len, int *close_after)
{
    char *end = memmem(c->in, c->inlen, "\r\n\r\n", 4);
    if (!end)
        return c->inlen > 65536 ? -1 : 0;
    size_t hlen = (size_t)(end - c->in) + 4;
    if (c->inlen < 12 || strncmp(c->in, "HTTP/1.", 7) != 0)
        return -1;
    *status = atoi(c->in + 9);
    long long clen = -1;
    int chunked = 0;
    *close_after = 0;
    for (char *line = memchr(c->in, '\n', hlen) + 1; line < c->in + hlen - 2;) {
        char *eol = memchr(line, '\n', (size_t)(c->in + hlen - line));
        if (!eol)
            break;
        if (!strncasecmp(line, "Content-Length:", 15))
            clen = strtoll(line + 15, NULL, 10);
        else if (!strncasecmp(line, "Transfer-Encoding:", 18) &&
                 memmem(line, (size_t)(eol - line), "chunked", 7))
            chunked = 1;
        else if (!strncasecmp(line, "Connection:", 11) &&
                 (memmem(line, (size_t)(eol - line), "close", 5) ||
                  memmem(line, (size_t)(eol - line), "Close", 5)))
            *close_after = 1;
        line = eol + 1;
    }
    if (*status == 204 || *status == 304 || (*status >= 100 && *status < 200))
        clen = 0;
    if (clen >= 0) {
        if (c->inlen < hlen + (size_t)clen)
            return 0;
        *len = hlen + (size_t)clen;
        return 1;
    }
    if (!chunked)
        return -1;
    size_t pos = hlen;
    for (;;) {
        char *eol = memmem(c->in + pos, c->inlen - pos, "\r\n", 2);
        if (!eol)
            return 0;
        unsigned long long sz = strtoull(c->in + pos, NULL, 16);
        pos = (size_t)(eol - c->in) + 2;
        if (sz == 0) {
            if (c->inlen < pos + 2)
                return 0;
            *len = pos + 2; /* no trailers */
            return 1;
        }
        if (c->inlen < pos + sz + 2)
            return 0;
        pos += sz + 2;
    }
}

/* ---- main loop --------------------------------------------------------------------------- */

static uint64_t n_ok, n_non2xx, n_err, n_sent;
static uint64_t t_last_done;
static int closed_loop;

static void send_request(int i, uint64_t due)
{
    conn_t *c = &conns[i];
    build_request(c, n_sent);
    c->busy = 1;
    c->due = closed_loop ? now_ns() : due;
    n_sent++;
    if (flush_out(i) < 0) {
        n_err++;
        c->busy = 0;
        conn_close(i);
        conn_open(i);
        idle[nidle++] = i;
    }
}

static void on_readable(int i)
{
    conn_t *c = &conns[i];
    for (;;) {
        if (c->incap - c->inlen < 16384) {
            size_t cap = c->incap ? c->incap * 2 : 65536;
            if (cap > MAX_RESPONSE) {
                fprintf(stderr, "loadgen: response over %u bytes\n", MAX_RESPONSE);
                exit(2);
            }
            c->in = realloc(c->in, cap);
            if (!c->in)
                die("realloc");
            c->incap = cap;
        }
        ssize_t r = recv(c->fd, c->in + c->inlen, c->incap - c->inlen, 0);
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (r <= 0) { /* the server closed the connection */
            if (c->busy)
                n_err++;
            conn_close(i);
            conn_open(i);
            idle[nidle++] = i;
            return;
        }
        c->inlen += (size_t)r;
    }
    int status, close_after;
    size_t len;
    int rc = parse_response(c, &status, &len, &close_after);
    if (rc == 0)
        return;
    if (rc < 0 || !c->busy) {
        fprintf(stderr, "loadgen: cannot frame a response (%.40s...)\n", c->in);
        n_err += c->busy;
        conn_close(i);
        conn_open(i);
        idle[nidle++] = i;
        return;
    }
    uint64_t t = now_ns();
    record(t - c->due);
    t_last_done = t;
    if (status >= 200 && status < 300)
        n_ok++;
    else {
        if (n_non2xx < 5)
            fprintf(stderr, "loadgen: status %d: %.*s\n", status,
                    (int)(c->inlen < 300 ? c->inlen : 300), c->in);
        n_non2xx++;
    }
    c->busy = 0;
    memmove(c->in, c->in + len, c->inlen - len);
    c->inlen -= len;
    if (close_after) {
        conn_close(i);
        conn_open(i);
    }
    idle[nidle++] = i;
}

/* Whether another request is to be sent and, in *due, when (open loop). The open loop sends every
 * request due before the end of the span, late ones too, but gives up DRAIN_NS after it. */
static int schedule(uint64_t t0, uint64_t span, double interval, uint64_t now,
                    unsigned long long count, uint64_t *due)
{
    if (count && n_sent >= count)
        return 0;
    if (closed_loop) {
        *due = now;
        return now - t0 < span;
    }
    *due = t0 + (uint64_t)((double)n_sent * interval);
    return *due < t0 + span && now < t0 + span + DRAIN_NS;
}

static int gen_file(const char *file, unsigned long long count)
{
    FILE *f = fopen(file, "w");
    if (!f)
        die(file);
    char body[8192];
    for (unsigned long long k = 0; k < count; k++) {
        size_t n = article_json(first_article + k, body, sizeof body);
        if (!n)
            return 2;
        fwrite(body, 1, n, f);
        fputc('\n', f);
    }
    return fclose(f) ? 2 : 0;
}

static void usage(void)
{
    fprintf(stderr, "usage: loadgen [-a HOST:PORT] [-c CONNS] [-r RATE] [-d SECONDS] [-n COUNT] "
                    "[-m METHOD] [-H 'Name: value']... [-N MAX] [-b] [-s FIRST] PATH\n"
                    "       loadgen -g FILE -n COUNT [-s FIRST]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    const char *target = "127.0.0.1:8080", *gen = NULL;
    int nconns = 8;
    double rate = 0, seconds = 10;
    unsigned long long count = 0;
    int opt;
    while ((opt = getopt(argc, argv, "a:c:r:d:n:m:H:N:bs:g:")) != -1) {
        switch (opt) {
        case 'a': target = optarg; break;
        case 'c': nconns = atoi(optarg); break;
        case 'r': rate = atof(optarg); break;
        case 'd': seconds = atof(optarg); break;
        case 'n': count = strtoull(optarg, NULL, 10); break;
        case 'm': method = optarg; break;
        case 'H':
            if (nheaders == MAX_HEADERS)
                usage();
            headers[nheaders++] = optarg;
            break;
        case 'N': max_n = strtoull(optarg, NULL, 10); break;
        case 'b': with_body = 1; method = "POST"; break;
        case 's': first_article = strtoull(optarg, NULL, 10); break;
        case 'g': gen = optarg; break;
        default: usage();
        }
    }
    if (gen)
        return count ? gen_file(gen, count) : (usage(), 2);
    if (optind != argc - 1 || nconns < 1 || nconns > MAX_CONNS || rate < 0 || seconds <= 0 ||
        seconds > 3600 || max_n < 1)
        usage();
    path_tmpl = argv[optind];
    closed_loop = rate == 0;

    char hostbuf[128];
    snprintf(hostbuf, sizeof hostbuf, "%s", target);
    char *colon = strrchr(hostbuf, ':');
    if (!colon)
        usage();
    *colon = 0;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)atoi(colon + 1));
    if (inet_pton(AF_INET, hostbuf, &addr.sin_addr) != 1)
        usage();
    snprintf(host_hdr, sizeof host_hdr, "%s", target);
    signal(SIGPIPE, SIG_IGN);

    epfd = epoll_create1(0);
    if (epfd < 0)
        die("epoll_create1");
    for (int i = 0; i < nconns; i++) {
        conn_open(i);
        idle[nidle++] = i;
    }

    const uint64_t t0 = now_ns(), span = (uint64_t)(seconds * 1e9);
    const double interval = closed_loop ? 0 : 1e9 / rate;
    struct epoll_event evs[256];
    for (;;) {
        uint64_t now = now_ns();
        uint64_t due = 0;
        int more = schedule(t0, span, interval, now, count, &due);
        while (more && nidle > 0 && due <= now) {
            send_request(idle[--nidle], due);
            more = schedule(t0, span, interval, now, count, &due);
        }
        int busy = nconns - nidle;
        if (!more && busy == 0)
            break;
        if (!more && now > t0 + span + DRAIN_NS) {
            n_err += (uint64_t)busy; /* never answered */
            break;
        }
        struct timespec ts = {0, 50 * 1000000L};
        if (more && nidle > 0 && !closed_loop && due > now) {
            uint64_t wait = due - now;
            ts.tv_sec = (time_t)(wait / 1000000000ULL);
            ts.tv_nsec = (long)(wait % 1000000000ULL);
        }
        int n = epoll_pwait2(epfd, evs, 256, &ts, NULL);
        if (n < 0 && errno != EINTR)
            die("epoll_pwait2");
        for (int e = 0; e < n; e++) {
            int i = (int)evs[e].data.u32;
            if (conns[i].fd < 0)
                continue;
            if (evs[e].events & EPOLLOUT) {
                want_write(i, 0);
                if (flush_out(i) < 0) {
                    n_err++;
                    conn_close(i);
                    conn_open(i);
                    idle[nidle++] = i;
                    continue;
                }
            }
            if (evs[e].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
                on_readable(i);
        }
    }
    uint64_t t_end = t_last_done > t0 ? t_last_done : now_ns();
    double secs = (double)(t_end - t0) / 1e9;
    printf("RESULT requests=%llu ok=%llu non2xx=%llu errors=%llu seconds=%.2f rate=%.0f "
           "p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f p999_ms=%.3f max_ms=%.3f\n",
           (unsigned long long)n_sent, (unsigned long long)n_ok, (unsigned long long)n_non2xx,
           (unsigned long long)n_err, secs, (double)(n_ok + n_non2xx) / secs, percentile_ms(0.50),
           percentile_ms(0.90), percentile_ms(0.99), percentile_ms(0.999),
           (double)hist_max_us / 1000.0);
    return n_non2xx || n_err ? 1 : 0;
}
