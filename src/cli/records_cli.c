/* cli/records_cli.c - `opsledger records`: an HTTP API client, bound by its rules and audit. The
 * generic verbs live here; the CMDB ones in cmdb_cli.c, the client in api_client.c. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/records_cli.h"

static const char usage_head[] =
    "usage: opsledger records SUBCOMMAND ... [--url URL] [--token-file FILE] [--cacert PEM]\n"
    "       [--json]\n"
    "  create TYPE --fields JSON|@FILE\n"
    "  get TYPE NUMBER [--reveal FIELD,...]  (sensitive fields in clear: audited)\n"
    "  list TYPE [--filter K=V]... [--sort S] [--limit N] [--cursor C] [--q TEXT]\n"
    "  update TYPE NUMBER --fields JSON|@FILE [--version V]\n"
    "  transition TYPE NUMBER NAME [--reason TEXT] [--fields FIELDS_JSON] [--version V]\n"
    "  comment TYPE NUMBER --body TEXT [--work-note]\n"
    "  link TYPE NUMBER --link-type T --target NUMBER\n"
    "  history TYPE NUMBER\n"
    "  export TYPE [--format csv|json] [--filter K=V]... [--sort S] [--q TEXT]   (to stdout)\n"
    "  stats TYPE --by FIELD [--filter K=V]... [--q TEXT]   (counts, e.g. --by state)\n"
    "  suggest [--q TEXT] [--target INCIDENT] [--limit N]   known errors and articles (Q3)\n";
/* CMDB lines (ol_cli_cmdb_usage) come between the two parts. */
static const char usage_tail[] =
    "TYPE is the API path of the record type, e.g. articles. The server is --url, else\n"
    "OPSLEDGER_URL, else " OL_CLI_API_DEFAULT_URL "; the API token is read from --token-file or\n"
    "OPSLEDGER_TOKEN (never from the command line). Exit status: 0 done, 1 refused by the\n"
    "server, 2 usage, 3 server not reachable. An https:// server's certificate is checked\n"
    "against the system's CAs, or the CA file --cacert (else OPSLEDGER_CACERT).\n";

/* ---- arguments ------------------------------------------------------------------------------- */

#define FLAG(name, member) {name, offsetof(ol_cli_args_t, member)}
static const struct {
    const char *name;
    size_t off; /* of a const char * in ol_cli_args_t */
} value_flags[] = {
    FLAG("sort", sort),           FLAG("limit", limit),         FLAG("cursor", cursor),
    FLAG("q", q),                 FLAG("version", version),     FLAG("reason", reason),
    FLAG("body", body),           FLAG("link-type", link_type), FLAG("target", target),
    FLAG("url", url),             FLAG("token-file", token_file), FLAG("fields", fields),
    FLAG("cacert", cacert),       FLAG("format", format),       FLAG("reveal", reveal),
    FLAG("by", by),               FLAG("direction", direction), FLAG("depth", depth),
    FLAG("file", file),           FLAG("mode", mode),
};
#undef FLAG

/* Splits argv (after "records SUB") into positional arguments and flags. */
static int parse_args(int argc, char **argv, ol_cli_args_t *a)
{
    a->filters = ol_xcalloc((size_t)argc, sizeof(*a->filters));
    for (int i = 2; i < argc; i++) {
        const char *arg = argv[i];
        if (strncmp(arg, "--", 2)) {
            if (a->npos == OL_CLI_MAX_POSITIONAL)
                goto extra;
            a->pos[a->npos++] = arg;
            continue;
        }
        const char *name = arg + 2, *eq = strchr(name, '=');
        size_t n = eq ? (size_t)(eq - name) : strlen(name);
        if (!eq && (n == 4 && !strncmp(name, "json", 4))) {
            a->json = 1;
            continue;
        }
        if (!eq && (n == 9 && !strncmp(name, "work-note", 9))) {
            a->work_note = 1;
            continue;
        }
        const char **slot = NULL;
        int is_filter = n == 6 && !strncmp(name, "filter", 6);
        for (size_t k = 0; !is_filter && k < sizeof value_flags / sizeof value_flags[0]; k++)
            if (strlen(value_flags[k].name) == n && !strncmp(value_flags[k].name, name, n))
                slot = (const char **)((char *)a + value_flags[k].off);
        if (!is_filter && !slot) {
            fprintf(stderr, "opsledger: unknown option --%.*s\n", (int)n, name);
            return -1;
        }
        const char *value = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
        if (!value) {
            fprintf(stderr, "opsledger: --%.*s needs a value\n", (int)n, name);
            return -1;
        }
        if (is_filter) {
            if (!strchr(value, '=') || value[0] == '=') {
                fprintf(stderr, "opsledger: --filter takes NAME=VALUE (or NAME[op]=VALUE)\n");
                return -1;
            }
            a->filters[a->nfilters++] = value;
        } else {
            *slot = value;
        }
    }
    return 0;
extra:
    fprintf(stderr, "opsledger: too many arguments\n");
    return -1;
}

