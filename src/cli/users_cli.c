/* cli/users_cli.c - `opsledger user add|list|show|set|disable|enable|passwd`: S4 account
 * administration on the database directly, mirroring /api/v1/users. Passwords never come from
 * argv: --password-file, OPSLEDGER_USER_PASSWORD or a prompt. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/account.h"
#include "cli/cli.h"
#include "core/err.h"
#include "core/json.h"
#include "records/keys.h"

static const char *const cli_roles[] = {"admin", NULL};

static const char usage[] =
    "usage: opsledger user add NAME [--role ROLE]... [--display-name TEXT] [--kind KIND]\n"
    "                          [--expires-at TIME] [--email ADDR] [--phone NUMBER]\n"
    "                          [--password-file FILE]\n"
    "       opsledger user list [--kind regular|temporary|contractor] [--disabled true|false]\n"
    "       opsledger user show NAME\n"
    "       opsledger user set NAME [--display-name TEXT] [--email ADDR|''] [--phone NUMBER|'']\n"
    "                          [--kind KIND] [--expires-at TIME|none]\n"
    "       opsledger user disable NAME --reason TEXT\n"
    "       opsledger user enable NAME\n"
    "       opsledger user passwd NAME [--password-file FILE]   (the user must change it)\n"
    "       opsledger user mfa-reset NAME\n"
    "       (passwords: --password-file, OPSLEDGER_USER_PASSWORD, or asked on the terminal)\n";

static void print_json(const json_t *v)
{
    char *s = json_dumps(v, JSON_INDENT(2) | JSON_SORT_KEYS);
    printf("%s\n", s);
    free(s);
}

static char *read_password(int argc, char **argv)
{
    char *pw = ol_cli_read_secret(ol_cli_flag(argc, argv, "password-file"),
                                  "OPSLEDGER_USER_PASSWORD", "Password: ", 1);
    if (!pw)
        fprintf(stderr, "opsledger: no password: use --password-file FILE, the "
                        "OPSLEDGER_USER_PASSWORD variable, or run on a terminal to be asked\n");
    return pw;
}

static int add(ol_ctx_t *c, int argc, char **argv)
{
    const char *roles[OL_MAX_ROLES + 1] = {NULL};
    int n = 0;
    for (int i = 3; i < argc; i++)
        if (!strcmp(argv[i], "--role") && i + 1 < argc && n < OL_MAX_ROLES)
            roles[n++] = argv[++i];
    const char *display = ol_cli_flag(argc, argv, "display-name");
    ol_user_fields_t f = {
        .username = argv[2],
        .display_name = display ? display : argv[2],
        .kind = ol_cli_flag(argc, argv, "kind"),
        .expires_at = ol_cli_flag(argc, argv, "expires-at"),
        .email = ol_cli_flag(argc, argv, "email"),
        .phone = ol_cli_flag(argc, argv, "phone"),
    };
    char *pw = read_password(argc, argv);
    if (!pw)
        return -OL_EINVAL;
    int rc = ol_user_create_ex(c, &f, pw, roles);
    memset(pw, 0, strlen(pw));
    free(pw);
    if (rc == 0)
        printf("user %s created\n", argv[2]);
    return rc;
}

static int list(ol_ctx_t *c, int argc, char **argv)
{
    const char *kind = ol_cli_flag(argc, argv, "kind");
    const char *disabled = ol_cli_flag(argc, argv, "disabled");
    if (disabled && strcmp(disabled, "true") && strcmp(disabled, "false"))
        return ol_ctx_fail(c, -OL_EINVAL, "--disabled must be true or false");
    int rc = ol_user_list(c, kind, disabled ? !strcmp(disabled, "true") : -1);
    size_t i;
    json_t *u;
    if (rc == 0)
        json_array_foreach(c->result, i, u) {
            json_t *exp = json_object_get(u, "expires_at");
            printf("%-24s %-10s %-8s %-24s", json_string_value(json_object_get(u, "username")),
                   json_string_value(json_object_get(u, "kind")),
                   json_is_true(json_object_get(u, "disabled")) ? "disabled" : "active",
                   json_is_string(exp) ? json_string_value(exp) : "-");
            size_t k;
            json_t *role;
            json_array_foreach(json_object_get(u, "roles"), k, role)
                printf("%s%s", k ? "," : " ", json_string_value(role));
            printf("\n");
        }
    return rc;
}

static int set(ol_ctx_t *c, int argc, char **argv)
{
    static const char *const flags[][2] = {{"display-name", "display_name"}, {"email", "email"},
                                           {"phone", "phone"}, {"kind", "kind"},
                                           {"expires-at", "expires_at"}};
    json_t *changes = json_object();
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
        const char *v = ol_cli_flag(argc, argv, flags[i][0]);
        if (v)
            json_object_set_new(changes, flags[i][1],
                                !strcmp(flags[i][0], "expires-at") && !strcmp(v, "none")
                                    ? json_null() : json_string(v));
    }
    int rc = json_object_size(changes) ? ol_user_update(c, argv[2], changes)
                                       : ol_ctx_fail(c, -OL_EINVAL, "nothing to change");
    json_decref(changes);
    if (rc == 0)
        print_json(c->result);
    return rc;
}

int ol_cli_user(ol_config_t *cfg, int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "mfa-reset"))
        return ol_cli_user_mfa_reset(cfg, argc, argv); /* S3: cli/mfa_cli.c */
    static const char *const verbs[] = {"add", "list", "show", "set", "disable", "enable",
                                        "passwd", NULL};
    int known = 0;
    for (int i = 0; argc >= 2 && verbs[i]; i++)
        known |= !strcmp(argv[1], verbs[i]);
    if (!known || (strcmp(argv[1], "list") && (argc < 3 || argv[2][0] == '-'))) {
        fputs(usage, stderr);
        return 2;
    }
    ol_db_t *db;
    int rc = ol_cli_open_db(cfg, &db);
    if (rc)
        return rc;
    char err[512];
    if (ol_keys_setup(db, cfg->key_file, 0, err, sizeof err)) { /* S7: phones are sealed */
        fprintf(stderr, "opsledger: %s\n", err);
        ol_db_close(db);
        return 1;
    }
    ol_ctx_t c;
    ol_ctx_init(&c, db, "cli", cli_roles);
    c.via = "cli";
    c.ip = "local";
    const char *verb = argv[1];
    if (!strcmp(verb, "add")) {
        rc = add(&c, argc, argv);
    } else if (!strcmp(verb, "list")) {
        rc = list(&c, argc, argv);
    } else if (!strcmp(verb, "show")) {
        rc = ol_user_get(&c, argv[2]);
        if (rc == 0)
            print_json(c.result);
    } else if (!strcmp(verb, "set")) {
        rc = set(&c, argc, argv);
    } else if (!strcmp(verb, "disable")) {
        rc = ol_user_disable(&c, argv[2], ol_cli_flag(argc, argv, "reason"));
        if (rc == 0)
            printf("user %s disabled; sessions and API tokens revoked\n", argv[2]);
    } else if (!strcmp(verb, "enable")) {
        rc = ol_user_enable(&c, argv[2]);
        if (rc == 0)
            printf("user %s enabled\n", argv[2]);
    } else {
        char *pw = read_password(argc, argv);
        rc = pw ? ol_password_reset(&c, argv[2], pw) : -OL_EINVAL;
        if (pw) {
            memset(pw, 0, strlen(pw));
            free(pw);
        }
        if (rc == 0)
            printf("password of %s reset; it must be changed at the next login\n", argv[2]);
    }
    if (rc && (c.detail[0] || json_array_size(c.errors)))
        ol_cli_print_failure(&c, rc, verb);
    ol_ctx_clear(&c);
    ol_db_close(db);
    return rc ? 1 : 0;
}
