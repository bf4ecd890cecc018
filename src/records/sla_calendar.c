/* records/sla_calendar.c - business-time arithmetic over 7x24 and 5x8 calendars (I4). */
#include "records/sla_calendar.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"

#define DAY 86400L
#define MAX_DAYS 3660 /* the longest stretch add/between walk: ten years of days */

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
static long days_from_civil(long y, unsigned m, unsigned d)
{
    y -= m <= 2;
    long era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (long)doe - 719468;
}

/* "2026-02-15" into a day number and its year; 0, or -1 when it is not a real date. */
static int parse_date(const char *s, long *day, int *year)
{
    int y, m, d, n = 0;
    if (!s || sscanf(s, "%4d-%2d-%2d%n", &y, &m, &d, &n) != 3 || n != 10 || s[10] || m < 1 ||
        m > 12 || d < 1 || y < 1970 || y > 9999)
        return -1;
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100) || y % 400 == 0;
    if (d > mdays[m - 1] || (m == 2 && d == 29 && !leap))
        return -1;
    *day = days_from_civil(y, (unsigned)m, (unsigned)d);
    *year = y;
    return 0;
}

/* 0 = Sunday .. 6 = Saturday; 1970-01-01 was a Thursday. */
static int weekday(long day)
{
    long w = (day + 4) % 7;
    return (int)(w < 0 ? w + 7 : w);
}

static int cmp_long(const void *a, const void *b)
{
    long x = *(const long *)a, y = *(const long *)b;
    return (x > y) - (x < y);
}

static int contains(const long *v, size_t n, long day)
{
    return n && bsearch(&day, v, n, sizeof *v, cmp_long) != NULL;
}

static void push(long **v, size_t *n, size_t *cap, long day)
{
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 32;
        *v = ol_xrealloc(*v, *cap * sizeof **v);
    }
    (*v)[(*n)++] = day;
}

void ol_cal_days_free(ol_cal_days_t *d)
{
    free(d->holidays);
    free(d->workdays);
    memset(d, 0, sizeof *d);
}

/* One year's object. Returns 0 or -1 with err set. */
static int parse_year(const char *source, const char *key, const json_t *o, ol_cal_days_t *out,
                      size_t *hcap, size_t *wcap, char *err, size_t errlen)
{
    int year = 0, n = 0;
    if (sscanf(key, "%4d%n", &year, &n) != 1 || n != 4 || key[4] || year < 1970) {
        snprintf(err, errlen, "%s: '%s' is not a year (want \"2026\": {...})", source, key);
        return -1;
    }
    if (!json_is_object(o)) {
        snprintf(err, errlen, "%s: %s: want an object with holidays and workdays", source, key);
        return -1;
    }
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)o, k, v) {
        if (strcmp(k, "holidays") && strcmp(k, "workdays") && k[0] != '_') {
            snprintf(err, errlen, "%s: %s: unknown key '%s' (holidays, workdays)", source, key, k);
            return -1;
        }
    }
    static const char *const lists[] = {"holidays", "workdays"};
    for (int l = 0; l < 2; l++) {
        const json_t *arr = json_object_get(o, lists[l]);
        if (arr && !json_is_array(arr)) {
            snprintf(err, errlen, "%s: %s.%s: want a list", source, key, lists[l]);
            return -1;
        }
        size_t i;
        const json_t *e;
        json_array_foreach(arr, i, e) {
            const char *name = json_string_value(json_object_get(e, "name"));
            const char *from = json_string_value(json_object_get(e, l ? "date" : "from"));
            const char *to = l ? from : json_string_value(json_object_get(e, "to"));
            long a, b;
            int ya, yb;
            const char *why = NULL;
            if (!json_is_object(e) || !name || !*name)
                why = "needs a name";
            else if (parse_date(from, &a, &ya))
                why = l ? "'date' is not a date YYYY-MM-DD" : "'from' is not a date YYYY-MM-DD";
            else if (parse_date(to, &b, &yb))
                why = "'to' is not a date YYYY-MM-DD";
            else if (ya != year || yb != year)
                why = "lies outside its year";
            else if (b < a)
                why = "ends before it starts";
            else if (b - a > 31)
                why = "is longer than a month";
            else if (l && weekday(a) != 0 && weekday(a) != 6)
                why = "is not a Saturday or Sunday (an adjusted working day 调休 is a weekend "
                      "day that is worked)";
            if (why) {
                snprintf(err, errlen, "%s: %s.%s[%zu]%s%s%s: %s", source, key, lists[l], i,
                         name ? " (" : "", name ? name : "", name ? ")" : "", why);
                return -1;
            }
            for (long d = a; d <= b; d++) {
                if (contains(l ? out->holidays : out->workdays, l ? out->nholidays : out->nworkdays,
                             d)) {
                    snprintf(err, errlen, "%s: %s.%s[%zu] (%s): a day is both a holiday and a "
                             "working day", source, key, lists[l], i, name);
                    return -1;
                }
                if (l)
                    push(&out->workdays, &out->nworkdays, wcap, d);
                else
                    push(&out->holidays, &out->nholidays, hcap, d);
            }
            /* keep the lists sorted for contains() and bsearch */
            if (l)
                qsort(out->workdays, out->nworkdays, sizeof(long), cmp_long);
            else
                qsort(out->holidays, out->nholidays, sizeof(long), cmp_long);
        }
    }
    if (!out->first_year || year < out->first_year)
        out->first_year = year;
    if (year > out->last_year)
        out->last_year = year;
    return 0;
}

