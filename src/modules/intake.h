/* modules/intake.h - I1 monitoring intake: integrations (each with its own token), the payloads
 * of Prometheus Alertmanager, Zabbix and the generic event API read into one form, and the write
 * that turns alerts into incidents through the record engine: de-duplicated by alert key,
 * resolved or annotated when the alert resolves, and converged into one parent incident when
 * one service or CI raises an alert storm. */
#ifndef OL_INTAKE_H
#define OL_INTAKE_H
#include <jansson.h>
#include <stddef.h>

#include "core/config.h"
#include "records/ctx.h"


/* One alert notification, whatever its source; every string is owned (free with
 * ol_alerts_clear). service and ci are the incident's fields, from explicit values (generic
 * events) or the label rules; impact and urgency from the severity map. */
typedef struct {
    char *key;         /* fingerprint, dedupe_key or Zabbix event id */
    int resolved;      /* 0 firing, 1 resolved */
    char *name;        /* alertname, trigger name or summary (short) */
    char *title;       /* the incident's title */
    char *description; /* the incident's description */
    char *severity;    /* lower case; "" when none */
    char *service, *ci;
    char *starts_at;   /* ISO UTC, or NULL */
    char *url;         /* generatorURL or a link to the source; "" when none */
    json_t *labels;    /* object of strings */
    const char *impact, *urgency; /* static: "high", "medium", "low" */
} ol_alert_t;

typedef struct {
    ol_alert_t *items;
    size_t n, cap;
} ol_alerts_t;

void ol_alerts_clear(ol_alerts_t *a);

/* Payload readers: per-field errors ("alerts[2].status") in c->errors; return 0 or -OL_EINVAL
 * with nothing added to out. */
int ol_intake_read_alertmanager(ol_ctx_t *c, const json_t *body, ol_alerts_t *out);
int ol_intake_read_zabbix(ol_ctx_t *c, const json_t *body, ol_alerts_t *out);
int ol_intake_read_event(ol_ctx_t *c, const json_t *body, ol_alerts_t *out);

/* An integration as the intake routes see it (after its token was checked). */
typedef struct {
    long long id;
    char name[65];
    char kind[16];
    char actor[80];   /* "integration.NAME": the system actor incidents are created as */
    char labels[512]; /* label rules overriding intake_label_map ("" = the policy) */
    char severities[1024];
    char group[101];
} ol_integration_t;

/* The active integration holding token. Returns 0, -OL_EUNAUTH (unknown or revoked) or a
 * database error. */
int ol_integration_by_token(ol_db_t *db, const char *token, ol_integration_t *out);
/* Admin operations (auth checked by the caller), audited. create: input {"name", "kind",
 * "labels", "severities", "group"}; c->result is the integration with its token (shown only
 * here); token receives it (>= 80 bytes). */
int ol_integration_create(ol_ctx_t *c, const json_t *input, char *token);
int ol_integration_list(ol_ctx_t *c);
int ol_integration_get(ol_ctx_t *c, const char *name);
int ol_integration_revoke(ol_ctx_t *c, const char *name);

/* Maps labels and severity to the incident's fields (rules of in, else the policy); then
 * prepares the write of all alerts in one transaction as in's system actor (c->user must be
 * in->actor). Takes the alerts (out is emptied). On success c->result holds the counts and one
 * entry per alert. */
int ol_intake_prepare(ol_ctx_t *c, const ol_integration_t *in, ol_alerts_t *alerts,
                      ol_write_t *w);

/* GET /api/v1/incidents/{number}/alerts: the alerts merged into the incident, and the storm it
 * is the parent of (if any). The caller may read incidents; scope is checked here. */
int ol_intake_alerts_of(ol_ctx_t *c, const char *number);

/* Policies: the label rules "service=service;ci=instance,host" and the severity map
 * "critical=high/high;...". lookup: the labels for field (NULL-terminated list in out, pointing
 * into buf), and the impact/urgency of a severity (1 found, 0 not in the map). Both return -1
 * with the reason in err on a malformed spec. */
int ol_intake_label_rules(const char *spec, const char *field, char *buf, size_t buflen,
                          const char **out, size_t outmax, char *err, size_t errlen);
int ol_intake_severity(const char *spec, const char *severity, const char **impact,
                       const char **urgency, char *err, size_t errlen);

#endif
