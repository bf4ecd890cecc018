/* modules/intake_read.c - I1: the three payloads monitoring sends, read into ol_alert_t:
 * Prometheus Alertmanager's webhook (version 4, as Alertmanager posts it), the JSON a Zabbix
 * webhook media type posts (docs/user-guide.md has the script), and the generic event API.
 * Every problem is a per-field error naming the field ("alerts[2].status"); nothing is kept of
 * a payload with an error. Also the parsers of the label and severity policies. */
#include <ctype.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/mem.h"
#include "modules/incident_policy.h"
#include "modules/intake.h"
#include "records/schema.h"

#define TITLE_MAX 200   /* characters, as the incident's title field */
#define TEXT_MAX 19000  /* bytes of a description (the field holds 20000 characters) */
#define SHORT_MAX 200   /* bytes of a key, name, service or CI */

void ol_alerts_clear(ol_alerts_t *a)
{
    for (size_t i = 0; i < a->n; i++) {
        ol_alert_t *x = &a->items[i];
        free(x->key);
        free(x->name);
        free(x->title);
        free(x->description);
        free(x->severity);
        free(x->service);
        free(x->ci);
        free(x->starts_at);
        free(x->url);
        json_decref(x->labels);
    }
    free(a->items);
    memset(a, 0, sizeof *a);
}

static ol_alert_t *push(ol_alerts_t *a)
{
    if (a->n == a->cap) {
        a->cap = a->cap ? a->cap * 2 : 16;
        a->items = ol_xrealloc(a->items, a->cap * sizeof(*a->items));
    }
    ol_alert_t *x = &a->items[a->n++];
    memset(x, 0, sizeof *x);
    return x;
}

/* Cuts s to at most max bytes at a character boundary and replaces control characters (but
 * newlines and tabs when multiline) by spaces: alert texts become valid record fields. */
static char *clean(const char *s, size_t max, int multiline)
{
    size_t n = strlen(s);
    if (n > max) {
        n = max;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
    }
    char *out = ol_xstrndup(s, n);
    for (char *p = out; *p; p++)
        if ((unsigned char)*p < 0x20 && !(multiline && (*p == '\n' || *p == '\t')))
            *p = ' ';
        else if (*p == 0x7f)
            *p = ' ';
    return out;
}

/* The title: at most TITLE_MAX characters, at least 3. */
static char *title_of(const char *text)
{
    char buf[4 * TITLE_MAX + 8];
    size_t chars = 0, n = 0;
    for (const char *p = text; *p && n < sizeof buf - 8; p++) {
        if (((unsigned char)*p & 0xC0) != 0x80 && ++chars > TITLE_MAX)
            break;
        buf[n++] = *p;
    }
    buf[n] = 0;
    while (n > 0 && buf[n - 1] == ' ')
        buf[--n] = 0;
    if (chars < 3 || n < 3) {
        char alt[sizeof buf + 16];
        snprintf(alt, sizeof alt, "Alert: %s", buf);
        return clean(alt, sizeof buf, 0);
    }
    return clean(buf, sizeof buf, 0);
}

static void lower(char *s)
{
    for (; *s; s++)
        *s = *s == ' ' ? '_' : (char)tolower((unsigned char)*s);
}

static void field_error(ol_ctx_t *c, const char *prefix, const char *name, const char *code,
                        const char *arg)
{
    char f[128];
    snprintf(f, sizeof f, "%s%s", prefix, name);
    ol_schema_add_error(c->errors, f, code, c->lang, arg);
}

/* A string value, or a number as text (Zabbix macros arrive either way); NULL otherwise. */
static const char *text_of(const json_t *v, char *buf, size_t len)
{
    if (json_is_string(v))
        return json_string_value(v);
    if (json_is_integer(v)) {
        snprintf(buf, len, "%lld", (long long)json_integer_value(v));
        return buf;
    }
    return NULL;
}

/* An optional string member: NULL when absent or null; an error when of another type. */
static const char *opt_string(ol_ctx_t *c, const json_t *obj, const char *prefix,
                              const char *name, size_t max)
{
    const json_t *v = json_object_get(obj, name);
    if (!v || json_is_null(v))
        return NULL;
    if (!json_is_string(v)) {
        field_error(c, prefix, name, "type_string", NULL);
        return NULL;
    }
    if (max && json_string_length(v) > max) {
        char m[16];
        snprintf(m, sizeof m, "%zu", max);
        field_error(c, prefix, name, "too_long", m);
        return NULL;
    }
    return json_string_value(v);
}

