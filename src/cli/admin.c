/* cli/admin.c - init, migrate, config check, user add and token create: local administration
 * directly on the database (the server need not run). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "auth/auth.h"
#include "auth/directory.h"
#include "cli/cli.h"
#include "core/err.h"
#include "core/mem.h"
#include "records/audit.h"
#include "records/ctx.h"
#include "records/keys.h"

static const char *const cli_roles[] = {"admin", NULL};

static int migrate(ol_db_t *db)
{
    char err[512];
    int version;
    if (ol_db_migrate(db, &version, err, sizeof err)) {
        fprintf(stderr, "opsledger: %s\n", err);
        return 1;
    }
    fprintf(stderr, "opsledger: database schema at version %d\n", version);
    /* S8: audit entries written before the hash chain existed join it now, oldest first. */
    ol_ctx_t c;
    long long sealed;
    ol_ctx_init(&c, db, "cli", cli_roles);
    c.via = "cli";
    c.ip = "local";
    int rc = ol_audit_seal(&c, &sealed);
    if (rc)
        fprintf(stderr, "opsledger: cannot seal the earlier audit entries: %s\n", c.detail);
    else if (sealed)
        fprintf(stderr, "opsledger: %lld earlier audit entries joined the hash chain\n", sealed);
    ol_ctx_clear(&c);
    return rc ? 1 : 0;
}

int ol_cli_migrate(ol_config_t *cfg, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    ol_db_t *db;
    int rc = ol_cli_open_db(cfg, &db);
    if (rc)
        return rc;
    rc = migrate(db);
    ol_db_close(db);
    return rc;
}

int ol_cli_config(ol_config_t *cfg, int argc, char **argv)
{
    char err[512];
    if (argc < 2 || strcmp(argv[1], "check")) {
        fprintf(stderr, "usage: opsledger config check [--config FILE] [--KEY VALUE ...]\n");
        return 2;
    }
    if (ol_config_check(cfg, err, sizeof err) || ol_directory_check_config(cfg, err, sizeof err)) {
        fprintf(stderr, "opsledger: configuration: %s\n", err);
        return 1;
    }
    ol_config_print(cfg);
    fprintf(stderr, "opsledger: configuration is valid\n");
    return 0;
}

static int add_user(ol_db_t *db, const char *name, const char *const *roles, const char *pwfile,
                    const char *env)
{
    char *pw = ol_cli_read_secret(pwfile, env, "Password: ", 1);
    if (!pw) {
        fprintf(stderr, "opsledger: no password: use --password-file FILE, the %s variable, or "
                        "run on a terminal to be asked\n", env);
        return 2;
    }
    ol_ctx_t c;
    ol_ctx_init(&c, db, "cli", cli_roles);
    c.via = "cli";
    c.ip = "local";
    int rc = ol_user_create(&c, name, name, pw, roles);
    memset(pw, 0, strlen(pw));
    free(pw);
    if (rc) {
        fprintf(stderr, "opsledger: cannot create user %s: %s\n", name, c.detail);
        size_t i;
        json_t *e;
        json_array_foreach(c.errors, i, e)
            fprintf(stderr, "  %s: %s\n", json_string_value(json_object_get(e, "field")),
                    json_string_value(json_object_get(e, "message")));
    }
    ol_ctx_clear(&c);
    return rc ? 1 : 0;
}

int ol_cli_init(ol_config_t *cfg, int argc, char **argv)
{
    const char *url = ol_config_db_url(cfg);
    if (!strncmp(url, "sqlite:", 7)) {
        /* Create the data directory (mode 0700: the database holds secrets). */
        char *dir = ol_xstrdup(url + 7);
        char *slash = strrchr(dir, '/');
        if (slash) {
            *slash = 0;
            if (*dir && mkdir(dir, 0700) && errno != EEXIST) {
                fprintf(stderr, "opsledger: cannot create %s: %s\n", dir, strerror(errno));
                free(dir);
                return 1;
            }
        }
        free(dir);
    }
    ol_db_t *db;
    int rc = ol_cli_open_db(cfg, &db);
    if (rc)
        return rc;
    if (ol_db_schema_version(db) >= 1) {
        fprintf(stderr, "opsledger: %s is already initialised; use 'opsledger migrate' to "
                        "upgrade it\n", url);
        ol_db_close(db);
        return 1;
    }
    rc = migrate(db);
    const char *admin = ol_cli_flag(argc, argv, "admin");
    if (!admin)
        admin = "admin";
    static const char *const roles[] = {"admin", NULL};
    if (rc == 0)
        rc = add_user(db, admin, roles, ol_cli_flag(argc, argv, "password-file"),
                      "OPSLEDGER_ADMIN_PASSWORD");
    /* S7: the field-encryption key file, mode 0600 (on PostgreSQL only when key_file is set:
     * serve refuses to start without one). */
    char err[512];
    if (rc == 0 && (ol_db_path(db) || *cfg->key_file) &&
        ol_keys_setup(db, cfg->key_file, 1, err, sizeof err)) {
        fprintf(stderr, "opsledger: %s\n", err);
        rc = 1;
    }
    ol_db_close(db);
    if (rc)
        return rc;
    const char *listen = cfg->listen;
    printf("opsledger is initialised. Administrator: %s\n", admin);
    if (*cfg->public_url)
        printf("Log in at %s\n", cfg->public_url);
    else
        printf("Start it with 'opsledger serve' and log in at http://%s/\n", listen);
    return 0;
}

/* `opsledger user ...` is in cli/users_cli.c. */

int ol_cli_token(ol_config_t *cfg, int argc, char **argv)
{
    const char *user = ol_cli_flag(argc, argv, "user");
    if (argc < 2 || strcmp(argv[1], "create") || !user) {
        fprintf(stderr, "usage: opsledger token create --user NAME [--name LABEL] [--days N]\n");
        return 2;
    }
    const char *name = ol_cli_flag(argc, argv, "name");
    const char *days = ol_cli_flag(argc, argv, "days");
    ol_db_t *db;
    int rc = ol_cli_open_db(cfg, &db);
    if (rc)
        return rc;
    ol_ctx_t c;
    ol_ctx_init(&c, db, "cli", cli_roles);
    c.ip = "local";
    char token[96];
    rc = ol_token_create(&c, user, name ? name : "cli", days ? atoi(days) : 0, token);
    if (rc)
        fprintf(stderr, "opsledger: cannot create a token: %s\n",
                c.detail[0] ? c.detail : ol_strerror(rc));
    else
        printf("%s\n", token);
    ol_ctx_clear(&c);
    ol_db_close(db);
    return rc ? 1 : 0;
}
