/* cli/keys_cli.c - `opsledger keys status|rotate` (REQUIREMENTS S7), directly on the database
 * and the key file; the server may keep running (it reloads the key file when it changes).
 * Runs are audited with the operating-system account in the actor ("cli:root"). */
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/err.h"
#include "core/fieldcrypt.h"
#include "modules/registry.h"
#include "records/audit.h"
#include "records/keys.h"

static const char *const cli_roles[] = {"admin", NULL};

static void usage(void)
{
    fprintf(stderr,
            "usage: opsledger keys status [--json]\n"
            "       opsledger keys rotate [--resume]\n"
            "  status  how many sealed values use each key id of the key file (key_file)\n"
            "  rotate  append a new active key to the key file and re-encrypt every sealed value\n"
            "          under it, key_rotate_batch rows per transaction; --resume finishes an\n"
            "          interrupted rotation without adding another key\n");
}

static int status(ol_ctx_t *c, int json)
{
    int rc = ol_keys_status(c);
    if (rc) {
        fprintf(stderr, "opsledger: %s\n", c->detail);
        return 1;
    }
    if (json) {
        char *text = json_dumps(c->result, JSON_COMPACT);
        printf("%s\n", text);
        free(text);
        return 0;
    }
    printf("active key: %s\n", json_string_value(json_object_get(c->result, "active")));
    size_t i;
    json_t *k;
    json_array_foreach(json_object_get(c->result, "keys"), i, k)
        printf("  %-12s %8lld values%s\n", json_string_value(json_object_get(k, "id")),
               (long long)json_integer_value(json_object_get(k, "values")),
               json_is_true(json_object_get(k, "in_file")) ? "" : "  (NOT in the key file)");
    const char *prefix;
    json_object_foreach(json_object_get(c->result, "legacy"), prefix, k)
        printf("  %-12s %8lld values sealed the old way (keys rotate re-seals them)\n", prefix,
               (long long)json_integer_value(k));
    long long bad = json_integer_value(json_object_get(c->result, "unreadable"));
    if (bad)
        printf("  %lld values do not open (their key is missing, or they were altered)\n", bad);
    return 0;
}

static void progress(const char *where, const ol_keys_stats_t *st, void *arg)
{
    (void)arg;
    printf("%s: %lld rows, %lld values re-encrypted so far\n", where, st->rows, st->values);
    fflush(stdout);
}

static int rotate(ol_ctx_t *c, int resume, int batch)
{
    char id[OL_FKEY_ID_MAX], err[512];
    if (!resume) {
        if (ol_fkeys_add(id, err, sizeof err)) {
            fprintf(stderr, "opsledger: %s\n", err);
            return 1;
        }
        printf("added key %s to the key file: it seals new values from now on\n", id);
    } else if (ol_fkeys_active(id)) {
        fprintf(stderr, "opsledger: no key file is loaded\n");
        return 1;
    }
    char detail[96];
    snprintf(detail, sizeof detail, "{\"key\":\"%s\",\"resume\":%s}", id,
             resume ? "true" : "false");
    int rc = ol_audit_write_now(c->db, c, "keys.rotate", id, "ok", detail);
    ol_keys_stats_t st;
    if (rc == 0)
        rc = ol_keys_reencrypt(c, batch, progress, NULL, &st);
    else
        snprintf(c->detail, sizeof c->detail, "cannot write the audit entry: %s", ol_strerror(rc));
    if (rc) {
        fprintf(stderr, "opsledger: %s; run 'opsledger keys rotate --resume' to finish\n",
                c->detail);
        return 1;
    }
    printf("done: every sealed value readable with the key file is under key %s (%lld values "
           "re-encrypted)\n", id, st.values);
    if (st.unreadable)
        printf("%lld values could not be opened (their key is missing, or they were altered) "
               "and were left as they were\n", st.unreadable);
    return 0;
}

int ol_cli_keys(ol_config_t *cfg, int argc, char **argv)
{
    if (argc < 2 || (strcmp(argv[1], "status") && strcmp(argv[1], "rotate"))) {
        usage();
        return 2;
    }
    ol_db_t *db;
    int rc = ol_cli_open_db(cfg, &db);
    if (rc)
        return rc;
    ol_schema_register_all();
    char err[512];
    if (ol_keys_setup(db, cfg->key_file, 0, err, sizeof err)) {
        fprintf(stderr, "opsledger: %s\n", err);
        ol_db_close(db);
        return 1;
    }
    char actor[96];
    const struct passwd *pw = getpwuid(geteuid());
    snprintf(actor, sizeof actor, "cli:%s", pw && pw->pw_name ? pw->pw_name : "unknown");
    ol_ctx_t c;
    ol_ctx_init(&c, db, actor, cli_roles);
    c.via = "cli";
    c.ip = "local";
    rc = !strcmp(argv[1], "status")
             ? status(&c, ol_cli_has(argc, argv, "json"))
             : rotate(&c, ol_cli_has(argc, argv, "resume"),
                      (int)ol_config_int(cfg->key_rotate_batch));
    ol_ctx_clear(&c);
    ol_fkeys_close();
    ol_db_close(db);
    return rc;
}