/* A string-valued object (labels, annotations); NULL when absent; an error otherwise. */
static const json_t *opt_labels(ol_ctx_t *c, const json_t *obj, const char *prefix,
                                const char *name)
{
    const json_t *v = json_object_get(obj, name);
    if (!v || json_is_null(v))
        return NULL;
    const char *k;
    const json_t *x;
    int ok = json_is_object(v);
    if (ok)
        json_object_foreach((json_t *)v, k, x) ok &= json_is_string(x) != 0;
    if (!ok) {
        field_error(c, prefix, name, "type_labels", NULL);
        return NULL;
    }
    return v;
}

/* RFC 3339 (fractions, Z or an offset) to "2026-11-22T10:00:00Z"; NULL for Go's zero time and
 * other times before 1970; *bad set when unreadable. */
static char *iso_utc(const char *s, int *bad)
{
    struct tm tm = {0};
    const char *p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
    if (!p) {
        *bad = 1;
        return NULL;
    }
    if (*p == '.')
        for (p++; isdigit((unsigned char)*p); p++)
            ;
    long off = 0;
    if ((*p == '+' || *p == '-') && isdigit((unsigned char)p[1]) && isdigit((unsigned char)p[2]) &&
        p[3] == ':' && isdigit((unsigned char)p[4]) && isdigit((unsigned char)p[5]) && !p[6]) {
        off = ((p[1] - '0') * 10 + (p[2] - '0')) * 3600 + ((p[4] - '0') * 10 + (p[5] - '0')) * 60;
        off = *p == '-' ? -off : off;
    } else if (strcmp(p, "Z") && strcmp(p, "z")) {
        *bad = 1;
        return NULL;
    }
    if (tm.tm_year < 70)
        return NULL;
    time_t t = timegm(&tm) - off;
    char buf[32];
    return ol_xstrdup(ol_iso_at(t, buf));
}

/* "k=v, k=v" of labels in key order, for descriptions. */
static void labels_text(const json_t *labels, char *buf, size_t len)
{
    buf[0] = 0;
    const char **keys = ol_xcalloc(json_object_size(labels) + 1, sizeof(char *));
    size_t n = 0;
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)labels, k, v) keys[n++] = k;
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && strcmp(keys[j - 1], keys[j]) > 0; j--) {
            const char *t = keys[j];
            keys[j] = keys[j - 1];
            keys[j - 1] = t;
        }
    size_t used = 0;
    for (size_t i = 0; i < n && used < len; i++)
        used += (size_t)snprintf(buf + used, len - used, "%s%s=%s", i ? ", " : "", keys[i],
                                 json_string_value(json_object_get(labels, keys[i])));
    free(keys);
}

/* ---- Alertmanager ---------------------------------------------------------------------------- */

/* Alertmanager's fingerprint is a hash of the labels; a sender that leaves it out gets ours. */
static char *labels_fingerprint(const json_t *labels)
{
    char *text = json_dumps(labels, JSON_COMPACT | JSON_SORT_KEYS);
    unsigned char h[8];
    crypto_generichash(h, sizeof h, (const unsigned char *)text, strlen(text), NULL, 0);
    free(text);
    char hex[17];
    sodium_bin2hex(hex, sizeof hex, h, sizeof h);
    return ol_xstrdup(hex);
}

