/* modules/incident_policy.c - parsing and checking the incident policies (I3 level, I4 priority)
 * so that a bad setting stops the server at start instead of mis-rating incidents. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "modules/incident_policy.h"

const char *const ol_incident_levels3[] = {"high", "medium", "low", NULL};
const char *const ol_incident_importance[] = {"core", "important", "general", "other", NULL};
static const char *const level_names[] = {"1", "2", "3", "4", NULL};

int ol_incident_matrix(const char *spec, int rows, int cols, const char *const *values, int *out,
                       char *err, size_t errlen)
{
    int row = 0, col = 0;
    const char *p = spec;
    for (;;) {
        size_t n = strcspn(p, ",;");
        int found = -1;
        for (int k = 0; values[k]; k++)
            if (strlen(values[k]) == n && !strncmp(values[k], p, n))
                found = k;
        if (found < 0 || row >= rows || col >= cols) {
            snprintf(err, errlen, "cell %d,%d is '%.*s' or out of place: want %d rows of %d "
                     "cells separated by ';' and ','", row + 1, col + 1, (int)n, p, rows, cols);
            return -1;
        }
        out[row * cols + col] = found;
        p += n;
        if (*p == ',') {
            col++;
        } else {
            if (col != cols - 1) {
                snprintf(err, errlen, "row %d has %d cells, not %d", row + 1, col + 1, cols);
                return -1;
            }
            if (!*p)
                break;
            row++;
            col = 0;
        }
        p++;
    }
    if (row != rows - 1) {
        snprintf(err, errlen, "%d rows, not %d", row + 1, rows);
        return -1;
    }
    return 0;
}

int ol_incident_rises(const char *spec, long *minutes, char *err, size_t errlen)
{
    int n = 0;
    const char *p = spec;
    while (*p) {
        char *end;
        long v = strtol(p, &end, 10);
        if (end == p || (*end && (*end != ',' || !end[1])) || v < 1 || v > 525600 || n == 3 ||
            (n && v <= minutes[n - 1])) {
            snprintf(err, errlen, "want up to 3 increasing minute counts, e.g. 30,180,360");
            return -1;
        }
        minutes[n++] = v;
        p = *end ? end + 1 : end;
    }
    return n;
}

/* I5-I9: the numbers are integers in range; the review priorities are priorities. */
static int check_major(const ol_config_t *cfg, char *err, size_t errlen)
{
    const struct {
        const char *name, *value;
        long min, max;
    } keys[] = {
        {"incident_report_level", cfg->incident_report_level, 0, 4},
        {"incident_report_initial_minutes", cfg->incident_report_initial_minutes, 1, 525600},
        {"incident_report_written_minutes", cfg->incident_report_written_minutes, 1, 525600},
        {"incident_report_followup_minutes", cfg->incident_report_followup_minutes, 0, 525600},
        {"incident_major_auto_level", cfg->incident_major_auto_level, 0, 4},
        {"incident_major_update_minutes", cfg->incident_major_update_minutes, 1, 1440},
        {"incident_confirm_minutes", cfg->incident_confirm_minutes, 0, 525600},
        {"incident_review_hours", cfg->incident_review_hours, 1, 8784},
        {"incident_kpi_resolution_percent", cfg->incident_kpi_resolution_percent, 0, 100},
        {"incident_kpi_sla_percent", cfg->incident_kpi_sla_percent, 0, 100},
        {"incident_kpi_mttr_minutes", cfg->incident_kpi_mttr_minutes, 1, 525600},
        {"incident_kpi_escalation_percent", cfg->incident_kpi_escalation_percent, 0, 100},
        {"incident_kpi_knowledge_percent", cfg->incident_kpi_knowledge_percent, 0, 100},
    };
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        char *end;
        long n = strtol(keys[i].value, &end, 10);
        if (end == keys[i].value || *end || n < keys[i].min || n > keys[i].max) {
            snprintf(err, errlen, "%s = '%s': must be an integer from %ld to %ld", keys[i].name,
                     keys[i].value, keys[i].min, keys[i].max);
            return -1;
        }
    }
    const char *p = cfg->incident_review_priorities;
    while (*p) {
        size_t n = strcspn(p, ",");
        int ok = 0;
        for (int k = 0; ol_incident_levels3[k]; k++)
            ok |= strlen(ol_incident_levels3[k]) == n && !strncmp(ol_incident_levels3[k], p, n);
        if (!ok) {
            snprintf(err, errlen, "incident_review_priorities = '%s': a comma-separated list of "
                                  "high, medium, low", cfg->incident_review_priorities);
            return -1;
        }
        p += n + (p[n] == ',');
    }
    return 0;
}

int ol_config_check_incident(const ol_config_t *cfg, char *err, size_t errlen)
{
    int cells[16];
    long rises[3];
    char why[160];
    if (ol_incident_matrix(cfg->incident_priority_matrix, 3, 3, ol_incident_levels3, cells, why,
                           sizeof why)) {
        snprintf(err, errlen, "incident_priority_matrix: %s (values high, medium, low)", why);
        return -1;
    }
    if (ol_incident_matrix(cfg->incident_level_matrix, 4, 3, level_names, cells, why,
                           sizeof why)) {
        snprintf(err, errlen, "incident_level_matrix: %s (values 1-4)", why);
        return -1;
    }
    if (ol_incident_rises(cfg->incident_level_rise_minutes, rises, why, sizeof why) < 0) {
        snprintf(err, errlen, "incident_level_rise_minutes: %s", why);
        return -1;
    }
    return check_major(cfg, err, errlen);
}

/* The level matrix's values are the levels themselves. */
const char *const *ol_incident_level_names(void)
{
    return level_names;
}
