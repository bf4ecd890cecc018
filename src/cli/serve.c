/* cli/serve.c - `opsledger serve`: check the database, start the HTTP server, stop cleanly on
 * SIGINT/SIGTERM (queued writes are committed before the process exits). */
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "api/api.h"
#include "auth/account.h"
#include "auth/authz.h"
#include "auth/directory.h"
#include "cli/cli.h"
#include "core/err.h"
#include "core/leader.h"
#include "core/log.h"
#include "core/tls.h"
#include "modules/change.h"
#include "modules/problem.h"
#include "modules/registry.h"
#include "modules/release.h"
#include "modules/service_desk.h"
#include "records/config_audit.h"
#include "records/keys.h"
#include "records/outbox.h"
#include "records/sla.h"

#define RESERVED_FDS 128 /* descriptors kept for the database, logs and MHD's own */
#define TRIM_EVERY_S 10  /* seconds between returns of freed heap memory to the system */
#define GRANTS_RELOAD_S 10 /* seconds between reloads of the role grants */
#define SWEEP_EVERY_S 5    /* seconds between checks for expired elevations, reviews due */

static volatile sig_atomic_t stop;

/* Every connection is a descriptor: raises the soft RLIMIT_NOFILE (up to the hard limit) so
 * that want connections fit, like Redis's adjustOpenFilesLimit. Returns how many fit. */
static unsigned fit_connections(unsigned want)
{
    struct rlimit rl;
    rlim_t need = (rlim_t)want + RESERVED_FDS;
    if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur >= need)
        return want;
    rlim_t cur = rl.rlim_cur;
    rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= need ? need : rl.rlim_max;
    if (rl.rlim_cur > cur && setrlimit(RLIMIT_NOFILE, &rl) == 0)
        cur = rl.rlim_cur;
    if (cur >= need)
        return want;
    unsigned fit = cur > RESERVED_FDS + 16 ? (unsigned)(cur - RESERVED_FDS) : 16;
    ol_log(OL_LOG_WARN,
           "max_connections = %u needs %llu open files but the limit is %llu: serving %u "
           "connections at most (raise the limit, e.g. LimitNOFILE= in the systemd unit)",
           want, (unsigned long long)need, (unsigned long long)cur, fit);
    return fit;
}

/* The PEM texts stay until the server stops: MHD holds pointers to them. */
static void free_tls(char *cert, char *key)
{
    if (key)
        memset(key, 0, strlen(key));
    free(key);
    free(cert);
}

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

