#include "cli/cli.h"
int ol_cli_backup(ol_config_t *cfg, int argc, char **argv) { (void)cfg; (void)argc; (void)argv; return 1; }
int ol_cli_restore(ol_config_t *cfg, int argc, char **argv) { (void)cfg; (void)argc; (void)argv; return 1; }
int ol_cli_records(ol_config_t *cfg, int argc, char **argv) { (void)cfg; (void)argc; (void)argv; return 1; }