int ol_cal_days_parse(const char *text, const char *source, ol_cal_days_t *out, char *err,
                      size_t errlen)
{
    memset(out, 0, sizeof *out);
    json_error_t je;
    json_t *root = json_loads(text, JSON_REJECT_DUPLICATES, &je);
    if (!root) {
        snprintf(err, errlen, "%s: line %d, column %d: %s", source, je.line, je.column, je.text);
        return -1;
    }
    if (!json_is_object(root)) {
        json_decref(root);
        snprintf(err, errlen, "%s: want an object of years, e.g. {\"2026\": {...}}", source);
        return -1;
    }
    size_t hcap = 0, wcap = 0;
    const char *key;
    json_t *v;
    json_object_foreach(root, key, v) {
        if (key[0] == '_')
            continue;
        if (parse_year(source, key, v, out, &hcap, &wcap, err, errlen)) {
            json_decref(root);
            ol_cal_days_free(out);
            return -1;
        }
    }
    json_decref(root);
    return 0;
}

int ol_cal_days_load(const char *path, ol_cal_days_t *out, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        memset(out, 0, sizeof *out);
        snprintf(err, errlen, "%s: cannot be read", path);
        return -1;
    }
    ol_buf_t b;
    ol_buf_init(&b);
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0 && b.len < (4u << 20))
        ol_buf_append(&b, chunk, n);
    fclose(f);
    ol_buf_append(&b, "", 1);
    int rc = ol_cal_days_parse(b.p, path, out, err, errlen);
    ol_buf_clear(&b);
    return rc;
}

int ol_cal_parse_hours(const char *spec, int *start, int *end)
{
    int h1, m1, h2, m2, n = 0;
    if (!spec || sscanf(spec, "%2d:%2d-%2d:%2d%n", &h1, &m1, &h2, &m2, &n) != 4 || spec[n] ||
        h1 < 0 || h1 > 24 || h2 < 0 || h2 > 24 || m1 < 0 || m1 > 59 || m2 < 0 || m2 > 59 ||
        (h1 == 24 && m1) || (h2 == 24 && m2))
        return -1;
    *start = h1 * 3600 + m1 * 60;
    *end = h2 * 3600 + m2 * 60;
    return *start < *end ? 0 : -1;
}

int ol_cal_parse_zone(const char *spec, int *offset)
{
    if (!spec)
        return -1;
    if (!strcmp(spec, "Asia/Shanghai") || !strcmp(spec, "Asia/Chongqing") ||
        !strcmp(spec, "Asia/Hong_Kong") || !strcmp(spec, "PRC")) {
        *offset = 8 * 3600;
        return 0;
    }
    if (!strcmp(spec, "UTC") || !strcmp(spec, "Etc/UTC")) {
        *offset = 0;
        return 0;
    }
    int h, m, n = 0;
    if ((spec[0] != '+' && spec[0] != '-') || sscanf(spec + 1, "%2d:%2d%n", &h, &m, &n) != 2 ||
        n != 5 || spec[6] || h > 14 || m > 59)
        return -1;
    *offset = (spec[0] == '-' ? -1 : 1) * (h * 3600 + m * 60);
    return 0;
}

int ol_cal_working_day(const ol_calendar_t *cal, long day)
{
    if (cal->kind == OL_CAL_7X24)
        return 1;
    const ol_cal_days_t *d = cal->days;
    if (d && contains(d->workdays, d->nworkdays, day))
        return 1;
    if (d && contains(d->holidays, d->nholidays, day))
        return 0;
    int w = weekday(day);
    return w != 0 && w != 6;
}

/* The local day t falls on, and that day's start as a UTC time. */
static long local_day(const ol_calendar_t *cal, time_t t, time_t *start)
{
    long long local = (long long)t + cal->offset;
    long day = (long)(local >= 0 ? local / DAY : -((-local + DAY - 1) / DAY));
    *start = (time_t)((long long)day * DAY - cal->offset);
    return day;
}

time_t ol_cal_add(const ol_calendar_t *cal, time_t from, long long seconds)
{
    if (seconds <= 0)
        return from;
    if (cal->kind == OL_CAL_7X24)
        return from + (time_t)seconds;
    time_t t = from, day_start;
    long day = local_day(cal, t, &day_start);
    for (int k = 0; k < MAX_DAYS; k++, day++, day_start += DAY) {
        if (!ol_cal_working_day(cal, day))
            continue;
        time_t ws = day_start + cal->work_start, we = day_start + cal->work_end;
        if (t < ws)
            t = ws;
        if (t >= we)
            continue;
        if (seconds <= we - t)
            return t + (time_t)seconds;
        seconds -= we - t;
        t = we;
    }
    return t + (time_t)seconds; /* beyond ten years of days: counted as wall-clock time */
}

long long ol_cal_between(const ol_calendar_t *cal, time_t a, time_t b)
{
    if (b <= a)
        return 0;
    if (cal->kind == OL_CAL_7X24)
        return (long long)(b - a);
    long long sum = 0;
    time_t day_start;
    long day = local_day(cal, a, &day_start);
    for (int k = 0; k < MAX_DAYS && day_start < b; k++, day++, day_start += DAY) {
        if (!ol_cal_working_day(cal, day))
            continue;
        time_t ws = day_start + cal->work_start, we = day_start + cal->work_end;
        time_t lo = a > ws ? a : ws, hi = b < we ? b : we;
        if (hi > lo)
            sum += hi - lo;
    }
    return sum;
}