int ol_intake_read_alertmanager(ol_ctx_t *c, const json_t *body, ol_alerts_t *out)
{
    const json_t *version = json_object_get(body, "version");
    if (version && (!json_is_string(version) || strcmp(json_string_value(version), "4")))
        field_error(c, "", "version", "enum", "4");
    const json_t *alerts = json_object_get(body, "alerts");
    if (!json_is_array(alerts))
        field_error(c, "", "alerts", alerts ? "type_array" : "required", NULL);
    const char *receiver = opt_string(c, body, "", "receiver", 0);
    const char *external = opt_string(c, body, "", "externalURL", 0);
    opt_string(c, body, "", "groupKey", 0);
    opt_labels(c, body, "", "commonLabels");
    opt_labels(c, body, "", "groupLabels");
    if (json_array_size(c->errors))
        return ol_ctx_fail(c, -OL_EINVAL, "the Alertmanager payload is invalid");
    ol_alerts_t got = {0};
    size_t i;
    const json_t *a;
    json_array_foreach(alerts, i, a) {
        char pre[32];
        snprintf(pre, sizeof pre, "alerts[%zu].", i);
        if (!json_is_object(a)) {
            snprintf(pre, sizeof pre, "alerts[%zu]", i);
            field_error(c, pre, "", "type_object", NULL);
            continue;
        }
        size_t before = json_array_size(c->errors);
        const char *status = opt_string(c, a, pre, "status", 0);
        if (!status && !json_object_get(a, "status"))
            field_error(c, pre, "status", "required", NULL);
        else if (status && strcmp(status, "firing") && strcmp(status, "resolved"))
            field_error(c, pre, "status", "enum", "firing, resolved");
        const json_t *labels = opt_labels(c, a, pre, "labels");
        if (!json_object_get(a, "labels"))
            field_error(c, pre, "labels", "required", NULL);
        const json_t *ann = opt_labels(c, a, pre, "annotations");
        const char *starts = opt_string(c, a, pre, "startsAt", 0);
        opt_string(c, a, pre, "endsAt", 0);
        const char *url = opt_string(c, a, pre, "generatorURL", 2000);
        const char *fp = opt_string(c, a, pre, "fingerprint", SHORT_MAX);
        int bad = 0;
        char *start_iso = starts ? iso_utc(starts, &bad) : NULL;
        if (bad)
            field_error(c, pre, "startsAt", "rfc3339", NULL);
        if (json_array_size(c->errors) > before) {
            free(start_iso);
            continue;
        }
        ol_alert_t *x = push(&got);
        x->key = fp && *fp ? ol_xstrdup(fp) : labels_fingerprint(labels);
        x->resolved = !strcmp(status, "resolved");
        const char *name = json_string_value(json_object_get(labels, "alertname"));
        x->name = clean(name && *name ? name : "alert", SHORT_MAX, 0);
        const char *summary = json_string_value(json_object_get(ann, "summary"));
        const char *instance = json_string_value(json_object_get(labels, "instance"));
        char t[4 * TITLE_MAX];
        if (summary && *summary)
            snprintf(t, sizeof t, "%s: %s", x->name, summary);
        else if (instance && *instance)
            snprintf(t, sizeof t, "%s on %s", x->name, instance);
        else
            snprintf(t, sizeof t, "%s", x->name);
        x->title = title_of(t);
        const char *sev = json_string_value(json_object_get(labels, "severity"));
        x->severity = clean(sev ? sev : "", 64, 0);
        lower(x->severity);
        x->starts_at = start_iso;
        x->url = clean(url ? url : "", 2000, 0);
        x->labels = json_deep_copy(labels);
        const char *descr = json_string_value(json_object_get(ann, "description"));
        char lt[4096];
        labels_text(labels, lt, sizeof lt);
        char *d;
        if (asprintf(&d, "%s%sLabels: %s\nSource: %s\nAlertmanager: %s (receiver %s)",
                     descr ? descr : "", descr ? "\n\n" : "", lt, url ? url : "-",
                     external ? external : "-", receiver ? receiver : "-") < 0)
            abort();
        x->description = clean(d, TEXT_MAX, 1);
        free(d);
    }
    if (json_array_size(c->errors)) {
        ol_alerts_clear(&got);
        return ol_ctx_fail(c, -OL_EINVAL, "the Alertmanager payload is invalid");
    }
    *out = got;
    return 0;
}

/* ---- Zabbix ---------------------------------------------------------------------------------- */

static const char *const zabbix_severities[] = {"not_classified", "information", "warning",
                                                "average", "high", "disaster"};

/* Zabbix tags as {EVENT.TAGSJSON} gives them ([{"tag", "value"}]) or as an object. */
static int zabbix_tags(ol_ctx_t *c, const json_t *tags, json_t *labels)
{
    size_t i;
    const json_t *t;
    const char *k;
    if (!tags || json_is_null(tags) || (json_is_string(tags) && !*json_string_value(tags)))
        return 0;
    if (json_is_object(tags)) {
        json_object_foreach((json_t *)tags, k, t) if (json_is_string(t))
            json_object_set(labels, k, (json_t *)t);
        return 0;
    }
    if (!json_is_array(tags)) {
        field_error(c, "", "tags", "type_tags_zabbix", NULL);
        return -1;
    }
    json_array_foreach(tags, i, t) {
        const char *tag = json_string_value(json_object_get(t, "tag"));
        const char *val = json_string_value(json_object_get(t, "value"));
        if (!tag) {
            field_error(c, "", "tags", "type_tags_zabbix", NULL);
            return -1;
        }
        json_object_set_new(labels, tag, json_string(val ? val : ""));
    }
    return 0;
}

