/* cli/channel_cli.c - `opsledger channel add|list|test|disable|rule|rules|unrule`: P7 notification
 * channels and the per-team rules on the database directly, mirroring
 * /api/v1/notification_channels and /api/v1/notification_rules. A secret (webhook signing secret,
 * SMTP password) never comes from argv: --secret-file FILE or OPSLEDGER_CHANNEL_SECRET. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/err.h"
#include "records/keys.h"
#include "records/outbox.h"

static const char *const cli_roles[] = {"admin", NULL};

static const char usage[] =
    "usage: opsledger channel add NAME --kind webhook --url URL [--format dingtalk|wecom|feishu|\n"
    "                          slack|generic] [--lang en|zh-CN] [--secret-file FILE]\n"
    "       opsledger channel add NAME --kind email --url smtp://HOST:PORT --from ADDR\n"
    "                          --to ADDR[,ADDR...] [--starttls] [--smtp-user USER]\n"
    "                          [--secret-file FILE (the SMTP password)] [--lang en|zh-CN]\n"
    "       opsledger channel list\n"
    "       opsledger channel test NAME      (a running server delivers it)\n"
    "       opsledger channel disable NAME\n"
    "       opsledger channel rule CHANNEL --event sla.*|sla.breach|* [--group TEAM]\n"
    "                          (also send that team's notices of those events to CHANNEL)\n"
    "       opsledger channel rules\n"
    "       opsledger channel unrule ID\n"
    "       (secrets: --secret-file FILE or OPSLEDGER_CHANNEL_SECRET; never on the command line)\n";

static int add(const ol_config_t *cfg, ol_ctx_t *c, int argc, char **argv)
{
    static const char *const flags[][2] = {{"kind", "kind"}, {"url", "url"}, {"format", "format"},
                                           {"lang", "lang"}, {"smtp-user", "smtp_user"},
                                           {"from", "from"}};
    json_t *in = json_pack("{s:s}", "name", argv[2]);
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
        const char *v = ol_cli_flag(argc, argv, flags[i][0]);
        if (v)
            json_object_set_new(in, flags[i][1], json_string(v));
    }
    if (ol_cli_has(argc, argv, "starttls"))
        json_object_set_new(in, "starttls", json_true());
    const char *to = ol_cli_flag(argc, argv, "to");
    if (to) {
        json_t *list = json_array();
        for (const char *p = to; *p;) {
            size_t n = strcspn(p, ",");
            json_array_append_new(list, json_stringn(p, n));
            p += n + (p[n] == ',');
        }
        json_object_set_new(in, "to", list);
    }
    const char *file = ol_cli_flag(argc, argv, "secret-file");
    char *secret = NULL;
    if (file || getenv("OPSLEDGER_CHANNEL_SECRET")) {
        secret = ol_cli_read_secret(file, "OPSLEDGER_CHANNEL_SECRET", "Secret: ", 0);
        if (!secret) {
            json_decref(in);
            return ol_ctx_fail(c, -OL_EINVAL, "cannot read the secret");
        }
        json_object_set_new(in, "secret", json_string(secret));
        memset(secret, 0, strlen(secret));
        free(secret);
        /* S7: the secret is sealed under the field-encryption keys. */
        char err[512];
        if (ol_keys_setup(c->db, cfg->key_file, 0, err, sizeof err)) {
            json_decref(in);
            return ol_ctx_fail(c, -OL_EINVAL, "%s", err);
        }
    }
    int rc = ol_channel_create(c, in);
    json_decref(in);
    if (rc == 0)
        printf("channel %s created\n", argv[2]);
    return rc;
}

