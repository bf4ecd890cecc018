/* modules/problem_policy.c - the problem policies of Q1-Q4 (002 §2.4): thresholds, deadlines
 * and the verification period, read from their config keys and checked at start. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "core/config.h"
#include "modules/problem.h"

static const struct {
    size_t off;
    const char *name;
    long min, max;
} keys[] = {
    {offsetof(ol_config_t, problem_auto_threshold), "problem_auto_threshold", 2, 1000},
    {offsetof(ol_config_t, problem_auto_window_hours), "problem_auto_window_hours", 1, 8784},
    {offsetof(ol_config_t, problem_major_high_incidents), "problem_major_high_incidents", 1, 1000},
    {offsetof(ol_config_t, problem_plan_hours), "problem_plan_hours", 1, 8784},
    {offsetof(ol_config_t, problem_fix_hours), "problem_fix_hours", 1, 8784},
    {offsetof(ol_config_t, problem_potential_analysis_working_days),
     "problem_potential_analysis_working_days", 1, 250},
    {offsetof(ol_config_t, problem_potential_response_working_days),
     "problem_potential_response_working_days", 1, 250},
    {offsetof(ol_config_t, problem_major_close_hours), "problem_major_close_hours", 1, 8784},
    {offsetof(ol_config_t, problem_verify_hours), "problem_verify_hours", 1, 8784},
};

int ol_config_check_problem(const ol_config_t *cfg, char *err, size_t errlen)
{
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        const char *v = *(const char *const *)((const char *)cfg + keys[i].off);
        long n = ol_config_int(v);
        if (n < keys[i].min || n > keys[i].max) {
            snprintf(err, errlen, "%s = '%s': must be an integer from %ld to %ld", keys[i].name,
                     v, keys[i].min, keys[i].max);
            return -1;
        }
    }
    return 0;
}

const char *ol_problem_kind(const json_t *rec, char *buf, size_t len)
{
    const char *alert = json_string_value(json_object_get(rec, "alert_name"));
    const char *category = json_string_value(json_object_get(rec, "category"));
    const char *ci = json_string_value(json_object_get(rec, "ci"));
    const char *service = json_string_value(json_object_get(rec, "service"));
    int n;
    if (alert && *alert)
        n = snprintf(buf, len, "alert:%s", alert);
    else if (ci && *ci)
        n = snprintf(buf, len, "ci:%s/%s", category ? category : "", ci);
    else if (service && *service)
        n = snprintf(buf, len, "service:%s/%s", category ? category : "", service);
    else
        return NULL;
    return n < 0 || (size_t)n >= len ? NULL : buf;
}
