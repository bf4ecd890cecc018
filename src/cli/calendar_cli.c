/* cli/calendar_cli.c - `opsledger calendar ...` and `opsledger release ...` (R2, P5), on the
 * database directly (the server may be running): the operations calendar, its conflicts and
 * its iCalendar text; a user's feeds; a release's rollout and gate readings (as monitoring
 * scripts post them). The generic `opsledger records` verbs cover the records themselves. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "core/clock.h"
#include "core/err.h"
#include "modules/registry.h"
#include "modules/release.h"
#include "records/sla.h"

static const char *const cli_roles[] = {"admin", NULL};

static const char cal_usage[] =
    "usage: opsledger calendar list [--month YYYY-MM | --from DATE --to DATE] [--types releases,...]\n"
    "                               [--ci CI] [--team GROUP]\n"
    "       opsledger calendar conflicts [--month YYYY-MM | --from DATE --to DATE]\n"
    "       opsledger calendar ics [--month YYYY-MM | --from DATE --to DATE]   (RFC 5545 text)\n"
    "       opsledger calendar feed create --user NAME [--name TEXT] [--team GROUP]\n"
    "       opsledger calendar feed list --user NAME\n"
    "       opsledger calendar feed revoke ID --user NAME\n";

static const char rel_usage[] =
    "usage: opsledger release rollout REL-000001\n"
    "       opsledger release reading REL-000001 --metric error_rate=0.4 [--metric NAME=VALUE ...]\n"
    "                                 [--source operator|monitoring] [--user NAME]\n";

static void print_json(const json_t *v)
{
    char *text = json_dumps(v, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    printf("%s\n", text);
    free(text);
}

static int run_write(ol_db_t *db, int rc, ol_write_t *w)
{
    return rc ? rc : ol_write_run(db, w);
}

static int open_ctx(ol_config_t *cfg, ol_db_t **db, ol_ctx_t *c, const char *user)
{
    int rc = ol_cli_open_db(cfg, db);
    if (rc)
        return rc;
    ol_schema_register_all();
    ol_ctx_init(c, *db, user ? user : "cli", cli_roles);
    c->via = "cli";
    c->ip = "local";
    return 0;
}

static int calendar(ol_ctx_t *c, int argc, char **argv)
{
    time_t from, to;
    const char *verb = argv[1];
    if (!strcmp(verb, "feed")) {
        const char *what = argc > 2 ? argv[2] : "";
        if (!ol_cli_flag(argc, argv, "user"))
            return ol_ctx_fail(c, -OL_EINVAL, "name the feed's owner with --user");
        int rc;
        ol_write_t w;
        if (!strcmp(what, "create")) {
            json_t *in = json_object();
            if (ol_cli_flag(argc, argv, "name"))
                json_object_set_new(in, "name", json_string(ol_cli_flag(argc, argv, "name")));
            if (ol_cli_flag(argc, argv, "team"))
                json_object_set_new(in, "team", json_string(ol_cli_flag(argc, argv, "team")));
            rc = run_write(c->db, ol_feed_create_prepare(c, in, &w), &w);
            json_decref(in);
        } else if (!strcmp(what, "list")) {
            rc = ol_feed_list(c);
        } else if (!strcmp(what, "revoke") && argc > 3) {
            rc = run_write(c->db, ol_feed_revoke_prepare(c, atoll(argv[3]), &w), &w);
            if (rc == 0)
                printf("revoked feed %s\n", argv[3]);
            return rc;
        } else {
            fputs(cal_usage, stderr);
            return -OL_EINVAL;
        }
        if (rc == 0)
            print_json(c->result);
        return rc;
    }
    int rc = ol_sla_period(c, ol_cli_flag(argc, argv, "month"), ol_cli_flag(argc, argv, "from"),
                           ol_cli_flag(argc, argv, "to"), &from, &to);
    if (rc || json_array_size(c->errors))
        return ol_ctx_fail(c, -OL_EINVAL, "bad period");
    if (!strcmp(verb, "conflicts"))
        rc = ol_calendar_conflicts(c, from, to);
    else
        rc = ol_calendar_list(c, from, to, ol_cli_flag(argc, argv, "types"),
                              ol_cli_flag(argc, argv, "ci"), ol_cli_flag(argc, argv, "team"));
    if (rc)
        return rc;
    if (!strcmp(verb, "ics")) {
        char *text = ol_calendar_ical(c->result, "opsledger", ol_time());
        fputs(text, stdout);
        free(text);
    } else {
        print_json(c->result);
    }
    return 0;
}

int ol_cli_calendar(ol_config_t *cfg, int argc, char **argv)
{
    if (argc < 2 || (strcmp(argv[1], "list") && strcmp(argv[1], "conflicts") &&
                     strcmp(argv[1], "ics") && strcmp(argv[1], "feed"))) {
        fputs(cal_usage, stderr);
        return 2;
    }
    ol_db_t *db;
    ol_ctx_t c;
    if (open_ctx(cfg, &db, &c, ol_cli_flag(argc, argv, "user")))
        return 1;
    int rc = calendar(&c, argc, argv);
    if (rc)
        ol_cli_print_failure(&c, rc, argv[1]);
    ol_ctx_clear(&c);
    ol_db_close(db);
    return rc ? 1 : 0;
}

/* --metric NAME=VALUE, repeated, into {"NAME": VALUE}. */
static json_t *metrics_of(int argc, char **argv)
{
    json_t *m = json_object();
    for (int i = 2; i + 1 < argc; i++) {
        if (strcmp(argv[i], "--metric"))
            continue;
        char *eq = strchr(argv[i + 1], '=');
        char *end;
        double v = eq ? strtod(eq + 1, &end) : 0;
        if (!eq || end == eq + 1 || *end) {
            json_object_set_new(m, argv[i + 1], json_string("not a number"));
            continue;
        }
        *eq = 0;
        json_object_set_new(m, argv[i + 1], json_real(v));
        *eq = '=';
    }
    return m;
}

int ol_cli_release(ol_config_t *cfg, int argc, char **argv)
{
    if (argc < 3 || (strcmp(argv[1], "rollout") && strcmp(argv[1], "reading"))) {
        fputs(rel_usage, stderr);
        return 2;
    }
    ol_db_t *db;
    ol_ctx_t c;
    if (open_ctx(cfg, &db, &c, ol_cli_flag(argc, argv, "user")))
        return 1;
    int rc;
    if (!strcmp(argv[1], "rollout")) {
        rc = ol_release_rollout(&c, argv[2]);
    } else {
        json_t *in = json_pack("{so}", "metrics", metrics_of(argc, argv));
        if (ol_cli_flag(argc, argv, "source"))
            json_object_set_new(in, "source", json_string(ol_cli_flag(argc, argv, "source")));
        ol_write_t w;
        rc = run_write(db, ol_release_reading_prepare(&c, argv[2], in, &w), &w);
        json_decref(in);
    }
    if (rc == 0)
        print_json(c.result);
    else
        ol_cli_print_failure(&c, rc, argv[1]);
    ol_ctx_clear(&c);
    ol_db_close(db);
    return rc ? 1 : 0;
}
