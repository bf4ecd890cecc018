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

#endif