/* ---- printers -------------------------------------------------------------------------------- */

static void print_record(const json_t *rec)
{
    printf("%s  %s  %s\n", ol_cli_api_str(rec, "number"), ol_cli_api_str(rec, "state"),
           ol_cli_api_str(rec, "title"));
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)rec, key, v) {
        if (!strcmp(key, "number") || !strcmp(key, "state") || !strcmp(key, "title"))
            continue;
        printf("%s: ", key);
        ol_cli_api_print_value(v);
        putchar('\n');
    }
}

static void print_list(const json_t *res)
{
    size_t i;
    json_t *rec;
    json_array_foreach(json_object_get(res, "items"), i, rec)
        printf("%s  %s  %s\n", ol_cli_api_str(rec, "number"), ol_cli_api_str(rec, "state"),
               ol_cli_api_str(rec, "title"));
    const char *next = json_string_value(json_object_get(res, "next_cursor"));
    if (next && *next)
        printf("next: %s\n", next);
}

static void print_history(const json_t *res)
{
    size_t i;
    json_t *h;
    json_array_foreach(json_object_get(res, "items"), i, h) {
        printf("%s  %s  v%lld  %s", ol_cli_api_str(h, "at"), ol_cli_api_str(h, "actor"),
               (long long)json_integer_value(json_object_get(h, "version")),
               ol_cli_api_str(h, "action"));
        if (json_is_string(json_object_get(h, "field"))) {
            printf("  %s: ", ol_cli_api_str(h, "field"));
            ol_cli_api_print_value(json_object_get(h, "old"));
            fputs(" -> ", stdout);
            ol_cli_api_print_value(json_object_get(h, "new"));
        }
        if (json_is_string(json_object_get(h, "reason")))
            printf("  (%s)", ol_cli_api_str(h, "reason"));
        putchar('\n');
    }
}

/* "VALUE  COUNT" lines, the most frequent first, then the total. */
static void print_stats(const json_t *res)
{
    size_t i;
    json_t *g;
    json_array_foreach(json_object_get(res, "counts"), i, g) {
        json_t *v = json_object_get(g, "value");
        if (json_is_null(v))
            fputs("(none)", stdout);
        else
            ol_cli_api_print_value(v);
        printf("  %lld\n", (long long)json_integer_value(json_object_get(g, "count")));
    }
    printf("total  %lld%s\n", (long long)json_integer_value(json_object_get(res, "total")),
           json_is_true(json_object_get(res, "more")) ? "  (only the 100 largest groups shown)"
                                                       : "");
}

/* ---- verbs ----------------------------------------------------------------------------------- */

static int parse_version(const char *s, long long *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end || v <= 0) {
        fprintf(stderr, "opsledger: --version takes the record's version, a positive integer\n");
        return -1;
    }
    *out = v;
    return 0;
}

int ol_cli_need_data(const ol_cli_args_t *a, const char *what)
{
    if (a->data)
        return 0;
    fprintf(stderr, "opsledger: %s needs --fields JSON or --fields @FILE\n", what);
    return -1;
}

static int cmd_create(ol_cli_api_t *c, ol_cli_args_t *a)
{
    if (ol_cli_need_data(a, "records create"))
        return OL_CLI_EXIT_USAGE;
    char *url = ol_cli_api_route(c, a->pos[0], NULL, NULL, NULL);
    int rc = ol_cli_api_run(c, "POST", url, a->data, 0, print_record);
    free(url);
    return rc;
}

static int cmd_get(ol_cli_api_t *c, ol_cli_args_t *a)
{
    ol_buf_t b;
    ol_buf_init(&b);
    char *url = ol_cli_api_route(c, a->pos[0], a->pos[1], NULL, NULL);
    ol_buf_puts(&b, url);
    free(url);
    if (a->reveal)
        ol_cli_api_add_query(c, &b, "reveal", 6, a->reveal);
    int rc = ol_cli_api_run(c, "GET", b.p, NULL, 0, print_record);
    ol_buf_clear(&b);
    return rc;
}

/* "BASE/api/v1/TYPE[/SUB]?" with the --filter arguments and the named options that are set:
 * the URL of a list, an export or counts. Caller frees. */
