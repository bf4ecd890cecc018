/* core/config.c - settings from defaults, a config file, the environment and flags. */
#include "core/config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"

static const char *const keys[] = {
#define XX(key, def, desc) #key,
    OL_CONFIG_MAP(XX)
#undef XX
};
#define NKEYS (sizeof keys / sizeof keys[0])
static const char *const descriptions[] = {
#define XX(key, def, desc) desc,
    OL_CONFIG_MAP(XX)
#undef XX
};

static const char **slot(ol_config_t *cfg, const char *key)
{
    const char **slots = (const char **)cfg;
    char norm[64];
    size_t i;
    for (i = 0; key[i] && i < sizeof norm - 1; i++)
        norm[i] = key[i] == '-' ? '_' : key[i];
    norm[i] = 0;
    for (size_t k = 0; k < NKEYS; k++)
        if (!strcmp(keys[k], norm))
            return &slots[k];
    return NULL;
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = 0;
    return s;
}

/* Forgets the value in *p, freeing it when this load allocated it (a line the file repeats, or
 * a file value that the environment or a flag overrides); returns the slot's index. */
static size_t release(ol_config_t *cfg, char **owned, const char **p)
{
    size_t k = (size_t)(p - (const char **)cfg);
    free(owned[k]);
    owned[k] = NULL;
    return k;
}

static int load_file(ol_config_t *cfg, char **owned, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "cannot read config file %s: %s", path, strerror(errno));
        return -1;
    }
    char line[4096];
    int lineno = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        char *s = trim(line);
        if (!*s || *s == '#')
            continue;
        char *eq = strchr(s, '=');
        if (!eq) {
            snprintf(err, errlen, "%s:%d: expected 'key = value'", path, lineno);
            fclose(f);
            return -1;
        }
        *eq = 0;
        const char **p = slot(cfg, trim(s));
        if (!p) {
            snprintf(err, errlen, "%s:%d: unknown setting '%s'", path, lineno, trim(s));
            fclose(f);
            return -1;
        }
        size_t k = release(cfg, owned, p);
        *p = owned[k] = ol_xstrdup(trim(eq + 1));
    }
    fclose(f);
    return 0;
}

static const ol_config_t defaults = {
#define XX(key, def, desc) .key = def,
    OL_CONFIG_MAP(XX)
#undef XX
};
static const ol_config_t *active = &defaults;

const ol_config_t *ol_config(void)
{
    return active;
}

int ol_config_load(ol_config_t *cfg, int *argc, char **argv, char *err, size_t errlen)
{
    active = cfg;
#define XX(key, def, desc) cfg->key = def;
    OL_CONFIG_MAP(XX)
#undef XX
    /* What this load allocated, by slot; whatever is left in cfg is owned by the process. */
    char *owned[NKEYS] = {0};
    /* --config first, so the file sits below the environment and the other flags. */
    const char *file = getenv("OPSLEDGER_CONFIG");
    for (int i = 1; i < *argc; i++) {
        if (!strcmp(argv[i], "--config") && i + 1 < *argc)
            file = argv[i + 1];
        else if (!strncmp(argv[i], "--config=", 9))
            file = argv[i] + 9;
    }
    if (file && *file && load_file(cfg, owned, file, err, errlen))
        return -1;
    for (size_t k = 0; k < NKEYS; k++) {
        char var[80] = "OPSLEDGER_";
        for (size_t i = 0; keys[k][i]; i++)
            var[10 + i] = (char)toupper((unsigned char)keys[k][i]);
        const char *v = getenv(var);
        if (v) {
            release(cfg, owned, &((const char **)cfg)[k]);
            ((const char **)cfg)[k] = v;
        }
    }
    int out = 1;
    for (int i = 1; i < *argc; i++) {
        const char *a = argv[i];
        if (strncmp(a, "--", 2) != 0 || !strcmp(a, "--")) {
            argv[out++] = argv[i];
            continue;
        }
        char name[64];
        const char *eq = strchr(a, '=');
        size_t n = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
        if (n >= sizeof name) {
            argv[out++] = argv[i];
            continue;
        }
        memcpy(name, a + 2, n);
        name[n] = 0;
        const char **p = !strcmp(name, "config") ? NULL : slot(cfg, name);
        if (!strcmp(name, "config")) {
            if (!eq)
                i++;
            continue;
        }
        if (!p) { /* a subcommand's own flag: leave it */
            argv[out++] = argv[i];
            continue;
        }
        if (eq) {
            release(cfg, owned, p);
            *p = eq + 1;
        } else if (i + 1 < *argc) {
            release(cfg, owned, p);
            *p = argv[++i];
        } else {
            snprintf(err, errlen, "--%s needs a value", name);
            return -1;
        }
    }
    argv[out] = NULL;
    *argc = out;
    /* --data DIR means the database in that directory, unless a database was named too. */
    if (cfg->data && *cfg->data && !strcmp(cfg->db, "sqlite:./data/opsledger.db")) {
        ol_buf_t b;
        ol_buf_init(&b);
        ol_buf_printf(&b, "sqlite:%s/opsledger.db", cfg->data);
        release(cfg, owned, &cfg->db);
        cfg->db = ol_buf_steal(&b);
    }
    return 0;
}

