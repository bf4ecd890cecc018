/* cli/cli.h - the `opsledger <verb>` subcommands. Each returns the process exit status. */
#ifndef OL_CLI_H
#define OL_CLI_H
#include "core/config.h"
#include "core/db.h"

#define OL_VERSION "0.1.0"

int ol_cli_init(ol_config_t *cfg, int argc, char **argv);
int ol_cli_serve(ol_config_t *cfg, int argc, char **argv);
int ol_cli_migrate(ol_config_t *cfg, int argc, char **argv);
int ol_cli_config(ol_config_t *cfg, int argc, char **argv);
int ol_cli_backup(ol_config_t *cfg, int argc, char **argv);
int ol_cli_restore(ol_config_t *cfg, int argc, char **argv);
int ol_cli_token(ol_config_t *cfg, int argc, char **argv);
int ol_cli_user(ol_config_t *cfg, int argc, char **argv);
int ol_cli_user_mfa_reset(ol_config_t *cfg, int argc, char **argv); /* S3 */
int ol_cli_records(ol_config_t *cfg, int argc, char **argv);
int ol_cli_role(ol_config_t *cfg, int argc, char **argv);
int ol_cli_group(ol_config_t *cfg, int argc, char **argv);
int ol_cli_org_unit(ol_config_t *cfg, int argc, char **argv);
int ol_cli_directory(ol_config_t *cfg, int argc, char **argv);
int ol_cli_audit(ol_config_t *cfg, int argc, char **argv);
int ol_cli_keys(ol_config_t *cfg, int argc, char **argv); /* S7 */
int ol_cli_channel(ol_config_t *cfg, int argc, char **argv); /* P7 */
int ol_cli_report(ol_config_t *cfg, int argc, char **argv); /* V3 */
int ol_cli_change(ol_config_t *cfg, int argc, char **argv); /* C3-C5 */
int ol_cli_sla(ol_config_t *cfg, int argc, char **argv);     /* I4 */
int ol_cli_calendar(ol_config_t *cfg, int argc, char **argv); /* P5 */
int ol_cli_release(ol_config_t *cfg, int argc, char **argv);  /* R2 */
int ol_cli_integration(ol_config_t *cfg, int argc, char **argv); /* I1 */
int ol_cli_status(ol_config_t *cfg, int argc, char **argv); /* the nodes and the leader */

/* ---- shared helpers (cli/common.c) ---- */

/* Opens the configured database; prints the problem and returns non-zero on failure. */
int ol_cli_open_db(const ol_config_t *cfg, ol_db_t **db);
/* Applies the policy numbers of the configuration to the auth module. */
void ol_cli_apply_policy(const ol_config_t *cfg);
/* Reads a secret: from the file named by file_flag's value, else the environment variable env,
 * else a terminal prompt without echo (twice when confirm). Never from argv. Caller frees. */
char *ol_cli_read_secret(const char *file, const char *env, const char *prompt, int confirm);
/* Finds "--name value" or "--name=value" in argv; NULL when absent. */
const char *ol_cli_flag(int argc, char **argv, const char *name);
int ol_cli_has(int argc, char **argv, const char *name);
/* Prints "cannot WHAT: detail" and the per-field errors of a refused operation to stderr. */
struct ol_ctx;
void ol_cli_print_failure(const struct ol_ctx *c, int rc, const char *what);

#endif
