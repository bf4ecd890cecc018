/* cli/audit_cli.c - `opsledger audit verify|export|purge` (REQUIREMENTS S8), directly on the
 * database (the server may be running). Each run is itself written to the audit trail, with
 * the operating-system account in the actor ("cli:root"). */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/err.h"
#include "records/audit.h"

static const char *const cli_roles[] = {"admin", NULL};

static void usage(void)
{
    fprintf(stderr,
            "usage: opsledger audit verify\n"
            "       opsledger audit export [--format jsonl|syslog] [--since ISO] [--out FILE]\n"
            "       opsledger audit purge   (removes entries older than audit_retention_days)\n");
}

static void cli_ctx(ol_ctx_t *c, ol_db_t *db, char *actor, size_t len)
{
    const struct passwd *pw = getpwuid(geteuid());
    snprintf(actor, len, "cli:%s", pw && pw->pw_name ? pw->pw_name : "unknown");
    ol_ctx_init(c, db, actor, cli_roles);
    c->via = "cli";
    c->ip = "local";
}

/* Writes the entry for this run; a failure is reported but does not change the verdict. */
static void audit_run(ol_ctx_t *c, const char *action, const char *result, json_t *detail)
{
    char *text = json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(detail);
    int rc = ol_audit_write_now(c->db, c, action, "audit_log", result, text);
    free(text);
    if (rc)
        fprintf(stderr, "opsledger: warning: this %s could not be written to the audit log: %s\n",
                action, ol_strerror(rc));
}

static int verify(ol_ctx_t *c)
{
    ol_audit_report_t rep;
    int rc = ol_audit_verify(c, &rep);
    if (rc) {
        fprintf(stderr, "opsledger: %s\n", c->detail);
        return 1; /* not shown intact */
    }
    if (rep.ok)
        printf("%s\n", rep.message);
    else
        fprintf(stderr, "opsledger: %s\n", rep.message);
    json_t *d = json_pack("{sbsI}", "ok", rep.ok, "entries", (json_int_t)rep.entries);
    if (!rep.ok)
        json_object_set_new(d, "first_bad", json_string(rep.message));
    audit_run(c, "audit.verify", "ok", d);
    return rep.ok ? 0 : 1;
}

typedef struct {
    FILE *f;
    int syslog;
    char host[256];
    ol_buf_t line;
    int failed;
} export_t;

static int on_entry(const ol_audit_entry_t *e, void *arg)
{
    export_t *x = arg;
    x->line.len = 0;
    if (x->syslog)
        ol_audit_syslog_line(e, x->host, &x->line);
    else
        ol_audit_jsonl_line(e, &x->line);
    x->failed = fwrite(x->line.p, 1, x->line.len, x->f) != x->line.len;
    return x->failed;
}

static int export(ol_ctx_t *c, int argc, char **argv)
{
    const char *format = ol_cli_flag(argc, argv, "format");
    const char *since = ol_cli_flag(argc, argv, "since");
    const char *out = ol_cli_flag(argc, argv, "out");
    char since_norm[32] = "";
    if (format && strcmp(format, "jsonl") && strcmp(format, "syslog")) {
        fprintf(stderr, "opsledger: --format must be jsonl or syslog\n");
        return 2;
    }
    if (since && ol_audit_time_arg(since, since_norm)) {
        fprintf(stderr, "opsledger: --since must be a UTC time like 2026-11-22T10:00:00Z or a "
                        "date like 2026-11-22\n");
        return 2;
    }
    export_t x = {.f = stdout, .syslog = format && !strcmp(format, "syslog")};
    ol_buf_init(&x.line);
    if (gethostname(x.host, sizeof x.host - 1))
        x.host[0] = 0;
    if (out) {
        /* 0600: the audit trail names people and addresses. */
        int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        x.f = fd >= 0 ? fdopen(fd, "w") : NULL;
        if (!x.f) {
            fprintf(stderr, "opsledger: cannot write %s: %s\n", out, strerror(errno));
            if (fd >= 0)
                close(fd);
            ol_buf_clear(&x.line);
            return 1;
        }
    }
    long long n = 0;
    int rc = ol_audit_each(c, since_norm, on_entry, &x, &n);
    if (fflush(x.f) || (out && fclose(x.f)))
        x.failed = 1;
    ol_buf_clear(&x.line);
    if (rc || x.failed) {
        fprintf(stderr, "opsledger: export failed: %s\n",
                rc ? c->detail : strerror(errno));
        return 1;
    }
    fprintf(stderr, "opsledger: exported %lld audit entries\n", n);
    json_t *d = json_pack("{sssIss}", "format", x.syslog ? "syslog" : "jsonl", "entries",
                          (json_int_t)n, "out", out ? out : "-");
    if (since)
        json_object_set_new(d, "since", json_string(since_norm));
    audit_run(c, "audit.export", "ok", d);
    return 0;
}

static int purge(ol_ctx_t *c, const ol_config_t *cfg)
{
    int days = (int)ol_config_int(cfg->audit_retention_days);
    ol_audit_purge_t p;
    int rc = ol_audit_purge(c, days, &p);
    if (rc) {
        fprintf(stderr, "opsledger: %s\n", c->detail[0] ? c->detail : ol_strerror(rc));
        audit_run(c, "audit.purge", "refused",
                  json_pack("{siss}", "retention_days", days, "reason", c->detail));
        return 1;
    }
    if (p.purged)
        printf("purged %lld audit entries older than %s (retention %d days); checkpoint at "
               "entry %lld, hash %s\n", p.purged, p.before, days, p.through_seq, p.hash);
    else
        printf("nothing to purge: no audit entry is older than %s (retention %d days)\n",
               p.before, days);
    return 0;
}

int ol_cli_audit(ol_config_t *cfg, int argc, char **argv)
{
    if (argc < 2 || (strcmp(argv[1], "verify") && strcmp(argv[1], "export") &&
                     strcmp(argv[1], "purge"))) {
        usage();
        return 2;
    }
    ol_db_t *db;
    int rc = ol_cli_open_db(cfg, &db);
    if (rc)
        return rc;
    int version = ol_db_schema_version(db), latest = ol_db_latest_version(ol_db_kind(db));
    if (version != latest) {
        fprintf(stderr, "opsledger: the database schema is at version %d, this opsledger "
                        "needs %d: run 'opsledger migrate' first\n", version, latest);
        ol_db_close(db);
        return 1;
    }
    ol_ctx_t c;
    char actor[128];
    cli_ctx(&c, db, actor, sizeof actor);
    if (!strcmp(argv[1], "verify"))
        rc = verify(&c);
    else if (!strcmp(argv[1], "export"))
        rc = export(&c, argc, argv);
    else
        rc = purge(&c, cfg);
    ol_ctx_clear(&c);
    ol_db_close(db);
    return rc;
}
