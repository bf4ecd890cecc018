/* core/metrics.h - request counters and latency histograms in Prometheus text format. */
#ifndef OL_METRICS_H
#define OL_METRICS_H
#include "core/mem.h"

/* Records one finished request. route is a static pattern string ("/api/v1/{type}"). */
void ol_metrics_request(const char *method, const char *route, int status, double seconds);
/* Appends the metrics text (requests, latency) to b. THREAD SAFETY: internally locked. */
void ol_metrics_render(ol_buf_t *b);
/* Counts one high-risk security alert (S2); kind is a static string ("login_failures"). */
void ol_metrics_security_alert(const char *kind);
/* P7: one delivery outcome: "sent", "failed" (an attempt that will be retried) or "dead" (the
 * last attempt failed); and the notices waiting (pending or being sent) and dead right now. */
void ol_metrics_outbox(const char *what);
void ol_metrics_outbox_gauges(long long pending, long long dead);

#endif
