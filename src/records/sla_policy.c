/* records/sla_policy.c - the SLA policy of the sla_* keys (I4), parsed and checked at start so
 * that a bad setting stops the server instead of mis-timing records. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/config.h"
#include "core/log.h"
#include "records/sla.h"

#define MAX_POLICIES 128
#define MAX_STATE_LISTS 32

typedef struct {
    char type[48];
    char states[512]; /* ",s1,s2," for a plain substring test */
} state_list_t;

static ol_sla_policy_t policies[MAX_POLICIES];
static int npolicies;
static state_list_t lists[4][MAX_STATE_LISTS]; /* response, resolution, pause, cancel */
static int nlists[4];
static const char *const list_names[] = {"response", "resolution", "pause", "cancel"};
static int warn_percent = 80;
static ol_cal_days_t cal_days;
static ol_calendar_t calendars[2] = {{.kind = OL_CAL_7X24, .offset = 8 * 3600},
                                     {.kind = OL_CAL_5X8, .offset = 8 * 3600,
                                      .work_start = 9 * 3600, .work_end = 18 * 3600}};

long ol_sla_parse_duration(const char *s)
{
    char *end;
    if (!s || *s < '0' || *s > '9')
        return -1;
    long v = strtol(s, &end, 10);
    long unit = !strcmp(end, "m") ? 1 : !strcmp(end, "h") ? 60 : !strcmp(end, "d") ? 1440 : 0;
    if (!unit || v < 1 || v > 525600 / unit)
        return -1;
    return v * unit;
}

const char *ol_sla_calendar_name(ol_cal_kind_t kind)
{
    return kind == OL_CAL_5X8 ? "5x8" : "7x24";
}

int ol_sla_calendar_by_name(const char *name, ol_cal_kind_t *kind)
{
    if (!strcmp(name, "7x24") || !strcmp(name, "24x7"))
        *kind = OL_CAL_7X24;
    else if (!strcmp(name, "5x8"))
        *kind = OL_CAL_5X8;
    else
        return -1;
    return 0;
}

const ol_calendar_t *ol_sla_calendar(ol_cal_kind_t kind)
{
    return &calendars[kind == OL_CAL_5X8];
}

int ol_sla_warn_percent(void)
{
    return warn_percent;
}

/* Copies the n bytes at p into dst (size len) as a string; -1 when empty or too long. */
static int take(char *dst, size_t len, const char *p, size_t n)
{
    if (n == 0 || n >= len)
        return -1;
    memcpy(dst, p, n);
    dst[n] = '\0';
    return 0;
}

/* "type/category/priority=10m,2h,7x24;..." */
static int parse_policies(const char *spec, ol_sla_policy_t *out, int *count, char *err,
                          size_t errlen)
{
    int n = 0;
    for (const char *p = spec; *p;) {
        size_t len = strcspn(p, ";");
        char item[256];
        if (len >= sizeof item || n == MAX_POLICIES) {
            snprintf(err, errlen, "sla_policies: entry %d is too long, or more than %d entries",
                     n + 1, MAX_POLICIES);
            return -1;
        }
        memcpy(item, p, len);
        item[len] = '\0';
        ol_sla_policy_t *pol = &out[n];
        memset(pol, 0, sizeof *pol);
        char *eq = strchr(item, '='), *s1 = strchr(item, '/'), *s2 = s1 ? strchr(s1 + 1, '/') : NULL;
        char *c1 = eq ? strchr(eq + 1, ',') : NULL, *c2 = c1 ? strchr(c1 + 1, ',') : NULL;
        const char *why = NULL;
        if (!eq || !s1 || !s2 || s2 > eq || !c1 || !c2 || strchr(c2 + 1, ','))
            why = "want TYPE/CATEGORY/PRIORITY=RESPONSE,RESOLUTION,CALENDAR";
        else if (take(pol->type, sizeof pol->type, item, (size_t)(s1 - item)) ||
                 take(pol->category, sizeof pol->category, s1 + 1, (size_t)(s2 - s1 - 1)) ||
                 take(pol->priority, sizeof pol->priority, s2 + 1, (size_t)(eq - s2 - 1)))
            why = "a type, category or priority is empty or too long";
        else {
            *c1 = *c2 = '\0';
            pol->response_minutes = ol_sla_parse_duration(eq + 1);
            pol->resolution_minutes = ol_sla_parse_duration(c1 + 1);
            if (pol->response_minutes < 0 || pol->resolution_minutes < 0)
                why = "durations are like 10m, 2h or 1d (at most a year)";
            else if (pol->response_minutes > pol->resolution_minutes)
                why = "the response target exceeds the resolution target";
            else if (ol_sla_calendar_by_name(c2 + 1, &pol->calendar))
                why = "the calendar is 7x24 or 5x8";
        }
        for (int k = 0; !why && k < n; k++)
            if (!strcmp(out[k].type, pol->type) && !strcmp(out[k].category, pol->category) &&
                !strcmp(out[k].priority, pol->priority))
                why = "repeats an earlier entry";
        if (why) {
            snprintf(err, errlen, "sla_policies: entry %d '%.*s': %s", n + 1, (int)len, p, why);
            return -1;
        }
        n++;
        p += len;
        if (*p == ';' && !*++p) {
            snprintf(err, errlen, "sla_policies: a trailing ';'");
            return -1;
        }
    }
    *count = n;
    return 0;
}

