/* main.c - `opsledger <verb>`: load the configuration, dispatch to the subcommand. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static const struct {
    const char *verb;
    int (*fn)(ol_config_t *cfg, int argc, char **argv);
    const char *help;
} verbs[] = {
    {"init", ol_cli_init, "create the database and the first administrator"},
    {"serve", ol_cli_serve, "start the HTTP server"},
    {"migrate", ol_cli_migrate, "apply pending schema migrations"},
    {"config", ol_cli_config, "config check: validate and print the configuration"},
    {"backup", ol_cli_backup, "backup FILE: online, consistent copy with a checksum (SQLite)"},
    {"restore", ol_cli_restore, "restore FILE: verify a backup and put it in place (SQLite)"},
    {"user", ol_cli_user, "user add NAME --role ROLE: create an account; user mfa-reset NAME"},
    {"token", ol_cli_token, "token create --user NAME: create an API token"},
    {"records", ol_cli_records, "records create|get|list|update|transition|comment|link ..."},
    {"role", ol_cli_role, "role list|show|set|grant|revoke: roles, grants, a user's roles"},
    {"group", ol_cli_group, "group list|add|show|roles|add-member|remove-member"},
    {"org-unit", ol_cli_org_unit, "org-unit list|show|add|set: organisation units, their heads"},
    {"directory", ol_cli_directory, "directory check NAME: what an LDAP login of NAME finds"},
    {"audit", ol_cli_audit, "audit verify | export [--format jsonl|syslog] [--since ISO] | purge"},
    {"keys", ol_cli_keys, "keys status | rotate [--resume]: field-encryption keys (S7)"},
    {"channel", ol_cli_channel, "channel add|list|test|disable: notification channels (P7)"},
    {"report", ol_cli_report, "report complaints|satisfaction|changes [--from ISO] [--to ISO] [--format csv] (V3, C9)"},
    {"change", ol_cli_change, "change check --planned_start ISO --planned_end ISO [--category C ...]: schedule rules (C3-C5)"},
    {"sla", ol_cli_sla, "sla report|due|sweep: the SLA report, timers due soon, one sweep (I4)"},
    {"calendar", ol_cli_calendar, "calendar list|conflicts|ics|feed: the operations calendar (P5)"},
    {"release", ol_cli_release, "release rollout|reading REL-...: gray stages and gate readings (R2)"},
    {"integration", ol_cli_integration, "integration create|list|revoke: monitoring intake (I1)"},
    {"status", ol_cli_status, "status [--json]: the database, its serve processes and their leader"},
};

static void usage(void)
{
    fprintf(stderr, "usage: opsledger VERB [--config FILE] [--KEY VALUE ...]\n\n");
    for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
        fprintf(stderr, "  %-9s %s\n", verbs[i].verb, verbs[i].help);
    fprintf(stderr, "  %-9s %s\n\nSettings (file 'key = value', env OPSLEDGER_KEY, flag --key):\n",
            "version", "print the version");
#define XX(key, def, desc) fprintf(stderr, "  %-32s %s (default: %s)\n", #key, desc, def);
    OL_CONFIG_MAP(XX)
#undef XX
}

int main(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
        usage();
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "version") || !strcmp(argv[1], "--version")) {
        printf("opsledger %s\n", OL_VERSION);
        return 0;
    }
    if (sodium_init() < 0) {
        fprintf(stderr, "opsledger: libsodium failed to initialise\n");
        return 1;
    }
    /* Static: the settings live as long as the process (and stay reachable for LeakSanitizer). */
    static ol_config_t cfg;
    char err[512];
    int sub_argc = argc - 1;
    char **sub_argv = argv + 1;
    if (ol_config_load(&cfg, &sub_argc, sub_argv, err, sizeof err)) {
        fprintf(stderr, "opsledger: %s\n", err);
        return 2;
    }
    for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
        if (!strcmp(verbs[i].verb, sub_argv[0]))
            return verbs[i].fn(&cfg, sub_argc, sub_argv);
    fprintf(stderr, "opsledger: unknown verb '%s'\n\n", sub_argv[0]);
    usage();
    return 2;
}
