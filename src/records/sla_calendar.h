/* records/sla_calendar.h - business calendars for SLA targets (REQUIREMENTS I4): 7x24, and 5x8
 * (working hours on working days) with public holidays and the Chinese adjusted working days
 * (调休: a Saturday or Sunday that is worked), read per year from a data file the admin edits
 * (calendars/CN.json). The calendar's time zone is a fixed offset from UTC (Asia/Shanghai is
 * UTC+8 all year, with no daylight saving time). */
#ifndef OL_SLA_CALENDAR_H
#define OL_SLA_CALENDAR_H
#include <stddef.h>
#include <time.h>

typedef enum { OL_CAL_7X24, OL_CAL_5X8 } ol_cal_kind_t;

/* The days of a calendar file: local day numbers (days since 1970-01-01), sorted. */
typedef struct {
    long *holidays;
    size_t nholidays;
    long *workdays;
    size_t nworkdays;
    int first_year, last_year; /* the years the file covers (0 when none) */
} ol_cal_days_t;

typedef struct {
    ol_cal_kind_t kind;
    int offset;                  /* seconds east of UTC */
    int work_start, work_end;    /* 5x8: seconds from local midnight, start < end */
    const ol_cal_days_t *days;   /* 5x8: holidays and 调休 days; NULL = none */
} ol_calendar_t;

/* Parses a calendar file's text (JSON: {"2026": {"holidays": [{"name", "from", "to"}],
 * "workdays": [{"name", "date"}]}, ...}; keys starting with '_' are comments). source names the
 * file in errors, which give the line of a syntax error or the year and entry at fault.
 * Returns 0, or -1 with the reason in err. Free with ol_cal_days_free. */
int ol_cal_days_parse(const char *text, const char *source, ol_cal_days_t *out, char *err,
                      size_t errlen);
/* The same from a file. */
int ol_cal_days_load(const char *path, ol_cal_days_t *out, char *err, size_t errlen);
void ol_cal_days_free(ol_cal_days_t *d);

/* "09:00-18:00" into seconds from midnight; 0, or -1 when malformed or not start < end. */
int ol_cal_parse_hours(const char *spec, int *start, int *end);
/* "Asia/Shanghai", "UTC" or "+08:00" / "-05:30" into seconds east of UTC; 0 or -1. */
int ol_cal_parse_zone(const char *spec, int *offset);

/* 1 when the local day (days since 1970-01-01 in the calendar's zone) is a working day. */
int ol_cal_working_day(const ol_calendar_t *cal, long day);
/* The moment `seconds` business seconds after from (from itself when seconds <= 0). In 5x8
 * time outside working hours does not count: a target that runs out exactly at the end of a
 * working day ends there, not at the next day's start. */
time_t ol_cal_add(const ol_calendar_t *cal, time_t from, long long seconds);
/* Business seconds between a and b (0 when b <= a). */
long long ol_cal_between(const ol_calendar_t *cal, time_t a, time_t b);
/* The same in minutes, as the policies state their targets. */
#define ol_cal_add_minutes(cal, from, minutes) ol_cal_add((cal), (from), (long long)(minutes) * 60)
#define ol_cal_minutes_between(cal, a, b) (ol_cal_between((cal), (a), (b)) / 60)

#endif