/* "type=s1,s2;type2=s3" */
static int parse_lists(const char *key, const char *spec, state_list_t *out, int *count,
                       char *err, size_t errlen)
{
    int n = 0;
    for (const char *p = spec; *p;) {
        size_t len = strcspn(p, ";");
        const char *eq = memchr(p, '=', len);
        state_list_t *l = &out[n];
        if (n == MAX_STATE_LISTS || !eq || take(l->type, sizeof l->type, p, (size_t)(eq - p)) ||
            (size_t)(p + len - eq) + 1 >= sizeof l->states || eq + 1 == p + len) {
            snprintf(err, errlen, "%s: want TYPE=STATE,STATE;... (entry %d)", key, n + 1);
            return -1;
        }
        snprintf(l->states, sizeof l->states, ",%.*s,", (int)(p + len - eq - 1), eq + 1);
        if (strstr(l->states, ",,") || strchr(l->states, ' ')) {
            snprintf(err, errlen, "%s: an empty state or a space in entry %d", key, n + 1);
            return -1;
        }
        n++;
        p += len;
        if (*p == ';')
            p++;
    }
    *count = n;
    return 0;
}

int ol_sla_state_in(const char *which, const char *type, const char *state)
{
    if (!state)
        return 0;
    for (int w = 0; w < 4; w++) {
        if (strcmp(which, list_names[w]))
            continue;
        for (int k = 0; k < nlists[w]; k++) {
            if (strcmp(lists[w][k].type, type))
                continue;
            const char *s = lists[w][k].states;
            size_t n = strlen(state);
            for (const char *q = s; (q = strstr(q, state)); q++)
                if (q[-1] == ',' && q[n] == ',')
                    return 1;
        }
    }
    return 0;
}

const ol_sla_policy_t *ol_sla_policy_find(const char *type, const char *category,
                                          const char *priority)
{
    const ol_sla_policy_t *any = NULL;
    if (!priority)
        return NULL;
    for (int k = 0; k < npolicies; k++) {
        const ol_sla_policy_t *p = &policies[k];
        if (strcmp(p->type, type) || strcmp(p->priority, priority))
            continue;
        if (category && !strcmp(p->category, category))
            return p;
        if (!strcmp(p->category, "*"))
            any = p;
    }
    return any;
}

int ol_sla_type_has_policy(const char *type)
{
    for (int k = 0; k < npolicies; k++)
        if (!strcmp(policies[k].type, type))
            return 1;
    return 0;
}

/* The calendar file: the configured one, or calendars/CN.json beside the binary if there. */
static int load_calendar(const char *configured, ol_cal_days_t *out, char *err, size_t errlen)
{
    char path[PATH_MAX];
    if (*configured)
        return ol_cal_days_load(configured, out, err, errlen);
    ssize_t n = readlink("/proc/self/exe", path, sizeof path - 32);
    char *slash = n > 0 ? memrchr(path, '/', (size_t)n) : NULL;
    memset(out, 0, sizeof *out);
    if (!slash)
        return 0;
    strcpy(slash, "/calendars/CN.json");
    if (access(path, F_OK))
        return 0; /* not shipped beside this binary: plain weekdays */
    return ol_cal_days_load(path, out, err, errlen);
}

