/* cli/api_client.h - the HTTP API client the `opsledger records` verbs share (libcurl). */
#ifndef OL_CLI_API_CLIENT_H
#define OL_CLI_API_CLIENT_H
#include <curl/curl.h>
#include <stddef.h>

#include "core/json.h"
#include "core/mem.h"

#define OL_CLI_API_DEFAULT_URL "http://127.0.0.1:8080"
#define OL_CLI_API_DATA_DEPTH 64 /* nesting limit of the JSON the client reads from files */

/* Exit statuses, as documented in the usage text. */
enum { OL_CLI_EXIT_HTTP = 1, OL_CLI_EXIT_USAGE = 2, OL_CLI_EXIT_CONNECT = 3 };

typedef struct {
    CURL *h;
    char *base;     /* server URL without a trailing slash */
    char *auth;     /* "Bearer TOKEN": a secret, wiped before it is freed */
    const char *cacert; /* PEM CA file that signs an https server's certificate, or NULL */
    int json;       /* --json: print the server's answers as they are */
} ol_cli_api_t;

typedef struct {
    long status;
    ol_buf_t body;
    int too_big;
} ol_cli_api_resp_t;

/* Prints a parsed answer (a JSON object, borrowed) for people. */
typedef void (*ol_cli_api_show_fn)(const json_t *answer);

/* Sets up c (zeroed by the caller) for the server at url (NULL: OPSLEDGER_URL, else the default),
 * checked against cacert (NULL: OPSLEDGER_CACERT, else the system's CAs), with the token from
 * token_file or OPSLEDGER_TOKEN. Returns 0, or the exit status after saying what is wrong.
 * Release c with ol_cli_api_close whatever this returns. */
int ol_cli_api_open(ol_cli_api_t *c, const char *url, const char *cacert, const char *token_file,
                    int json);
/* Wipes the token and frees what ol_cli_api_open allocated. */
void ol_cli_api_close(ol_cli_api_t *c);

/* Sends one request (body borrowed, may be NULL; if_match > 0 sends If-Match). Returns 0 with the
 * answer in *r (any HTTP status; caller clears r->body), or OL_CLI_EXIT_CONNECT after saying why
 * the server could not be reached. */
int ol_cli_api_request(ol_cli_api_t *c, const char *method, const char *url, const json_t *body,
                       long long if_match, ol_cli_api_resp_t *r);
/* For an HTTP error, prints the problem (title, detail, field errors) and returns
 * OL_CLI_EXIT_HTTP; 0 otherwise. */
int ol_cli_api_problem(const ol_cli_api_resp_t *r);
/* Runs one request and prints its answer: the raw body with --json, else through show.
 * Returns the exit status. */
int ol_cli_api_run(ol_cli_api_t *c, const char *method, const char *url, const json_t *body,
                   long long if_match, ol_cli_api_show_fn show);

/* "BASE/api/v1/TYPE[/NUMBER[/SUB[/NAME]]]", TYPE, NUMBER and NAME URL-encoded. Caller frees. */
char *ol_cli_api_route(ol_cli_api_t *c, const char *type, const char *number, const char *sub,
                       const char *name);
/* Appends "?k=v" or "&k=v" to the URL in b, both URL-encoded (k is klen bytes). */
void ol_cli_api_add_query(ol_cli_api_t *c, ol_buf_t *b, const char *k, size_t klen,
                          const char *v);

/* Reads a data argument: the text v itself, or the file @FILE, or standard input for "@-"
 * (16 MiB at most). Returns the text (caller frees) and its length in *len, or NULL after
 * saying why. */
char *ol_cli_api_read_data(const char *v, size_t *len);
/* Parses the --fields value v (inline JSON or @FILE) into *data, a JSON object the caller
 * releases; *data stays NULL when v is NULL or empty. Returns 0, or -1 after saying why. */
int ol_cli_api_load_fields(const char *v, json_t **data);

/* ---- output helpers for the printers ---- */

/* Prints a value for people: strings as they are (continuation lines indented), null as "-",
 * anything else as compact JSON. */
void ol_cli_api_print_value(const json_t *v);
/* One "key: value" line per member of o. */
void ol_cli_api_print_fields(const json_t *o);
/* The string member key of o, or "-" (borrowed from o). */
const char *ol_cli_api_str(const json_t *o, const char *key);

#endif