static int list(ol_ctx_t *c)
{
    int rc = ol_channel_list(c);
    size_t i;
    json_t *ch;
    if (rc == 0)
        json_array_foreach(c->result, i, ch) {
            json_t *fmt = json_object_get(ch, "format");
            printf("%-24s %-8s %-9s %-6s %-9s %s\n",
                   json_string_value(json_object_get(ch, "name")),
                   json_string_value(json_object_get(ch, "kind")),
                   fmt ? json_string_value(fmt) : "-",
                   json_string_value(json_object_get(ch, "lang")),
                   json_is_true(json_object_get(ch, "disabled")) ? "disabled" : "enabled",
                   json_string_value(json_object_get(ch, "url")));
        }
    return rc;
}

static int rule(ol_ctx_t *c, int argc, char **argv)
{
    json_t *in = json_pack("{ss}", "channel", argv[2]);
    const char *event = ol_cli_flag(argc, argv, "event"), *group = ol_cli_flag(argc, argv, "group");
    if (event)
        json_object_set_new(in, "event", json_string(event));
    if (group)
        json_object_set_new(in, "group", json_string(group));
    int rc = ol_rule_create(c, in);
    json_decref(in);
    if (rc == 0)
        printf("rule %lld: %s notices of %s go to %s\n",
               (long long)json_integer_value(json_object_get(c->result, "id")),
               group ? group : "every team's", event, argv[2]);
    return rc;
}

static int rules(ol_ctx_t *c)
{
    int rc = ol_rule_list(c);
    size_t i;
    json_t *r;
    if (rc == 0)
        json_array_foreach(json_object_get(c->result, "items"), i, r) {
            const char *g = json_string_value(json_object_get(r, "group"));
            printf("%-6lld %-24s %-20s %s\n", (long long)json_integer_value(json_object_get(r, "id")),
                   json_string_value(json_object_get(r, "event")), *g ? g : "(every team)",
                   json_string_value(json_object_get(r, "channel")));
        }
    return rc;
}

int ol_cli_channel(ol_config_t *cfg, int argc, char **argv)
{
    static const char *const verbs[] = {"add", "list", "test", "disable", "rule", "rules",
                                        "unrule", NULL};
    int known = 0;
    for (int i = 0; argc >= 2 && verbs[i]; i++)
        known |= !strcmp(argv[1], verbs[i]);
    int no_arg = known && (!strcmp(argv[1], "list") || !strcmp(argv[1], "rules"));
    if (!known || (!no_arg && (argc < 3 || argv[2][0] == '-'))) {
        fputs(usage, stderr);
        return 2;
    }
    ol_db_t *db;
    int rc = ol_cli_open_db(cfg, &db);
    if (rc)
        return rc;
    ol_ctx_t c;
    ol_ctx_init(&c, db, "cli", cli_roles);
    c.via = "cli";
    c.ip = "local";
    const char *verb = argv[1];
    if (!strcmp(verb, "add")) {
        rc = add(cfg, &c, argc, argv);
    } else if (!strcmp(verb, "list")) {
        rc = list(&c);
    } else if (!strcmp(verb, "rule")) {
        rc = rule(&c, argc, argv);
    } else if (!strcmp(verb, "rules")) {
        rc = rules(&c);
    } else if (!strcmp(verb, "unrule")) {
        char *end;
        long long id = strtoll(argv[2], &end, 10);
        rc = *end || id < 1 ? ol_ctx_fail(&c, -OL_ENOTFOUND, "there is no rule %s", argv[2])
                            : ol_rule_delete(&c, id);
        if (rc == 0)
            printf("rule %lld removed\n", id);
    } else if (!strcmp(verb, "test")) {
        rc = ol_channel_test(&c, argv[2]);
        if (rc == 0)
            printf("test notice %lld queued for channel %s\n",
                   (long long)json_integer_value(json_object_get(c.result, "notice_id")), argv[2]);
    } else {
        rc = ol_channel_disable(&c, argv[2]);
        if (rc == 0)
            printf("channel %s disabled\n", argv[2]);
    }
    if (rc)
        ol_cli_print_failure(&c, rc, verb);
    ol_ctx_clear(&c);
    ol_db_close(db);
    return rc ? 1 : 0;
}