int ol_config_check_sla(const ol_config_t *cfg, char *err, size_t errlen)
{
    static ol_sla_policy_t parsed[MAX_POLICIES];
    static state_list_t parsed_lists[4][MAX_STATE_LISTS];
    int n, counts[4], start, end, offset;
    const char *specs[] = {cfg->sla_response_states, cfg->sla_resolution_states,
                           cfg->sla_pause_states, cfg->sla_cancel_states};
    static const char *const keys[] = {"sla_response_states", "sla_resolution_states",
                                       "sla_pause_states", "sla_cancel_states"};
    if (parse_policies(cfg->sla_policies, parsed, &n, err, errlen))
        return -1;
    for (int w = 0; w < 4; w++)
        if (parse_lists(keys[w], specs[w], parsed_lists[w], &counts[w], err, errlen))
            return -1;
    char *endp;
    long pct = strtol(cfg->sla_warn_percent, &endp, 10);
    if (*endp || endp == cfg->sla_warn_percent || pct < 1 || pct > 99) {
        snprintf(err, errlen, "sla_warn_percent = '%s': use 1 to 99", cfg->sla_warn_percent);
        return -1;
    }
    long batch = strtol(cfg->sla_sweep_batch, &endp, 10);
    if (*endp || endp == cfg->sla_sweep_batch || batch < 1 || batch > 100000) {
        snprintf(err, errlen, "sla_sweep_batch = '%s': use 1 to 100000", cfg->sla_sweep_batch);
        return -1;
    }
    if (ol_cal_parse_hours(cfg->sla_work_hours, &start, &end)) {
        snprintf(err, errlen, "sla_work_hours = '%s': use HH:MM-HH:MM, start before end",
                 cfg->sla_work_hours);
        return -1;
    }
    if (ol_cal_parse_zone(cfg->sla_timezone, &offset)) {
        snprintf(err, errlen, "sla_timezone = '%s': use Asia/Shanghai, UTC or an offset such as "
                 "+08:00 (fixed: no daylight saving time)", cfg->sla_timezone);
        return -1;
    }
    ol_cal_days_t days;
    char why[400];
    if (load_calendar(cfg->sla_calendar_file, &days, why, sizeof why)) {
        snprintf(err, errlen, "sla_calendar_file: %s", why);
        return -1;
    }
    /* All valid: put it in effect (at start, before any thread reads it). */
    memcpy(policies, parsed, sizeof policies);
    npolicies = n;
    memcpy(lists, parsed_lists, sizeof lists);
    memcpy(nlists, counts, sizeof nlists);
    warn_percent = (int)pct;
    ol_cal_days_free(&cal_days);
    cal_days = days;
    for (int k = 0; k < 2; k++) {
        calendars[k].offset = offset;
        calendars[k].work_start = start;
        calendars[k].work_end = end;
        calendars[k].days = &cal_days;
    }
    return 0;
}

int ol_sla_check_types(char *err, size_t errlen)
{
    for (int k = 0; k < npolicies; k++) {
        const ol_sla_policy_t *p = &policies[k];
        const ol_record_type_t *t = ol_schema_by_name(p->type);
        const ol_field_t *prio = t ? ol_schema_field(t, "priority") : NULL;
        const ol_field_t *cat = t ? ol_schema_field(t, "category") : NULL;
        int ok_prio = 0, ok_cat = !strcmp(p->category, "*");
        for (const char *const *v = prio ? prio->values : NULL; v && *v; v++)
            ok_prio |= !strcmp(*v, p->priority);
        for (const char *const *v = cat ? cat->values : NULL; v && *v; v++)
            ok_cat |= !strcmp(*v, p->category);
        if (!t || !ok_prio || !ok_cat) {
            snprintf(err, errlen, "sla_policies: entry %d: %s", k + 1,
                     !t ? "no record type has that name" : !ok_prio
                         ? "the type has no such priority (an enumerated priority field)"
                         : "the type has no such category (use * for any)");
            return -1;
        }
    }
    for (int w = 0; w < 4; w++)
        for (int k = 0; k < nlists[w]; k++) {
            const ol_record_type_t *t = ol_schema_by_name(lists[w][k].type);
            char states[512];
            snprintf(states, sizeof states, "%s", lists[w][k].states + 1);
            for (char *save = NULL, *s = strtok_r(states, ",", &save); t && s;
                 s = strtok_r(NULL, ",", &save))
                if (!ol_schema_state_valid(t, s)) {
                    snprintf(err, errlen, "sla_%s_states: %s has no state '%s'", list_names[w],
                             t->name, s);
                    return -1;
                }
            if (!t) {
                snprintf(err, errlen, "sla_%s_states: no record type '%s'", list_names[w],
                         lists[w][k].type);
                return -1;
            }
        }
    if (npolicies && cal_days.last_year) {
        time_t now = time(NULL);
        struct tm tm;
        gmtime_r(&now, &tm);
        if (tm.tm_year + 1900 > cal_days.last_year)
            ol_log(OL_LOG_WARN, "I4: the calendar file covers %d-%d only: add this year's "
                   "holidays (5x8 SLA targets count plain weekdays meanwhile)",
                   cal_days.first_year, cal_days.last_year);
    }
    return 0;
}