static char *query_url(ol_cli_api_t *c, const ol_cli_args_t *a, const char *sub,
                       const char *const *names, const char *const *values, size_t n)
{
    ol_buf_t b;
    ol_buf_init(&b);
    char *url = ol_cli_api_route(c, a->pos[0], sub, NULL, NULL);
    ol_buf_puts(&b, url);
    free(url);
    for (int i = 0; i < a->nfilters; i++) {
        const char *eq = strchr(a->filters[i], '=');
        ol_cli_api_add_query(c, &b, a->filters[i], (size_t)(eq - a->filters[i]), eq + 1);
    }
    for (size_t i = 0; i < n; i++)
        if (values[i])
            ol_cli_api_add_query(c, &b, names[i], strlen(names[i]), values[i]);
    return ol_buf_steal(&b);
}

static int cmd_list(ol_cli_api_t *c, ol_cli_args_t *a)
{
    static const char *const names[] = {"sort", "limit", "cursor", "q"};
    const char *values[] = {a->sort, a->limit, a->cursor, a->q};
    char *url = query_url(c, a, NULL, names, values, 4);
    int rc = ol_cli_api_run(c, "GET", url, NULL, 0, print_list);
    free(url);
    return rc;
}

/* Counts grouped by --by (GET /api/v1/TYPE/stats). */
static int cmd_stats(ol_cli_api_t *c, ol_cli_args_t *a)
{
    if (!a->by) {
        fprintf(stderr, "opsledger: records stats needs --by FIELD (e.g. --by state)\n");
        return OL_CLI_EXIT_USAGE;
    }
    static const char *const names[] = {"by", "q"};
    const char *values[] = {a->by, a->q};
    char *url = query_url(c, a, "stats", names, values, 2);
    int rc = ol_cli_api_run(c, "GET", url, NULL, 0, print_stats);
    free(url);
    return rc;
}

/* Every matching record, as the server wrote it (CSV or JSON), to stdout. */
static int cmd_export(ol_cli_api_t *c, ol_cli_args_t *a)
{
    static const char *const names[] = {"format", "sort", "q"};
    const char *values[] = {a->format, a->sort, a->q};
    char *url = query_url(c, a, "export", names, values, 3);
    ol_cli_api_resp_t r;
    int rc = ol_cli_api_request(c, "GET", url, NULL, 0, &r);
    free(url);
    if (rc)
        return rc;
    if ((rc = ol_cli_api_problem(&r)) == 0 && r.body.len)
        fwrite(r.body.p, 1, r.body.len, stdout);
    ol_buf_clear(&r.body);
    return rc;
}

static int cmd_update(ol_cli_api_t *c, ol_cli_args_t *a)
{
    long long version = 0;
    if (ol_cli_need_data(a, "records update") ||
        (a->version && parse_version(a->version, &version)))
        return OL_CLI_EXIT_USAGE;
    char *url = ol_cli_api_route(c, a->pos[0], a->pos[1], NULL, NULL);
    int rc = 0;
    if (!version) {
        /* Optimistic concurrency needs the version this change is based on: read it now. */
        ol_cli_api_resp_t r;
        rc = ol_cli_api_request(c, "GET", url, NULL, 0, &r);
        if (rc == 0 && (rc = ol_cli_api_problem(&r)) == 0) {
            json_t *rec = json_loadb(r.body.p, r.body.len, 0, NULL);
            version = json_integer_value(json_object_get(rec, "version"));
            json_decref(rec);
            if (version <= 0) {
                fprintf(stderr, "opsledger: the server's answer has no record version\n");
                rc = OL_CLI_EXIT_HTTP;
            }
        }
        ol_buf_clear(&r.body);
    }
    if (rc == 0)
        rc = ol_cli_api_run(c, "PATCH", url, a->data, version, print_record);
    free(url);
    return rc;
}

static int cmd_transition(ol_cli_api_t *c, ol_cli_args_t *a)
{
    long long version = 0;
    if (a->version && parse_version(a->version, &version))
        return OL_CLI_EXIT_USAGE;
    json_t *body = json_object();
    if (a->reason)
        json_object_set_new(body, "reason", json_string(a->reason));
    if (a->data)
        json_object_set(body, "fields", a->data);
    char *url = ol_cli_api_route(c, a->pos[0], a->pos[1], "transitions", a->pos[2]);
    int rc = ol_cli_api_run(c, "POST", url, body, version, print_record);
    free(url);
    json_decref(body);
    return rc;
}

static int cmd_comment(ol_cli_api_t *c, ol_cli_args_t *a)
{
    if (!a->body) {
        fprintf(stderr, "opsledger: records comment needs --body TEXT\n");
        return OL_CLI_EXIT_USAGE;
    }
    json_t *body = json_pack("{ssss}", "body", a->body, "kind",
                             a->work_note ? "work_note" : "comment");
    if (!body) {
        fprintf(stderr, "opsledger: --body must be UTF-8 text\n");
        return OL_CLI_EXIT_USAGE;
    }
    char *url = ol_cli_api_route(c, a->pos[0], a->pos[1], "comments", NULL);
    int rc = ol_cli_api_run(c, "POST", url, body, 0, ol_cli_api_print_fields);
    free(url);
    json_decref(body);
    return rc;
}

