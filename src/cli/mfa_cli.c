/* cli/mfa_cli.c - `opsledger user mfa-reset NAME`: an administrator's recovery of an account
 * whose authenticator is lost (S3), directly on the database. */
#include <stdio.h>

#include "auth/mfa.h"
#include "cli/cli.h"
#include "core/err.h"

int ol_cli_user_mfa_reset(ol_config_t *cfg, int argc, char **argv)
{
    static const char *const roles[] = {"admin", NULL};
    if (argc < 3 || argv[2][0] == '-') {
        fprintf(stderr, "usage: opsledger user mfa-reset NAME\n");
        return 2;
    }
    ol_db_t *db;
    int rc = ol_cli_open_db(cfg, &db);
    if (rc)
        return rc;
    ol_ctx_t c;
    ol_ctx_init(&c, db, "cli", roles);
    c.via = "cli";
    c.ip = "local";
    rc = ol_mfa_reset(&c, argv[2]);
    if (rc)
        fprintf(stderr, "opsledger: cannot reset the MFA of %s: %s\n", argv[2],
                c.detail[0] ? c.detail : ol_strerror(rc));
    else
        printf("MFA of %s reset: the user enrols again at the next login\n", argv[2]);
    ol_ctx_clear(&c);
    ol_db_close(db);
    return rc ? 1 : 0;
}