int ol_cli_serve(ol_config_t *cfg, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    char err[512];
    if (!strcmp(cfg->log_level, "debug"))
        ol_log_level = OL_LOG_DEBUG;
    else if (!strcmp(cfg->log_level, "warn"))
        ol_log_level = OL_LOG_WARN;
    else if (!strcmp(cfg->log_level, "error"))
        ol_log_level = OL_LOG_ERROR;
    ol_db_t *db;
    int rc = ol_cli_open_db(cfg, &db);
    if (rc)
        return rc;
    if (strcmp(cfg->startup_check, "none") &&
        (rc = ol_db_check(db, !strcmp(cfg->startup_check, "full"), err, sizeof err))) {
        fprintf(stderr, "opsledger: refusing to start: %s\n", err);
        ol_db_close(db);
        return 1;
    }
    ol_schema_register_all();
    if (ol_sla_check_types(err, sizeof err)) { /* I4: the policy names real types and states */
        fprintf(stderr, "opsledger: refusing to start: %s\n", err);
        ol_db_close(db);
        return 1;
    }
    /* S7: the field-encryption keys (made on first start of an SQLite store). */
    if (ol_keys_setup(db, cfg->key_file, ol_db_path(db) != NULL, err, sizeof err)) {
        fprintf(stderr, "opsledger: refusing to start: %s\n", err);
        ol_db_close(db);
        return 1;
    }
    if (ol_authz_reload(db)) {
        fprintf(stderr, "opsledger: refusing to start: cannot read the role grants\n");
        ol_db_close(db);
        return 1;
    }
    /* S8: a configuration change is evidence too; no start without its audit entry. */
    int changed = ol_config_audit(db, cfg);
    if (changed < 0) {
        fprintf(stderr, "opsledger: refusing to start: cannot write the configuration's audit "
                        "entry (database error %d)\n", changed);
        ol_db_close(db);
        return 1;
    }
    if (changed)
        ol_log(OL_LOG_INFO, "configuration: %d change%s since the last start recorded in the audit trail",
                    changed, changed == 1 ? "" : "s");
    /* S9 native HTTPS and directory login: refuse to start on a bad certificate, key or map. */
    char *tls_cert = NULL, *tls_key = NULL;
    if ((*cfg->tls_cert &&
         ol_tls_load(cfg->tls_cert, cfg->tls_key, &tls_cert, &tls_key, err, sizeof err)) ||
        ol_directory_check_config(cfg, err, sizeof err)) {
        fprintf(stderr, "opsledger: refusing to start: %s\n", err);
        ol_db_close(db);
        return 1;
    }

    ol_app_t app = {.db = db, .cfg = cfg, .version = OL_VERSION,
                    .max_json_depth = (int)ol_config_int(cfg->max_json_depth),
                    .tls = !strcmp(cfg->tls, "on") || tls_cert};
    char hsts[48];
    snprintf(hsts, sizeof hsts, "max-age=%ld", ol_config_int(cfg->hsts_max_age));
    char addr[256];
    snprintf(addr, sizeof addr, "%s", cfg->listen);
    char *colon = strrchr(addr, ':');
    *colon = 0;
    ol_http_opts_t o = {
        .address = addr,
        .port = (int)ol_config_int(colon + 1),
        .threads = (int)ol_config_int(cfg->threads),
        .max_body = (size_t)ol_config_int(cfg->max_body),
        .max_header = (size_t)ol_config_int(cfg->max_header),
        .timeout_s = (unsigned)ol_config_int(cfg->request_timeout),
        .max_conns = fit_connections((unsigned)ol_config_int(cfg->max_connections)),
        .tls_cert = tls_cert,
        .tls_key = tls_key,
        .tls_priorities = ol_tls_priorities(cfg->tls_min_version),
        .hsts = app.tls && ol_config_int(cfg->hsts_max_age) > 0 ? hsts : NULL,
        .trusted_proxies = cfg->trusted_proxies,
        .handler = ol_api_handle,
        .app = &app,
    };
    ol_http_t *http;
    if (ol_http_start(&o, &http, err, sizeof err)) {
        fprintf(stderr, "opsledger: %s\n", err);
        free_tls(tls_cert, tls_key);
        ol_db_close(db);
        return 1;
    }
    /* Each connection's buffer (max_header bytes) is then mapped on its own and returned to the
     * system when the connection closes: without this, glibc keeps the peak of every HTTP
     * thread's heap, and a burst of connections raised RSS for good. */
    mallopt(M_MMAP_THRESHOLD, 32 * 1024);
    signal(SIGPIPE, SIG_IGN);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    /* Every node serves, delivers notices (claimed FOR UPDATE SKIP LOCKED) and reloads the
     * grants; the sweeps run on the leader only (core/leader.h). */
    ol_leader_init(db, ol_http_port(http));
    /* One line on stdout that scripts and tests can wait for. */
    printf("opsledger %s listening on %s://%s:%d/ (database: %s)\n", OL_VERSION,
           o.tls_cert ? "https" : "http", addr,
           ol_http_port(http), ol_db_kind(db) == OL_DB_SQLITE ? "SQLite" : "PostgreSQL");
    fflush(stdout);
    ol_log(OL_LOG_INFO, "serving on %s:%d", addr, ol_http_port(http));
    /* P7: the notification delivery worker (stopped before the database closes). */
    if (ol_outbox_worker_start(db))
        ol_log(OL_LOG_ERROR, "P7: cannot start the notification worker; notices wait");
    unsigned sweep_every = (unsigned)ol_config_int(cfg->account_sweep_seconds);
    for (unsigned tick = 1; !stop; tick++) {
        sleep(1); /* returns early on SIGINT/SIGTERM */
        if (stop)
            break;
        /* A burst of connections leaves the HTTP threads' heaps fragmented, and glibc keeps
         * the free pages (measured: about 0.4 KiB per connection per burst, never given back):
         * hand them back, so that RSS follows what is in use. */
        if (tick % TRIM_EVERY_S == 0)
            malloc_trim(0);
        /* Grants changed by another node (PostgreSQL) take effect here within this period. */
        if (tick % GRANTS_RELOAD_S == 0)
            ol_authz_reload(db);
        if (!ol_leader_tick(db))
            continue;
        /* S4: temporary and contractor accounts past their expiry are disabled. */
        if (tick % sweep_every == 0 && ol_accounts_sweep(db) < 0)
            ol_log(OL_LOG_WARN, "S4: the account expiry sweep failed; it runs again later");
        if (tick % SWEEP_EVERY_S == 0 && ol_elevation_sweep(db) < 0)
            ol_log(OL_LOG_WARN, "could not expire the elevations due; will retry");
        if (tick % SWEEP_EVERY_S == 0 && ol_incident_sweep(db) < 0)
            ol_log(OL_LOG_WARN, "I3: could not bring incident levels up to date; will retry");
        /* I4: SLA warnings and breaches due, read by index (an idle tick writes nothing). */
        if (ol_sla_sweep(db) < 0)
            ol_log(OL_LOG_WARN, "I4: could not fire the SLA warnings and breaches due; will retry");
        if (tick % SWEEP_EVERY_S == 0 && ol_change_sweep(db) < 0)
            ol_log(OL_LOG_WARN, "C6/C8: could not flag the changes due; will retry");
        if (tick % SWEEP_EVERY_S == 0 && ol_problem_sweep(db) < 0)
            ol_log(OL_LOG_WARN, "Q2: could not mark the overdue problems; will retry");
        if (tick % SWEEP_EVERY_S == 0 && ol_access_review_schedule(db) < 0)
            ol_log(OL_LOG_WARN, "could not create the access reviews due; will retry");
        if (tick % SWEEP_EVERY_S == 0 && ol_complaint_sweep(db) < 0)
            ol_log(OL_LOG_WARN, "V3: could not escalate the complaints due; will retry");
        if (tick % SWEEP_EVERY_S == 0 && ol_release_sweep(db) < 0)
            ol_log(OL_LOG_WARN, "R3: could not flag the overdue release reviews; will retry");
        if (tick % SWEEP_EVERY_S == 0 && ol_survey_schedule(db) < 0)
            ol_log(OL_LOG_WARN, "V3: could not send the periodic surveys due; will retry");
    }
    ol_log(OL_LOG_INFO, "stopping");
    ol_http_stop(http);
    ol_outbox_worker_stop();
    free_tls(tls_cert, tls_key);
    ol_db_close(db);
    return 0;
}
