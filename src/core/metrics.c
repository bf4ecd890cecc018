/* core/metrics.c - request counters and latency histograms in Prometheus text format.
 *
 * THREAD SAFETY: one mutex guards the table; the table is bounded (routes are static patterns,
 * never raw URLs), so memory cannot grow with traffic. */
#include "core/metrics.h"

#include <pthread.h>
#include <string.h>

#define MAX_SERIES 256
static const double buckets[] = {0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5};
#define NB (sizeof buckets / sizeof buckets[0])

typedef struct {
    const char *method, *route;
    int status;
    unsigned long long count;
} counter_t;

typedef struct {
    const char *route;
    unsigned long long b[NB + 1], count;
    double sum;
} hist_t;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static counter_t counters[MAX_SERIES];
static int ncounters;
static hist_t hists[MAX_SERIES];
static int nhists;
#define MAX_ALERT_KINDS 16
static struct {
    const char *kind;
    unsigned long long count;
} alerts[MAX_ALERT_KINDS];
static int nalerts;

void ol_metrics_security_alert(const char *kind)
{
    pthread_mutex_lock(&mu);
    int i;
    for (i = 0; i < nalerts && strcmp(alerts[i].kind, kind); i++)
        ;
    if (i == nalerts && nalerts < MAX_ALERT_KINDS)
        alerts[nalerts++].kind = kind;
    if (i < nalerts)
        alerts[i].count++;
    pthread_mutex_unlock(&mu);
}

/* P7 delivery counters and the outbox's size at the worker's last look. */
static unsigned long long outbox_sent, outbox_failed, outbox_dead;
static long long outbox_pending_now, outbox_dead_now;

void ol_metrics_outbox(const char *what)
{
    pthread_mutex_lock(&mu);
    if (!strcmp(what, "sent"))
        outbox_sent++;
    else if (!strcmp(what, "failed"))
        outbox_failed++;
    else if (!strcmp(what, "dead"))
        outbox_dead++;
    pthread_mutex_unlock(&mu);
}

void ol_metrics_outbox_gauges(long long pending, long long dead)
{
    pthread_mutex_lock(&mu);
    outbox_pending_now = pending;
    outbox_dead_now = dead;
    pthread_mutex_unlock(&mu);
}

void ol_metrics_request(const char *method, const char *route, int status, double seconds)
{
    pthread_mutex_lock(&mu);
    int i;
    for (i = 0; i < ncounters; i++)
        if (counters[i].status == status && counters[i].route == route &&
            strcmp(counters[i].method, method) == 0)
            break;
    if (i == ncounters && ncounters < MAX_SERIES)
        counters[ncounters++] = (counter_t){method, route, status, 0};
    if (i < ncounters)
        counters[i].count++;
    for (i = 0; i < nhists; i++)
        if (hists[i].route == route)
            break;
    if (i == nhists && nhists < MAX_SERIES)
        hists[nhists++] = (hist_t){.route = route};
    if (i < nhists) {
        size_t b = 0;
        while (b < NB && seconds > buckets[b])
            b++;
        hists[i].b[b]++;
        hists[i].count++;
        hists[i].sum += seconds;
    }
    pthread_mutex_unlock(&mu);
}

void ol_metrics_render(ol_buf_t *b)
{
    pthread_mutex_lock(&mu);
    ol_buf_puts(b, "# HELP opsledger_http_requests_total HTTP requests by route and status.\n"
                   "# TYPE opsledger_http_requests_total counter\n");
    for (int i = 0; i < ncounters; i++)
        ol_buf_printf(b, "opsledger_http_requests_total{method=\"%s\",route=\"%s\",status=\"%d\"} %llu\n",
                      counters[i].method, counters[i].route, counters[i].status, counters[i].count);
    ol_buf_puts(b, "# HELP opsledger_security_alerts_total High-risk security alerts raised.\n"
                   "# TYPE opsledger_security_alerts_total counter\n");
    for (int i = 0; i < nalerts; i++)
        ol_buf_printf(b, "opsledger_security_alerts_total{kind=\"%s\"} %llu\n", alerts[i].kind,
                      alerts[i].count);
    ol_buf_printf(b, "# HELP opsledger_outbox_deliveries_total Notice deliveries by outcome.\n"
                     "# TYPE opsledger_outbox_deliveries_total counter\n"
                     "opsledger_outbox_deliveries_total{result=\"sent\"} %llu\n"
                     "opsledger_outbox_deliveries_total{result=\"failed\"} %llu\n"
                     "opsledger_outbox_deliveries_total{result=\"dead\"} %llu\n"
                     "# HELP opsledger_outbox_notices Notices in the outbox by state.\n"
                     "# TYPE opsledger_outbox_notices gauge\n"
                     "opsledger_outbox_notices{state=\"pending\"} %lld\n"
                     "opsledger_outbox_notices{state=\"dead\"} %lld\n",
                  outbox_sent, outbox_failed, outbox_dead, outbox_pending_now, outbox_dead_now);
    ol_buf_puts(b, "# HELP opsledger_http_request_duration_seconds Request latency by route.\n"
                   "# TYPE opsledger_http_request_duration_seconds histogram\n");
    for (int i = 0; i < nhists; i++) {
        unsigned long long cum = 0;
        for (size_t k = 0; k < NB; k++) {
            cum += hists[i].b[k];
            ol_buf_printf(b, "opsledger_http_request_duration_seconds_bucket{route=\"%s\",le=\"%g\"} %llu\n",
                          hists[i].route, buckets[k], cum);
        }
        ol_buf_printf(b, "opsledger_http_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} %llu\n",
                      hists[i].route, hists[i].count);
        ol_buf_printf(b, "opsledger_http_request_duration_seconds_sum{route=\"%s\"} %g\n",
                      hists[i].route, hists[i].sum);
        ol_buf_printf(b, "opsledger_http_request_duration_seconds_count{route=\"%s\"} %llu\n",
                      hists[i].route, hists[i].count);
    }
    pthread_mutex_unlock(&mu);
}
