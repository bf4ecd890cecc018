/* cli/records_cli.h - the arguments and verb tables of `opsledger records`, shared by the files
 * that implement its verbs (records_cli.c: the generic ones; cmdb_cli.c: the CMDB ones). */
#ifndef OL_CLI_RECORDS_CLI_H
#define OL_CLI_RECORDS_CLI_H
#include "cli/api_client.h"

#define OL_CLI_MAX_POSITIONAL 4

/* The command line after "records SUB", parsed by records_cli.c. */
typedef struct {
    const char *pos[OL_CLI_MAX_POSITIONAL];
    int npos;
    const char **filters;
    int nfilters;
    const char *sort, *limit, *cursor, *q, *version, *reason, *body, *link_type, *target;
    const char *format, *by;
    const char *url, *token_file, *fields, *cacert;
    const char *reveal; /* S7: sensitive fields to show in clear */
    const char *direction, *depth, *file, *mode; /* K2, K5: impact, import */
    int json, work_note;
    json_t *data; /* --fields, parsed; NULL when absent */
} ol_cli_args_t;

/* One verb: its name, how many positional arguments follow it, and what runs it (returns the
 * exit status). A table ends with an entry whose name is NULL. */
typedef struct {
    const char *name;
    int npos;
    int (*fn)(ol_cli_api_t *c, ol_cli_args_t *a);
} ol_cli_verb_t;

/* The CMDB verbs (K2-K5) and their lines of the usage text (cmdb_cli.c). */
extern const ol_cli_verb_t ol_cli_cmdb_verbs[];
extern const char ol_cli_cmdb_usage[];

/* Returns 0 when --fields was given, else says that `what` needs it and returns -1. */
int ol_cli_need_data(const ol_cli_args_t *a, const char *what);

#endif