static int cmd_link(ol_cli_api_t *c, ol_cli_args_t *a)
{
    if (!a->link_type || !a->target) {
        fprintf(stderr, "opsledger: records link needs --link-type T and --target NUMBER\n");
        return OL_CLI_EXIT_USAGE;
    }
    json_t *body = json_pack("{ssss}", "type", a->link_type, "target", a->target);
    if (!body) {
        fprintf(stderr, "opsledger: --link-type and --target must be UTF-8 text\n");
        return OL_CLI_EXIT_USAGE;
    }
    char *url = ol_cli_api_route(c, a->pos[0], a->pos[1], "links", NULL);
    int rc = ol_cli_api_run(c, "POST", url, body, 0, ol_cli_api_print_fields);
    free(url);
    json_decref(body);
    return rc;
}

static int cmd_history(ol_cli_api_t *c, ol_cli_args_t *a)
{
    char *url = ol_cli_api_route(c, a->pos[0], a->pos[1], "history", NULL);
    int rc = ol_cli_api_run(c, "GET", url, NULL, 0, print_history);
    free(url);
    return rc;
}

/* Q3: the known errors and articles suggested for a text or an incident (--target). */
static int cmd_suggest(ol_cli_api_t *c, ol_cli_args_t *a)
{
    if (!a->q && !a->target) {
        fprintf(stderr, "opsledger: records suggest needs --q TEXT or --target INCIDENT\n");
        return OL_CLI_EXIT_USAGE;
    }
    ol_buf_t b;
    ol_buf_init(&b);
    ol_buf_printf(&b, "%s/api/v1/known_errors/suggest", c->base);
    static const char *const names[] = {"q", "incident", "limit"};
    const char *values[] = {a->q, a->target, a->limit};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (values[i])
            ol_cli_api_add_query(c, &b, names[i], strlen(names[i]), values[i]);
    int rc = ol_cli_api_run(c, "GET", b.p, NULL, 0, print_list);
    ol_buf_clear(&b);
    return rc;
}

/* ---- entry ----------------------------------------------------------------------------------- */

static const ol_cli_verb_t verbs[] = {
    {"create", 1, cmd_create},         {"get", 2, cmd_get},         {"list", 1, cmd_list},
    {"update", 2, cmd_update},         {"transition", 3, cmd_transition},
    {"comment", 2, cmd_comment},       {"link", 2, cmd_link},       {"history", 2, cmd_history},
    {"export", 1, cmd_export},         {"stats", 1, cmd_stats},     {"suggest", 0, cmd_suggest},
    {NULL, 0, NULL},
};

/* The verb called name: the generic ones, then the CMDB ones. NULL when there is none. */
static const ol_cli_verb_t *find_verb(const char *name)
{
    static const ol_cli_verb_t *const tables[] = {verbs, ol_cli_cmdb_verbs};
    for (size_t t = 0; t < sizeof tables / sizeof tables[0]; t++)
        for (const ol_cli_verb_t *v = tables[t]; v->name; v++)
            if (!strcmp(name, v->name))
                return v;
    return NULL;
}

int ol_cli_records(ol_config_t *cfg, int argc, char **argv)
{
    (void)cfg; /* the client needs only the server URL and token, not the database */
    ol_cli_args_t a;
    ol_cli_api_t c;
    memset(&a, 0, sizeof a);
    memset(&c, 0, sizeof c);
    int rc = OL_CLI_EXIT_USAGE;
    const ol_cli_verb_t *verb = argc >= 2 ? find_verb(argv[1]) : NULL;
    if (!verb || parse_args(argc, argv, &a) || a.npos != verb->npos) {
        if (verb && a.npos != verb->npos)
            fprintf(stderr, "opsledger: records %s takes %d argument%s\n", argv[1], verb->npos,
                    verb->npos > 1 ? "s" : "");
        fputs(usage_head, stderr);
        fputs(ol_cli_cmdb_usage, stderr);
        fputs(usage_tail, stderr);
        goto out;
    }
    if (ol_cli_api_load_fields(a.fields, &a.data))
        goto out;
    rc = ol_cli_api_open(&c, a.url, a.cacert, a.token_file, a.json);
    if (rc == 0)
        rc = verb->fn(&c, &a);
out:
    ol_cli_api_close(&c);
    free(a.filters);
    json_decref(a.data);
    if (fflush(stdout) && rc == 0)
        rc = OL_CLI_EXIT_HTTP;
    return rc;
}