int ol_intake_read_zabbix(ol_ctx_t *c, const json_t *body, ol_alerts_t *out)
{
    char b1[32], b2[32], b3[32];
    const json_t *idv = json_object_get(body, "event_id");
    const char *id = text_of(idv, b1, sizeof b1);
    if (!id || !*id || strlen(id) > SHORT_MAX)
        field_error(c, "", "event_id", idv ? "type_string" : "required", NULL);
    const char *status = opt_string(c, body, "", "status", 0);
    const json_t *vv = json_object_get(body, "event_value");
    const char *value = text_of(vv, b2, sizeof b2);
    int by_status = -1, by_value = -1;
    if (status && !strcasecmp(status, "PROBLEM"))
        by_status = 0;
    else if (status && (!strcasecmp(status, "RESOLVED") || !strcasecmp(status, "OK")))
        by_status = 1;
    else if (status)
        field_error(c, "", "status", "enum", "PROBLEM, RESOLVED");
    if (value && (!strcmp(value, "0") || !strcmp(value, "1")))
        by_value = !strcmp(value, "0");
    else if (vv && !json_is_null(vv))
        field_error(c, "", "event_value", "enum", "1, 0");
    if (by_status >= 0 && by_value >= 0 && by_status != by_value)
        field_error(c, "", "event_value", "bad_filter", "contradicts status");
    if (!status && (!vv || json_is_null(vv)))
        field_error(c, "", "status", "required", NULL);
    int resolved = by_status >= 0 ? by_status : by_value;
    const char *trigger = opt_string(c, body, "", "trigger_name", 0);
    if (!trigger || !*trigger) {
        if (resolved == 0)
            field_error(c, "", "trigger_name", "required", NULL);
        trigger = "Zabbix trigger";
    }
    const json_t *sv = json_object_get(body, "severity");
    const char *sev = text_of(sv, b3, sizeof b3);
    if (sv && !json_is_null(sv) && !sev)
        field_error(c, "", "severity", "type_string", NULL);
    const char *host = opt_string(c, body, "", "host", SHORT_MAX);
    const char *descr = opt_string(c, body, "", "trigger_description", 0);
    const char *msg = opt_string(c, body, "", "message", 0);
    const char *url = opt_string(c, body, "", "event_url", 2000);
    const char *service = opt_string(c, body, "", "service", SHORT_MAX);
    json_t *labels = json_object();
    zabbix_tags(c, json_object_get(body, "tags"), labels);
    if (json_array_size(c->errors)) {
        json_decref(labels);
        return ol_ctx_fail(c, -OL_EINVAL, "the Zabbix payload is invalid");
    }
    ol_alert_t *x = push(out);
    x->key = ol_xstrdup(id);
    x->resolved = resolved;
    x->name = clean(trigger, SHORT_MAX, 0);
    char t[4 * TITLE_MAX];
    snprintf(t, sizeof t, host && *host ? "%s on %s" : "%s", trigger, host);
    x->title = title_of(t);
    char sevname[64] = "";
    if (sev) {
        char *end;
        long k = strtol(sev, &end, 10);
        if (!*end && end != sev && k >= 0 && k <= 5)
            snprintf(sevname, sizeof sevname, "%s", zabbix_severities[k]);
        else
            snprintf(sevname, sizeof sevname, "%s", sev);
    }
    x->severity = clean(sevname, 64, 0);
    lower(x->severity);
    json_object_set_new(labels, "trigger", json_string(x->name));
    if (host && *host)
        json_object_set_new(labels, "host", json_string(host));
    if (service && *service)
        json_object_set_new(labels, "service", json_string(service));
    if (*x->severity)
        json_object_set_new(labels, "severity", json_string(x->severity));
    x->labels = labels;
    x->url = clean(url ? url : "", 2000, 0);
    char lt[4096];
    labels_text(labels, lt, sizeof lt);
    char *d;
    if (asprintf(&d, "%s%s%s%sLabels: %s\nSource: Zabbix event %s %s", descr ? descr : "",
                 descr && *descr ? "\n\n" : "", msg ? msg : "", msg && *msg ? "\n\n" : "", lt, id,
                 url ? url : "") < 0)
        abort();
    x->description = clean(d, TEXT_MAX, 1);
    free(d);
    return 0;
}

