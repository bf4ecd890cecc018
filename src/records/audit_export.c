/* records/audit_export.c - one audit entry as a line for a SIEM: JSON lines, or RFC 5424
 * syslog with the entry in structured data (SD-ID opsledger@32473). */
#include "records/audit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FACILITY_AUDIT 13 /* RFC 5424 §6.2.1: "log audit" */
#define SD_ID "opsledger@32473"

void ol_audit_jsonl_line(const ol_audit_entry_t *e, ol_buf_t *b)
{
    json_t *v = ol_audit_entry_json(e);
    char *s = json_dumps(v, JSON_COMPACT);
    json_decref(v);
    ol_buf_puts(b, s ? s : "{}");
    ol_buf_puts(b, "\n");
    free(s);
}

/* A header field (HOSTNAME, MSGID): printable US-ASCII without spaces, at most max bytes;
 * "-" when empty (RFC 5424 §6.2: the NILVALUE). */
static void header_field(ol_buf_t *b, const char *v, size_t max)
{
    size_t n = 0;
    for (; v && v[n] && n < max; n++) {
        unsigned char ch = (unsigned char)v[n];
        ol_buf_append(b, ch >= 33 && ch <= 126 ? (const char *)&v[n] : "_", 1);
    }
    if (n == 0)
        ol_buf_puts(b, "-");
}

/* PARAM-VALUE: '"', '\' and ']' are escaped with a backslash (RFC 5424 §6.3.3). */
static void sd_param(ol_buf_t *b, const char *name, const char *v)
{
    ol_buf_printf(b, " %s=\"", name);
    for (; v && *v; v++) {
        if (*v == '"' || *v == '\\' || *v == ']')
            ol_buf_puts(b, "\\");
        ol_buf_append(b, v, 1);
    }
    ol_buf_puts(b, "\"");
}

static int syslog_severity(const ol_audit_entry_t *e)
{
    if (e->severity && !strcmp(e->severity, "high"))
        return 2; /* critical */
    if (!e->result || strcmp(e->result, "ok"))
        return 4; /* warning: denied, failed, refused */
    return 6;     /* informational */
}

void ol_audit_syslog_line(const ol_audit_entry_t *e, const char *host, ol_buf_t *b)
{
    char seq[24];
    snprintf(seq, sizeof seq, "%lld", e->seq);
    ol_buf_printf(b, "<%d>1 ", FACILITY_AUDIT * 8 + syslog_severity(e));
    header_field(b, e->at, 32);
    ol_buf_puts(b, " ");
    header_field(b, host, 255);
    ol_buf_puts(b, " opsledger - ");
    header_field(b, e->action, 32);
    ol_buf_puts(b, " [" SD_ID);
    sd_param(b, "actor", e->actor);
    sd_param(b, "target", e->target);
    sd_param(b, "ip", e->ip);
    sd_param(b, "result", e->result);
    sd_param(b, "severity", e->severity);
    sd_param(b, "seq", seq);
    sd_param(b, "hash", e->hash);
    ol_buf_puts(b, "]");
    if (e->detail && *e->detail) {
        /* One line per entry: control characters in MSG become spaces. */
        ol_buf_puts(b, " ");
        size_t at = b->len;
        ol_buf_puts(b, e->detail);
        for (size_t i = at; i < b->len; i++)
            if ((unsigned char)b->p[i] < 32 || b->p[i] == 127)
                b->p[i] = ' ';
    }
    ol_buf_puts(b, "\n");
}