long ol_config_int(const char *value)
{
    char *end;
    errno = 0;
    long v = strtol(value, &end, 10);
    if (errno || *end || end == value)
        return -1;
    return v;
}

const char *ol_config_db_url(const ol_config_t *cfg)
{
    return cfg->db;
}

int ol_config_check(const ol_config_t *cfg, char *err, size_t errlen)
{
    static const struct {
        size_t off;
        const char *name;
        long min, max;
    } ints[] = {
        {offsetof(ol_config_t, threads), "threads", 1, 256},
        {offsetof(ol_config_t, db_readers), "db_readers", 1, 256},
        {offsetof(ol_config_t, max_body), "max_body", 1024, 1L << 30},
        {offsetof(ol_config_t, max_header), "max_header", 4096, 1L << 20},
        {offsetof(ol_config_t, max_json_depth), "max_json_depth", 2, 512},
        {offsetof(ol_config_t, request_timeout), "request_timeout", 1, 3600},
        {offsetof(ol_config_t, max_connections), "max_connections", 16, 1000000},
        {offsetof(ol_config_t, session_hours), "session_hours", 1, 24 * 90},
        {offsetof(ol_config_t, password_min_length), "password_min_length", 6, 128},
        {offsetof(ol_config_t, password_min_length_privileged), "password_min_length_privileged", 8, 128},
        {offsetof(ol_config_t, password_min_classes), "password_min_classes", 1, 4},
        {offsetof(ol_config_t, password_max_run), "password_max_run", 2, 64},
        {offsetof(ol_config_t, password_max_age_days), "password_max_age_days", 0, 3650},
        {offsetof(ol_config_t, password_max_age_days_privileged), "password_max_age_days_privileged", 0, 3650},
        {offsetof(ol_config_t, password_warn_days), "password_warn_days", 0, 365},
        {offsetof(ol_config_t, password_history), "password_history", 0, 100},
        {offsetof(ol_config_t, lockout_threshold), "lockout_threshold", 1, 1000},
        {offsetof(ol_config_t, lockout_minutes), "lockout_minutes", 1, 10080},
        {offsetof(ol_config_t, lockout_alert_failures), "lockout_alert_failures", 1, 100000},
        {offsetof(ol_config_t, temp_account_max_days), "temp_account_max_days", 1, 3650},
        {offsetof(ol_config_t, account_sweep_seconds), "account_sweep_seconds", 1, 3600},
        {offsetof(ol_config_t, elevation_max_days), "elevation_max_days", 1, 365},
        {offsetof(ol_config_t, review_days), "review_days", 1, 3650},
        {offsetof(ol_config_t, review_days_privileged), "review_days_privileged", 1, 3650},
        {offsetof(ol_config_t, totp_window), "totp_window", 0, 10},
        {offsetof(ol_config_t, step_up_minutes), "step_up_minutes", 1, 1440},
        {offsetof(ol_config_t, audit_retention_days), "audit_retention_days", 180, 36500},
        {offsetof(ol_config_t, export_max_rows), "export_max_rows", 1, 10000000},
        {offsetof(ol_config_t, key_rotate_batch), "key_rotate_batch", 1, 10000},
        {offsetof(ol_config_t, hsts_max_age), "hsts_max_age", 0, 63072000},
        {offsetof(ol_config_t, ldap_timeout), "ldap_timeout", 1, 300},
        {offsetof(ol_config_t, outbox_max_attempts), "outbox_max_attempts", 1, 100},
        {offsetof(ol_config_t, outbox_backoff_seconds), "outbox_backoff_seconds", 1, 86400},
        {offsetof(ol_config_t, outbox_backoff_max_seconds), "outbox_backoff_max_seconds", 1,
         604800},
        {offsetof(ol_config_t, outbox_batch), "outbox_batch", 1, 1000},
        {offsetof(ol_config_t, outbox_lease_seconds), "outbox_lease_seconds", 10, 86400},
        {offsetof(ol_config_t, outbox_connect_timeout), "outbox_connect_timeout", 1, 300},
        {offsetof(ol_config_t, outbox_timeout), "outbox_timeout", 1, 3600},
    };
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
        const char *v = *(const char *const *)((const char *)cfg + ints[i].off);
        long n = ol_config_int(v);
        if (n < ints[i].min || n > ints[i].max) {
            snprintf(err, errlen, "%s = '%s': must be an integer from %ld to %ld", ints[i].name,
                     v, ints[i].min, ints[i].max);
            return -1;
        }
    }
    const char *colon = strrchr(cfg->listen, ':');
    if (!colon || ol_config_int(colon + 1) < 0 || ol_config_int(colon + 1) > 65535) {
        snprintf(err, errlen, "listen = '%s': use ADDRESS:PORT, e.g. 127.0.0.1:8080", cfg->listen);
        return -1;
    }
    if (strcmp(cfg->sync, "full") && strcmp(cfg->sync, "normal")) {
        snprintf(err, errlen, "sync = '%s': use full or normal", cfg->sync);
        return -1;
    }
    if (strcmp(cfg->startup_check, "quick") && strcmp(cfg->startup_check, "full") &&
        strcmp(cfg->startup_check, "none")) {
        snprintf(err, errlen, "startup_check = '%s': use quick, full or none", cfg->startup_check);
        return -1;
    }
    if (strcmp(cfg->tls, "on") && strcmp(cfg->tls, "off")) {
        snprintf(err, errlen, "tls = '%s': use on or off", cfg->tls);
        return -1;
    }
    if (strcmp(cfg->mfa_required, "privileged") && strcmp(cfg->mfa_required, "all") &&
        strcmp(cfg->mfa_required, "none")) {
        snprintf(err, errlen, "mfa_required = '%s': use privileged, all or none", cfg->mfa_required);
        return -1;
    }
    if (!*cfg->mfa_issuer || strlen(cfg->mfa_issuer) > 64) {
        snprintf(err, errlen, "mfa_issuer: use a name of 1 to 64 bytes");
        return -1;
    }
    if (ol_config_check_web(cfg, err, errlen))
        return -1;
    if (ol_config_check_incident(cfg, err, errlen) || ol_config_check_sla(cfg, err, errlen) ||
        ol_config_check_problem(cfg, err, errlen) || ol_config_check_complaint(cfg, err, errlen))
        return -1;
    if (ol_config_check_change(cfg, err, errlen))
        return -1;
    if (ol_config_check_intake(cfg, err, errlen)) /* I1 (modules/intake_read.c) */
        return -1;
    if (ol_config_check_cmdb(cfg, err, errlen))
        return -1;
    if (ol_config_check_release(cfg, err, errlen))
        return -1;
    /* P7: a send must end before its lease does, or another node would send it too. */
    if (ol_config_int(cfg->outbox_lease_seconds) <= ol_config_int(cfg->outbox_timeout) ||
        ol_config_int(cfg->outbox_backoff_max_seconds) <
            ol_config_int(cfg->outbox_backoff_seconds)) {
        snprintf(err, errlen, "outbox_lease_seconds must exceed outbox_timeout, and "
                              "outbox_backoff_max_seconds be at least outbox_backoff_seconds");
        return -1;
    }
    if (ol_config_check_s9(cfg, err, errlen))
        return -1;
    const char *db = ol_config_db_url(cfg);
    if (strncmp(db, "sqlite:", 7) && strncmp(db, "postgresql://", 13) && strncmp(db, "postgres://", 11)) {
        snprintf(err, errlen, "db: use sqlite:PATH or postgresql://...");
        return -1;
    }
    return 0;
}

size_t ol_config_count(void)
{
    return NKEYS;
}

const char *ol_config_default(size_t k)
{
    return ((const char *const *)&defaults)[k];
}

const char *ol_config_description(size_t k)
{
    return descriptions[k];
}

const char *ol_config_shown(const ol_config_t *cfg, size_t k, const char **key, char *buf,
                            size_t len)
{
    const char *v = ((const char *const *)cfg)[k];
    *key = keys[k];
    /* Never show a password that a PostgreSQL URL may carry. */
    if (!strcmp(keys[k], "db") && strchr(v, '@') && strstr(v, "://")) {
        const char *at = strchr(v, '@'), *colon = strchr(strstr(v, "://") + 3, ':');
        if (colon && colon < at) {
            snprintf(buf, len, "%.*s:***%s", (int)(colon - v), v, at);
            return buf;
        }
    }
    return v;
}

void ol_config_print(const ol_config_t *cfg)
{
    char buf[1024];
    const char *key;
    for (size_t k = 0; k < NKEYS; k++) {
        const char *v = ol_config_shown(cfg, k, &key, buf, sizeof buf);
        printf("%s = %s\n", key, v);
    }
}