/* ---- the generic event API ------------------------------------------------------------------- */

int ol_intake_read_event(ol_ctx_t *c, const json_t *body, ol_alerts_t *out)
{
    static const char *const keys[] = {"dedupe_key", "summary", "severity", "source", "service",
                                       "ci", "status", "labels", "description", "url",
                                       "started_at", NULL};
    ol_input_check_keys(body, keys, c->lang, c->errors);
    const char *key = opt_string(c, body, "", "dedupe_key", SHORT_MAX);
    if (!key || !*key)
        field_error(c, "", "dedupe_key", json_object_get(body, "dedupe_key") ? "too_short"
                                                                             : "required", "1");
    const char *status = opt_string(c, body, "", "status", 0);
    if (status && strcmp(status, "firing") && strcmp(status, "resolved"))
        field_error(c, "", "status", "enum", "firing, resolved");
    int resolved = status && !strcmp(status, "resolved");
    const char *summary = opt_string(c, body, "", "summary", 1000);
    if ((!summary || !*summary) && !resolved)
        field_error(c, "", "summary", "required", NULL);
    const char *sev = opt_string(c, body, "", "severity", 64);
    const char *source = opt_string(c, body, "", "source", SHORT_MAX);
    const char *service = opt_string(c, body, "", "service", SHORT_MAX);
    const char *ci = opt_string(c, body, "", "ci", SHORT_MAX);
    const char *descr = opt_string(c, body, "", "description", TEXT_MAX);
    const char *url = opt_string(c, body, "", "url", 2000);
    const char *started = opt_string(c, body, "", "started_at", 0);
    const json_t *labels = opt_labels(c, body, "", "labels");
    int bad = 0;
    char *start_iso = started ? iso_utc(started, &bad) : NULL;
    if (bad)
        field_error(c, "", "started_at", "rfc3339", NULL);
    if (json_array_size(c->errors)) {
        free(start_iso);
        return ol_ctx_fail(c, -OL_EINVAL, "the event is invalid");
    }
    ol_alert_t *x = push(out);
    x->key = ol_xstrdup(key);
    x->resolved = resolved;
    x->name = clean(summary && *summary ? summary : key, SHORT_MAX, 0);
    x->title = title_of(summary && *summary ? summary : key);
    x->severity = clean(sev ? sev : "", 64, 0);
    lower(x->severity);
    x->service = service && *service ? clean(service, SHORT_MAX, 0) : NULL;
    x->ci = ci && *ci ? clean(ci, SHORT_MAX, 0) : NULL;
    x->starts_at = start_iso;
    x->url = clean(url ? url : "", 2000, 0);
    x->labels = labels ? json_deep_copy(labels) : json_object();
    if (source && *source)
        json_object_set_new(x->labels, "source", json_string(source));
    char lt[4096];
    labels_text(x->labels, lt, sizeof lt);
    char *d;
    if (asprintf(&d, "%s%sLabels: %s\nSource: %s %s", descr ? descr : "", descr ? "\n\n" : "",
                 lt, source ? source : "event API", url ? url : "") < 0)
        abort();
    x->description = clean(d, TEXT_MAX, 1);
    free(d);
    return 0;
}

/* ---- policies -------------------------------------------------------------------------------- */

static int label_name_ok(const char *s, size_t n)
{
    if (n == 0 || n > 63)
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] <= ' ' || strchr("=;,/", s[i]))
            return 0;
    return 1;
}

int ol_intake_label_rules(const char *spec, const char *field, char *buf, size_t buflen,
                          const char **out, size_t outmax, char *err, size_t errlen)
{
    size_t len = strlen(spec), used = 0;
    int found = 0;
    if (len + 1 > buflen) {
        snprintf(err, errlen, "too long");
        return -1;
    }
    memcpy(buf, spec, len + 1);
    out[0] = NULL;
    for (char *save = NULL, *rule = strtok_r(buf, ";", &save); rule;
         rule = strtok_r(NULL, ";", &save)) {
        char *eq = strchr(rule, '=');
        if (!eq || (strncmp(rule, "service=", 8) && strncmp(rule, "ci=", 3))) {
            snprintf(err, errlen, "want field=label[,label...] rules separated by ';' for the "
                                  "fields service and ci, e.g. service=service;ci=instance,host");
            return -1;
        }
        *eq = 0;
        int mine = !strcmp(rule, field);
        if (!eq[1] || eq[1] == ',') {
            snprintf(err, errlen, "the rule for %s names no label", rule);
            return -1;
        }
        for (char *s2 = NULL, *l = strtok_r(eq + 1, ",", &s2); l; l = strtok_r(NULL, ",", &s2)) {
            if (!label_name_ok(l, strlen(l))) {
                snprintf(err, errlen, "'%.64s' is not a label name", l);
                return -1;
            }
            if (mine && used + 1 < outmax) {
                out[used++] = l;
                out[used] = NULL;
                found = 1;
            }
        }
    }
    return found ? (int)used : 0;
}

int ol_intake_severity(const char *spec, const char *severity, const char **impact,
                       const char **urgency, char *err, size_t errlen)
{
    int found = 0;
    size_t len = strlen(spec);
    if (len && spec[len - 1] == ';') {
        snprintf(err, errlen, "a trailing ';'");
        return -1;
    }
    for (const char *p = spec; *p;) {
        size_t n = strcspn(p, ";");
        const char *eq = memchr(p, '=', n), *slash = eq ? memchr(eq, '/', n - (size_t)(eq - p))
                                                      : NULL;
        int iu[2] = {-1, -1};
        if (eq && slash && label_name_ok(p, (size_t)(eq - p)))
            for (int k = 0; ol_incident_levels3[k]; k++) {
                size_t kl = strlen(ol_incident_levels3[k]);
                if ((size_t)(slash - eq - 1) == kl && !strncmp(eq + 1, ol_incident_levels3[k], kl))
                    iu[0] = k;
                if (n - (size_t)(slash + 1 - p) == kl &&
                    !strncmp(slash + 1, ol_incident_levels3[k], kl))
                    iu[1] = k;
            }
        if (iu[0] < 0 || iu[1] < 0) {
            snprintf(err, errlen, "want severity=impact/urgency entries separated by ';' "
                                  "(impact and urgency: high, medium, low), at '%.*s'",
                     (int)(n > 64 ? 64 : n), p);
            return -1;
        }
        if (!found && severity && strlen(severity) == (size_t)(eq - p) &&
            !strncmp(p, severity, (size_t)(eq - p))) {
            *impact = ol_incident_levels3[iu[0]];
            *urgency = ol_incident_levels3[iu[1]];
            found = 1;
        }
        p += n + (p[n] == ';');
    }
    return found;
}

int ol_config_check_intake(const ol_config_t *cfg, char *err, size_t errlen)
{
    char buf[1024], why[200];
    const char *labels[16], *imp, *urg;
    if (ol_intake_label_rules(cfg->intake_label_map, "service", buf, sizeof buf, labels, 16, why,
                              sizeof why) < 0) {
        snprintf(err, errlen, "intake_label_map: %s", why);
        return -1;
    }
    if (ol_intake_severity(cfg->intake_severity_map, NULL, &imp, &urg, why, sizeof why) < 0) {
        snprintf(err, errlen, "intake_severity_map: %s", why);
        return -1;
    }
    char one[80];
    snprintf(one, sizeof one, "x=%s", cfg->intake_severity_default);
    if (ol_intake_severity(one, "x", &imp, &urg, why, sizeof why) != 1) {
        snprintf(err, errlen, "intake_severity_default: want impact/urgency, e.g. medium/medium");
        return -1;
    }
    if (strcmp(cfg->intake_resolved_action, "annotate") &&
        strcmp(cfg->intake_resolved_action, "resolve")) {
        snprintf(err, errlen, "intake_resolved_action: use annotate or resolve");
        return -1;
    }
    long n = ol_config_int(cfg->intake_storm_threshold);
    long w = ol_config_int(cfg->intake_storm_window_seconds);
    if (n < 0 || n > 100000 || w < 1 || w > 86400) {
        snprintf(err, errlen, "intake_storm_threshold must be 0-100000 and "
                              "intake_storm_window_seconds 1-86400");
        return -1;
    }
    return 0;
}
