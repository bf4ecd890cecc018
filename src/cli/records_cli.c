/* cli/records_cli.c - `opsledger records`: an HTTP API client, bound by its rules and audit. */
#include <curl/curl.h>
#include <errno.h>
#include <sodium.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/json.h"
#include "core/mem.h"

#define DEFAULT_URL "http://127.0.0.1:8080"
#define MAX_RESPONSE (64u << 20)
#define MAX_DATA_FILE (16u << 20)
#define MAX_DATA_DEPTH 64
#define MAX_POSITIONAL 4

/* Exit statuses, as documented in the usage text. */
enum { EXIT_HTTP = 1, EXIT_USAGE = 2, EXIT_CONNECT = 3 };

typedef struct {
    const char *pos[MAX_POSITIONAL];
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
} args_t;

typedef struct {
    CURL *h;
    char *base;     /* server URL without a trailing slash */
    char *auth;     /* "Bearer TOKEN": a secret, wiped before it is freed */
    const char *cacert; /* PEM CA file that signs an https server's certificate, or NULL */
    int json;
} client_t;

typedef struct {
    long status;
    ol_buf_t body;
    int too_big;
} resp_t;

static const char usage_text[] =
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
    "  suggest [--q TEXT] [--target INCIDENT] [--limit N]   known errors and articles (Q3)\n"
    "CMDB (TYPE cis):\n"
    "  relate|unrelate cis NUMBER --link-type hosts|runs_on|depends_on|... --target NUMBER\n"
    "  relations cis NUMBER\n"
    "  impact cis NUMBER [--direction up|down] [--depth N]\n"
    "  discover cis --fields '{\"items\": [...]}'|@FILE [--mode partial]  (upsert by ci_id)\n"
    "  import cis --file FILE|- --format csv|json [--mode partial]\n"
    "  audit-items ci_audits NUMBER [--filter status=unaudited]   (K4: the sample to check)\n"
    "  audit-check ci_audits NUMBER ITEM --fields '{\"result\": \"matched\"|\"mismatched\"|"
    "\"missing\", \"note\", \"corrections\": {...}}'\n"
    "  audit-report ci_audits NUMBER\n"
    "  scan cis [--fields '{\"baseline\": \"BL-000001\", \"open_incidents\": false}']  (K3)\n"
    "TYPE is the API path of the record type, e.g. articles. The server is --url, else\n"
    "OPSLEDGER_URL, else " DEFAULT_URL "; the API token is read from --token-file or\n"
    "OPSLEDGER_TOKEN (never from the command line). Exit status: 0 done, 1 refused by the\n"
    "server, 2 usage, 3 server not reachable. An https:// server's certificate is checked\n"
    "against the system's CAs, or the CA file --cacert (else OPSLEDGER_CACERT).\n";

/* ---- arguments ------------------------------------------------------------------------------- */

static const struct {
    const char *name;
    size_t off; /* of a const char * in args_t */
} value_flags[] = {
    {"sort", offsetof(args_t, sort)},           {"limit", offsetof(args_t, limit)},
    {"cursor", offsetof(args_t, cursor)},       {"q", offsetof(args_t, q)},
    {"version", offsetof(args_t, version)},     {"reason", offsetof(args_t, reason)},
    {"body", offsetof(args_t, body)},           {"link-type", offsetof(args_t, link_type)},
    {"target", offsetof(args_t, target)},       {"url", offsetof(args_t, url)},
    {"token-file", offsetof(args_t, token_file)}, {"fields", offsetof(args_t, fields)},
    {"cacert", offsetof(args_t, cacert)},       {"format", offsetof(args_t, format)},
    {"reveal", offsetof(args_t, reveal)},       {"by", offsetof(args_t, by)},
    {"direction", offsetof(args_t, direction)}, {"depth", offsetof(args_t, depth)},
    {"file", offsetof(args_t, file)},           {"mode", offsetof(args_t, mode)},
};

/* Splits argv (after "records SUB") into positional arguments and flags. */
static int parse_args(int argc, char **argv, args_t *a)
{
    a->filters = ol_xcalloc((size_t)argc, sizeof(*a->filters));
    for (int i = 2; i < argc; i++) {
        const char *arg = argv[i];
        if (strncmp(arg, "--", 2)) {
            if (a->npos == MAX_POSITIONAL)
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

/* Reads the text of --fields: inline, @FILE, or @- for standard input. Caller frees. */
static char *data_text(const char *v, size_t *len)
{
    if (v[0] != '@') {
        *len = strlen(v);
        return ol_xstrdup(v);
    }
    FILE *f = strcmp(v, "@-") ? fopen(v + 1, "rb") : stdin;
    if (!f) {
        fprintf(stderr, "opsledger: cannot read %s: %s\n", v + 1, strerror(errno));
        return NULL;
    }
    ol_buf_t b;
    ol_buf_init(&b);
    char chunk[8192];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0 && b.len <= MAX_DATA_FILE)
        ol_buf_append(&b, chunk, n);
    int failed = ferror(f);
    if (f != stdin)
        fclose(f);
    if (failed || b.len > MAX_DATA_FILE) {
        fprintf(stderr, "opsledger: cannot read %s: %s\n", v + 1,
                failed ? "read error" : "larger than 16 MiB");
        ol_buf_clear(&b);
        return NULL;
    }
    *len = b.len;
    return ol_buf_steal(&b);
}

/* The --fields value: the record's fields as a JSON object, inline or @FILE. */
static int load_data(args_t *a)
{
    const char *v = a->fields;
    if (!v || !*v)
        return 0;
    size_t len;
    char *text = data_text(v, &len);
    if (!text)
        return -1;
    char err[256];
    int rc = ol_json_parse(text, len, MAX_DATA_DEPTH, &a->data, err, sizeof err);
    free(text);
    if (rc) {
        fprintf(stderr, "opsledger: --fields is not valid JSON: %s\n", err);
        return -1;
    }
    if (!json_is_object(a->data)) {
        fprintf(stderr, "opsledger: --fields must be a JSON object\n");
        json_decref(a->data);
        a->data = NULL;
        return -1;
    }
    return 0;
}

/* ---- HTTP ------------------------------------------------------------------------------------ */

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
    resp_t *r = arg;
    size_t len = size * n; /* curl passes size 1 */
    if (len > MAX_RESPONSE - r->body.len) {
        r->too_big = 1;
        return 0;
    }
    ol_buf_append(&r->body, p, len);
    return len;
}

static struct curl_slist *add_header(struct curl_slist *l, const char *name, const char *value)
{
    ol_buf_t b;
    ol_buf_init(&b);
    ol_buf_printf(&b, "%s: %s", name, value);
    struct curl_slist *n = curl_slist_append(l, b.p);
    sodium_memzero(b.p, b.len); /* may hold the token */
    ol_buf_clear(&b);
    if (!n) {
        fprintf(stderr, "opsledger: out of memory\n");
        abort();
    }
    return n;
}

/* Appends "/" and the URL-encoded s to b. */
static void add_segment(client_t *c, ol_buf_t *b, const char *s)
{
    char *e = curl_easy_escape(c->h, s, 0);
    if (!e)
        abort(); /* only on OOM: the same policy as ol_xmalloc */
    ol_buf_printf(b, "/%s", e);
    curl_free(e);
}

/* Appends "?k=v" or "&k=v", both URL-encoded. */
static void add_query(client_t *c, ol_buf_t *b, const char *k, size_t klen, const char *v)
{
    char *ek = curl_easy_escape(c->h, k, (int)klen), *ev = curl_easy_escape(c->h, v, 0);
    if (!ek || !ev)
        abort();
    ol_buf_printf(b, "%c%s=%s", strchr(b->p, '?') ? '&' : '?', ek, ev);
    curl_free(ek);
    curl_free(ev);
}

/* Sends one request. Returns 0 with the answer in *r (any HTTP status), or EXIT_CONNECT after
 * saying why the server could not be reached. */
static int request(client_t *c, const char *method, const char *url, const json_t *body,
                   long long if_match, resp_t *r)
{
    char errbuf[CURL_ERROR_SIZE] = "", etag[32];
    char *payload = body ? ol_json_dump(body) : NULL;
    struct curl_slist *h = NULL;
    const char *lang = getenv("LANG");
    h = add_header(h, "Accept", "application/json");
    h = add_header(h, "Content-Type", "application/json");
    h = add_header(h, "Authorization", c->auth);
    if (lang && !strncmp(lang, "zh", 2))
        h = add_header(h, "Accept-Language", "zh-CN");
    if (if_match > 0) {
        snprintf(etag, sizeof etag, "\"%lld\"", if_match);
        h = add_header(h, "If-Match", etag);
    }
    memset(r, 0, sizeof *r);
    ol_buf_init(&r->body);
    curl_easy_reset(c->h);
    curl_easy_setopt(c->h, CURLOPT_URL, url);
    curl_easy_setopt(c->h, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c->h, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c->h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c->h, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(c->h, CURLOPT_TIMEOUT, 120L);
    curl_easy_setopt(c->h, CURLOPT_USERAGENT, "opsledger-cli/" OL_VERSION);
    curl_easy_setopt(c->h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c->h, CURLOPT_WRITEDATA, r);
    if (c->cacert)
        curl_easy_setopt(c->h, CURLOPT_CAINFO, c->cacert);
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(c->h, CURLOPT_PROTOCOLS_STR, "http,https");
#endif
    if (strcmp(method, "GET"))
        curl_easy_setopt(c->h, CURLOPT_CUSTOMREQUEST, method);
    if (payload) {
        curl_easy_setopt(c->h, CURLOPT_POSTFIELDS, payload);
        curl_easy_setopt(c->h, CURLOPT_POSTFIELDSIZE, (long)strlen(payload));
    }
    CURLcode rc = curl_easy_perform(c->h);
    curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &r->status);
    curl_slist_free_all(h);
    free(payload);
    if (rc == CURLE_OK)
        return 0;
    if (r->too_big)
        fprintf(stderr, "opsledger: the answer from %s is larger than 64 MiB\n", c->base);
    else
        fprintf(stderr, "opsledger: cannot reach the server at %s: %s\n"
                        "  (is it running? set --url or OPSLEDGER_URL)\n", c->base,
                errbuf[0] ? errbuf : curl_easy_strerror(rc));
    ol_buf_clear(&r->body);
    return EXIT_CONNECT;
}

/* For an HTTP error, prints the problem (title, detail, field errors) and returns EXIT_HTTP. */
static int problem(const resp_t *r)
{
    if (r->status < 400)
        return 0;
    json_t *p = json_loadb(r->body.p ? r->body.p : "", r->body.len, 0, NULL);
    const char *title = json_string_value(json_object_get(p, "title"));
    const char *detail = json_string_value(json_object_get(p, "detail"));
    if (title || detail) {
        fprintf(stderr, "opsledger: %ld %s%s%s\n", r->status, title ? title : "",
                title && detail ? ": " : "", detail ? detail : "");
    } else {
        fprintf(stderr, "opsledger: the server answered HTTP %ld\n", r->status);
    }
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(p, "errors"), i, e) {
        const char *field = json_string_value(json_object_get(e, "field"));
        const char *msg = json_string_value(json_object_get(e, "message"));
        json_t *row = json_object_get(e, "row"); /* K5: a batch's errors name the row */
        if (json_is_integer(row))
            fprintf(stderr, "  row %lld: %s: %s\n", (long long)json_integer_value(row),
                    field && *field ? field : "(item)", msg ? msg : "invalid");
        else
            fprintf(stderr, "  %s: %s\n", field && *field ? field : "(body)", msg ? msg : "invalid");
    }
    json_decref(p);
    return EXIT_HTTP;
}

/* ---- output ---------------------------------------------------------------------------------- */

/* Prints a value for people: strings as they are (continuation lines indented), null as "-",
 * anything else as compact JSON. */
static void print_value(const json_t *v)
{
    if (json_is_string(v)) {
        for (const char *s = json_string_value(v); *s; s++) {
            putchar(*s);
            if (*s == '\n' && s[1])
                fputs("  ", stdout);
        }
    } else if (!v || json_is_null(v)) {
        putchar('-');
    } else {
        char *s = ol_json_dump(v);
        fputs(s, stdout);
        free(s);
    }
}

static const char *str(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "-";
}

static void print_record(const json_t *rec)
{
    printf("%s  %s  %s\n", str(rec, "number"), str(rec, "state"), str(rec, "title"));
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)rec, key, v) {
        if (!strcmp(key, "number") || !strcmp(key, "state") || !strcmp(key, "title"))
            continue;
        printf("%s: ", key);
        print_value(v);
        putchar('\n');
    }
}

static void print_list(const json_t *res)
{
    size_t i;
    json_t *rec;
    json_array_foreach(json_object_get(res, "items"), i, rec)
        printf("%s  %s  %s\n", str(rec, "number"), str(rec, "state"), str(rec, "title"));
    const char *next = json_string_value(json_object_get(res, "next_cursor"));
    if (next && *next)
        printf("next: %s\n", next);
}

static void print_history(const json_t *res)
{
    size_t i;
    json_t *h;
    json_array_foreach(json_object_get(res, "items"), i, h) {
        printf("%s  %s  v%lld  %s", str(h, "at"), str(h, "actor"),
               (long long)json_integer_value(json_object_get(h, "version")), str(h, "action"));
        if (json_is_string(json_object_get(h, "field"))) {
            printf("  %s: ", str(h, "field"));
            print_value(json_object_get(h, "old"));
            fputs(" -> ", stdout);
            print_value(json_object_get(h, "new"));
        }
        if (json_is_string(json_object_get(h, "reason")))
            printf("  (%s)", str(h, "reason"));
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
            print_value(v);
        printf("  %lld\n", (long long)json_integer_value(json_object_get(g, "count")));
    }
    printf("total  %lld%s\n", (long long)json_integer_value(json_object_get(res, "total")),
           json_is_true(json_object_get(res, "more")) ? "  (only the 100 largest groups shown)"
                                                       : "");
}

static void print_fields(const json_t *o)
{
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)o, key, v) {
        printf("%s: ", key);
        print_value(v);
        putchar('\n');
    }
}

/* ---- subcommands ----------------------------------------------------------------------------- */

typedef enum { SHOW_RECORD, SHOW_LIST, SHOW_HISTORY, SHOW_FIELDS, SHOW_STATS, SHOW_RELATIONS,
               SHOW_IMPACT, SHOW_REPORT, SHOW_SCAN, SHOW_AUDIT_ITEMS } show_t;

/* K4: one line per sampled CI: item id, status, number, ci_id, class, title. */
static void print_audit_items(const json_t *res)
{
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(res, "items"), i, it) {
        const json_t *ci = json_object_get(it, "ci");
        printf("%lld  %-10s  %s  %s  %s  %s\n",
               (long long)json_integer_value(json_object_get(it, "id")), str(it, "status"),
               str(ci, "number"), str(ci, "ci_id"), str(ci, "class"), str(ci, "title"));
    }
}

/* K3: the compliance rate, then one line per deviating CI and baseline. */
static void print_scan(const json_t *res)
{
    size_t i;
    json_t *d;
    json_array_foreach(json_object_get(res, "deviations"), i, d) {
        printf("%s  %s  %s  %s  ", str(d, "ci"), str(d, "ci_id"), str(d, "baseline"),
               str(d, "incident"));
        print_value(json_object_get(d, "deviations"));
        putchar('\n');
    }
    printf("checked %lld, compliant %lld, deviating %lld: %.2f %% (target %.0f %%: %s)\n",
           (long long)json_integer_value(json_object_get(res, "checked")),
           (long long)json_integer_value(json_object_get(res, "compliant")),
           (long long)json_integer_value(json_object_get(res, "deviating")),
           json_number_value(json_object_get(res, "compliance_rate")),
           json_number_value(json_object_get(res, "target")),
           json_is_true(json_object_get(res, "meets_target")) ? "met" : "not met");
}

/* K2: one line per relationship, as seen from the CI asked about. */
static void print_relations(const json_t *res)
{
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(res, "items"), i, r) {
        const json_t *ci = json_object_get(r, "ci");
        printf("%s  %s %s %s  %s  %s\n", str(r, "direction"), str(r, "source"), str(r, "type"),
               str(r, "target"), str(ci, "ci_id"), str(ci, "title"));
    }
}

/* K2: depth, number, ci_id, class and title of each CI reached, then the business services. */
static void print_impact(const json_t *res)
{
    size_t i;
    json_t *n;
    json_array_foreach(json_object_get(res, "nodes"), i, n) {
        if (json_is_true(json_object_get(n, "hidden"))) /* S5: outside the caller's data scope */
            printf("%lld  %s  (outside your data scope)  (%s %s)\n",
                   (long long)json_integer_value(json_object_get(n, "depth")), str(n, "ref"),
                   str(n, "relation"), str(n, "from"));
        else
            printf("%lld  %s  %s  %s  %s  (%s %s)\n",
                   (long long)json_integer_value(json_object_get(n, "depth")), str(n, "number"),
                   str(n, "ci_id"), str(n, "class"), str(n, "title"), str(n, "relation"),
                   str(n, "from"));
    }
    printf("business services: ");
    print_value(json_object_get(res, "business_services"));
    putchar('\n');
    if (json_is_true(json_object_get(res, "truncated")))
        printf("truncated at cmdb_impact_max_nodes\n");
}

/* K5: one line per item of a discovery batch or import. */
static void print_report(const json_t *res)
{
    const json_t *report = json_object_get(res, "report");
    size_t i;
    json_t *r;
    json_array_foreach(report, i, r) {
        printf("row %lld  %-9s  %s  %s  ", (long long)json_integer_value(json_object_get(r, "row")),
               str(r, "status"), str(r, "ci_id"), str(r, "number"));
        print_value(json_object_get(r, "fields"));
        putchar('\n');
    }
    printf("created %lld, changed %lld, unchanged %lld, invalid %lld\n",
           (long long)json_integer_value(json_object_get(res, "created")),
           (long long)json_integer_value(json_object_get(res, "changed")),
           (long long)json_integer_value(json_object_get(res, "unchanged")),
           (long long)json_integer_value(json_object_get(res, "invalid")));
}

/* Runs one request and prints its answer: the raw body with --json, else in a readable form. */
static int run(client_t *c, const char *method, const char *url, const json_t *body,
               long long if_match, show_t show)
{
    resp_t r;
    int rc = request(c, method, url, body, if_match, &r);
    if (rc)
        return rc;
    rc = problem(&r);
    if (rc == 0 && c->json && r.body.len) {
        fwrite(r.body.p, 1, r.body.len, stdout);
        if (r.body.p[r.body.len - 1] != '\n')
            putchar('\n');
    } else if (rc == 0 && r.body.len) {
        json_t *v = json_loadb(r.body.p, r.body.len, 0, NULL);
        if (!json_is_object(v)) {
            fprintf(stderr, "opsledger: the server's answer is not a JSON object\n");
            rc = EXIT_HTTP;
        } else if (show == SHOW_RECORD) {
            print_record(v);
        } else if (show == SHOW_LIST) {
            print_list(v);
        } else if (show == SHOW_HISTORY) {
            print_history(v);
        } else if (show == SHOW_STATS) {
            print_stats(v);
        } else if (show == SHOW_RELATIONS) {
            print_relations(v);
        } else if (show == SHOW_IMPACT) {
            print_impact(v);
        } else if (show == SHOW_REPORT) {
            print_report(v);
        } else if (show == SHOW_SCAN) {
            print_scan(v);
        } else if (show == SHOW_AUDIT_ITEMS) {
            print_audit_items(v);
        } else {
            print_fields(v);
        }
        json_decref(v);
    }
    ol_buf_clear(&r.body);
    return rc;
}

/* "BASE/api/v1/TYPE[/NUMBER[/SUB[/NAME]]]", each part URL-encoded. Caller frees. */
static char *route(client_t *c, const char *type, const char *number, const char *sub,
                   const char *name)
{
    ol_buf_t b;
    ol_buf_init(&b);
    ol_buf_printf(&b, "%s/api/v1", c->base);
    add_segment(c, &b, type);
    if (number)
        add_segment(c, &b, number);
    if (sub)
        ol_buf_printf(&b, "/%s", sub);
    if (name)
        add_segment(c, &b, name);
    return ol_buf_steal(&b);
}

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

static int need_data(const args_t *a, const char *what)
{
    if (a->data)
        return 0;
    fprintf(stderr, "opsledger: %s needs --fields JSON or --fields @FILE\n", what);
    return -1;
}

static int cmd_create(client_t *c, args_t *a)
{
    if (need_data(a, "records create"))
        return EXIT_USAGE;
    char *url = route(c, a->pos[0], NULL, NULL, NULL);
    int rc = run(c, "POST", url, a->data, 0, SHOW_RECORD);
    free(url);
    return rc;
}

static int cmd_get(client_t *c, args_t *a)
{
    ol_buf_t b;
    ol_buf_init(&b);
    char *url = route(c, a->pos[0], a->pos[1], NULL, NULL);
    ol_buf_puts(&b, url);
    free(url);
    if (a->reveal)
        add_query(c, &b, "reveal", 6, a->reveal);
    int rc = run(c, "GET", b.p, NULL, 0, SHOW_RECORD);
    ol_buf_clear(&b);
    return rc;
}

/* "BASE/api/v1/TYPE[/SUB]?" with the --filter arguments and the named options that are set:
 * the URL of a list, an export or counts. Caller frees. */
static char *query_url(client_t *c, const args_t *a, const char *sub, const char *const *names,
                       const char *const *values, size_t n)
{
    ol_buf_t b;
    ol_buf_init(&b);
    char *url = route(c, a->pos[0], sub, NULL, NULL);
    ol_buf_puts(&b, url);
    free(url);
    for (int i = 0; i < a->nfilters; i++) {
        const char *eq = strchr(a->filters[i], '=');
        add_query(c, &b, a->filters[i], (size_t)(eq - a->filters[i]), eq + 1);
    }
    for (size_t i = 0; i < n; i++)
        if (values[i])
            add_query(c, &b, names[i], strlen(names[i]), values[i]);
    return ol_buf_steal(&b);
}

static int cmd_list(client_t *c, args_t *a)
{
    static const char *const names[] = {"sort", "limit", "cursor", "q"};
    const char *values[] = {a->sort, a->limit, a->cursor, a->q};
    char *url = query_url(c, a, NULL, names, values, 4);
    int rc = run(c, "GET", url, NULL, 0, SHOW_LIST);
    free(url);
    return rc;
}

/* Counts grouped by --by (GET /api/v1/TYPE/stats). */
static int cmd_stats(client_t *c, args_t *a)
{
    if (!a->by) {
        fprintf(stderr, "opsledger: records stats needs --by FIELD (e.g. --by state)\n");
        return EXIT_USAGE;
    }
    static const char *const names[] = {"by", "q"};
    const char *values[] = {a->by, a->q};
    char *url = query_url(c, a, "stats", names, values, 2);
    int rc = run(c, "GET", url, NULL, 0, SHOW_STATS);
    free(url);
    return rc;
}

/* Every matching record, as the server wrote it (CSV or JSON), to stdout. */
static int cmd_export(client_t *c, args_t *a)
{
    static const char *const names[] = {"format", "sort", "q"};
    const char *values[] = {a->format, a->sort, a->q};
    char *url = query_url(c, a, "export", names, values, 3);
    resp_t r;
    int rc = request(c, "GET", url, NULL, 0, &r);
    free(url);
    if (rc)
        return rc;
    if ((rc = problem(&r)) == 0 && r.body.len)
        fwrite(r.body.p, 1, r.body.len, stdout);
    ol_buf_clear(&r.body);
    return rc;
}

static int cmd_update(client_t *c, args_t *a)
{
    long long version = 0;
    if (need_data(a, "records update") || (a->version && parse_version(a->version, &version)))
        return EXIT_USAGE;
    char *url = route(c, a->pos[0], a->pos[1], NULL, NULL);
    int rc = 0;
    if (!version) {
        /* Optimistic concurrency needs the version this change is based on: read it now. */
        resp_t r;
        rc = request(c, "GET", url, NULL, 0, &r);
        if (rc == 0 && (rc = problem(&r)) == 0) {
            json_t *rec = json_loadb(r.body.p, r.body.len, 0, NULL);
            version = json_integer_value(json_object_get(rec, "version"));
            json_decref(rec);
            if (version <= 0) {
                fprintf(stderr, "opsledger: the server's answer has no record version\n");
                rc = EXIT_HTTP;
            }
        }
        ol_buf_clear(&r.body);
    }
    if (rc == 0)
        rc = run(c, "PATCH", url, a->data, version, SHOW_RECORD);
    free(url);
    return rc;
}

static int cmd_transition(client_t *c, args_t *a)
{
    long long version = 0;
    if (a->version && parse_version(a->version, &version))
        return EXIT_USAGE;
    json_t *body = json_object();
    if (a->reason)
        json_object_set_new(body, "reason", json_string(a->reason));
    if (a->data)
        json_object_set(body, "fields", a->data);
    char *url = route(c, a->pos[0], a->pos[1], "transitions", a->pos[2]);
    int rc = run(c, "POST", url, body, version, SHOW_RECORD);
    free(url);
    json_decref(body);
    return rc;
}

static int cmd_comment(client_t *c, args_t *a)
{
    if (!a->body) {
        fprintf(stderr, "opsledger: records comment needs --body TEXT\n");
        return EXIT_USAGE;
    }
    json_t *body = json_pack("{ssss}", "body", a->body, "kind",
                             a->work_note ? "work_note" : "comment");
    if (!body) {
        fprintf(stderr, "opsledger: --body must be UTF-8 text\n");
        return EXIT_USAGE;
    }
    char *url = route(c, a->pos[0], a->pos[1], "comments", NULL);
    int rc = run(c, "POST", url, body, 0, SHOW_FIELDS);
    free(url);
    json_decref(body);
    return rc;
}

static int cmd_link(client_t *c, args_t *a)
{
    if (!a->link_type || !a->target) {
        fprintf(stderr, "opsledger: records link needs --link-type T and --target NUMBER\n");
        return EXIT_USAGE;
    }
    json_t *body = json_pack("{ssss}", "type", a->link_type, "target", a->target);
    if (!body) {
        fprintf(stderr, "opsledger: --link-type and --target must be UTF-8 text\n");
        return EXIT_USAGE;
    }
    char *url = route(c, a->pos[0], a->pos[1], "links", NULL);
    int rc = run(c, "POST", url, body, 0, SHOW_FIELDS);
    free(url);
    json_decref(body);
    return rc;
}

static int cmd_history(client_t *c, args_t *a)
{
    char *url = route(c, a->pos[0], a->pos[1], "history", NULL);
    int rc = run(c, "GET", url, NULL, 0, SHOW_HISTORY);
    free(url);
    return rc;
}

/* Q3: the known errors and articles suggested for a text or an incident (--target). */
static int cmd_suggest(client_t *c, args_t *a)
{
    if (!a->q && !a->target) {
        fprintf(stderr, "opsledger: records suggest needs --q TEXT or --target INCIDENT\n");
        return EXIT_USAGE;
    }
    ol_buf_t b;
    ol_buf_init(&b);
    ol_buf_printf(&b, "%s/api/v1/known_errors/suggest", c->base);
    static const char *const names[] = {"q", "incident", "limit"};
    const char *values[] = {a->q, a->target, a->limit};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (values[i])
            add_query(c, &b, names[i], strlen(names[i]), values[i]);
    int rc = run(c, "GET", b.p, NULL, 0, SHOW_LIST);
    ol_buf_clear(&b);
    return rc;
}

/* ---- CMDB (K2, K5) --------------------------------------------------------------------------- */

static int cmd_relate(client_t *c, args_t *a, int remove)
{
    if (!a->link_type || !a->target) {
        fprintf(stderr, "opsledger: records %s needs --link-type T and --target NUMBER\n",
                remove ? "unrelate" : "relate");
        return EXIT_USAGE;
    }
    char *url = route(c, a->pos[0], a->pos[1], "relations", NULL);
    int rc;
    if (remove) {
        ol_buf_t b;
        ol_buf_init(&b);
        ol_buf_puts(&b, url);
        add_query(c, &b, "type", 4, a->link_type);
        add_query(c, &b, "target", 6, a->target);
        rc = run(c, "DELETE", b.p, NULL, 0, SHOW_FIELDS);
        ol_buf_clear(&b);
    } else {
        json_t *body = json_pack("{ssss}", "type", a->link_type, "target", a->target);
        rc = body ? run(c, "POST", url, body, 0, SHOW_FIELDS) : EXIT_USAGE;
        json_decref(body);
    }
    free(url);
    return rc;
}

static int cmd_relate_add(client_t *c, args_t *a)
{
    return cmd_relate(c, a, 0);
}

static int cmd_relate_remove(client_t *c, args_t *a)
{
    return cmd_relate(c, a, 1);
}

static int cmd_relations(client_t *c, args_t *a)
{
    char *url = route(c, a->pos[0], a->pos[1], "relations", NULL);
    int rc = run(c, "GET", url, NULL, 0, SHOW_RELATIONS);
    free(url);
    return rc;
}

static int cmd_impact(client_t *c, args_t *a)
{
    ol_buf_t b;
    ol_buf_init(&b);
    char *url = route(c, a->pos[0], a->pos[1], "impact", NULL);
    ol_buf_puts(&b, url);
    free(url);
    if (a->direction)
        add_query(c, &b, "direction", 9, a->direction);
    if (a->depth)
        add_query(c, &b, "depth", 5, a->depth);
    int rc = run(c, "GET", b.p, NULL, 0, SHOW_IMPACT);
    ol_buf_clear(&b);
    return rc;
}

static int cmd_discover(client_t *c, args_t *a)
{
    if (need_data(a, "records discover"))
        return EXIT_USAGE;
    if (a->mode)
        json_object_set_new(a->data, "mode", json_string(a->mode));
    char *url = route(c, a->pos[0], "discovery", NULL, NULL);
    int rc = run(c, "POST", url, a->data, 0, SHOW_REPORT);
    free(url);
    return rc;
}

/* K3: a compliance scan; --fields may name the baseline and turn off opening incidents. */
static int cmd_scan(client_t *c, args_t *a)
{
    json_t *body = a->data ? json_incref(a->data) : json_object();
    char *url = route(c, a->pos[0], "compliance-scan", NULL, NULL);
    int rc = run(c, "POST", url, body, 0, SHOW_SCAN);
    free(url);
    json_decref(body);
    return rc;
}

/* K4: an audit's sample (--filter status=unaudited), one finding, the report. */
static int cmd_audit_items(client_t *c, args_t *a)
{
    ol_buf_t b;
    ol_buf_init(&b);
    char *url = route(c, a->pos[0], a->pos[1], "items", NULL);
    ol_buf_puts(&b, url);
    free(url);
    for (int i = 0; i < a->nfilters; i++) {
        const char *eq = strchr(a->filters[i], '=');
        add_query(c, &b, a->filters[i], (size_t)(eq - a->filters[i]), eq + 1);
    }
    int rc = run(c, "GET", b.p, NULL, 0, SHOW_AUDIT_ITEMS);
    ol_buf_clear(&b);
    return rc;
}

static int cmd_audit_check(client_t *c, args_t *a)
{
    if (need_data(a, "records audit-check"))
        return EXIT_USAGE;
    char *url = route(c, a->pos[0], a->pos[1], "items", a->pos[2]);
    int rc = run(c, "POST", url, a->data, 0, SHOW_FIELDS);
    free(url);
    return rc;
}

static int cmd_audit_report(client_t *c, args_t *a)
{
    char *url = route(c, a->pos[0], a->pos[1], "report", NULL);
    int rc = run(c, "GET", url, NULL, 0, SHOW_FIELDS);
    free(url);
    return rc;
}

/* The file's text goes as it is: CSV as "data", JSON as the items (an array or {"items"}). */
static int cmd_import(client_t *c, args_t *a)
{
    int csv = a->format && !strcmp(a->format, "csv");
    if (!a->file || !a->format || (!csv && strcmp(a->format, "json"))) {
        fprintf(stderr, "opsledger: records import needs --file FILE|- and --format csv|json\n");
        return EXIT_USAGE;
    }
    size_t len;
    char *at = ol_xmalloc(strlen(a->file) + 2);
    snprintf(at, strlen(a->file) + 2, "@%s", a->file);
    char *text = data_text(at, &len);
    free(at);
    if (!text)
        return EXIT_USAGE;
    json_t *body = json_pack("{ss}", "format", a->format), *items = NULL;
    char err[256];
    if (csv) {
        json_t *data = json_stringn(text, len);
        if (!data)
            fprintf(stderr, "opsledger: %s is not UTF-8 text\n", a->file);
        json_object_set_new(body, "data", data ? data : json_null());
    } else if (ol_json_parse(text, len, MAX_DATA_DEPTH, &items, err, sizeof err)) {
        fprintf(stderr, "opsledger: %s is not valid JSON: %s\n", a->file, err);
    } else {
        json_object_set(body, "items", json_is_array(items) ? items : json_object_get(items, "items"));
    }
    free(text);
    json_decref(items);
    int rc = EXIT_USAGE;
    const json_t *data = json_object_get(body, "data");
    if ((data && !json_is_null(data)) || json_object_get(body, "items")) {
        if (a->mode)
            json_object_set_new(body, "mode", json_string(a->mode));
        char *url = route(c, a->pos[0], "import", NULL, NULL);
        rc = run(c, "POST", url, body, 0, SHOW_REPORT);
        free(url);
    }
    json_decref(body);
    return rc;
}

static const struct {
    const char *name;
    int npos; /* positional arguments after the subcommand */
    int (*fn)(client_t *c, args_t *a);
} subcommands[] = {
    {"create", 1, cmd_create},         {"get", 2, cmd_get},         {"list", 1, cmd_list},
    {"update", 2, cmd_update},         {"transition", 3, cmd_transition},
    {"comment", 2, cmd_comment},       {"link", 2, cmd_link},       {"history", 2, cmd_history},
    {"export", 1, cmd_export},         {"stats", 1, cmd_stats},     {"suggest", 0, cmd_suggest},
    {"relate", 2, cmd_relate_add},     {"unrelate", 2, cmd_relate_remove},
    {"relations", 2, cmd_relations},
    {"impact", 2, cmd_impact},         {"discover", 1, cmd_discover}, {"import", 1, cmd_import},
    {"scan", 1, cmd_scan},             {"audit-items", 2, cmd_audit_items},
    {"audit-check", 3, cmd_audit_check}, {"audit-report", 2, cmd_audit_report},
};

/* ---- entry ----------------------------------------------------------------------------------- */

/* The API token, from --token-file or OPSLEDGER_TOKEN (a prompt on a terminal). */
static char *read_token(const char *file)
{
    char *t = ol_cli_read_secret(file, "OPSLEDGER_TOKEN", "API token: ", 0);
    if (!t || !*t) {
        if (t || !file)
            fprintf(stderr, "opsledger: no API token: set OPSLEDGER_TOKEN or use --token-file "
                            "FILE (create one with 'opsledger token create --user NAME')\n");
        free(t);
        return NULL;
    }
    for (const char *p = t; *p; p++)
        if (*p <= ' ' || *p == 0x7f) {
            fprintf(stderr, "opsledger: the API token contains spaces or control characters\n");
            sodium_memzero(t, strlen(t));
            free(t);
            return NULL;
        }
    return t;
}

int ol_cli_records(ol_config_t *cfg, int argc, char **argv)
{
    (void)cfg; /* the client needs only the server URL and token, not the database */
    args_t a;
    client_t c;
    memset(&a, 0, sizeof a);
    memset(&c, 0, sizeof c);
    int idx = -1, rc = EXIT_USAGE;
    for (size_t i = 0; argc >= 2 && i < sizeof subcommands / sizeof subcommands[0]; i++)
        if (!strcmp(argv[1], subcommands[i].name))
            idx = (int)i;
    if (idx < 0 || parse_args(argc, argv, &a) || a.npos != subcommands[idx].npos) {
        if (idx >= 0 && a.npos != subcommands[idx].npos)
            fprintf(stderr, "opsledger: records %s takes %d argument%s\n", argv[1],
                    subcommands[idx].npos, subcommands[idx].npos > 1 ? "s" : "");
        fputs(usage_text, stderr);
        goto out;
    }
    if (load_data(&a))
        goto out;
    const char *url = a.url ? a.url : getenv("OPSLEDGER_URL");
    if (!url || !*url)
        url = DEFAULT_URL;
    if (strncmp(url, "http://", 7) && strncmp(url, "https://", 8)) {
        fprintf(stderr, "opsledger: the server URL must start with http:// or https://\n");
        goto out;
    }
    c.base = ol_xstrdup(url);
    for (size_t n = strlen(c.base); n > 0 && c.base[n - 1] == '/'; n--)
        c.base[n - 1] = 0;
    c.json = a.json;
    c.cacert = a.cacert ? a.cacert : getenv("OPSLEDGER_CACERT");
    if (c.cacert && (!*c.cacert || access(c.cacert, R_OK))) {
        fprintf(stderr, "opsledger: --cacert %s cannot be read\n", c.cacert);
        goto out;
    }
    char *token = read_token(a.token_file);
    if (!token)
        goto out;
    size_t tlen = strlen(token);
    c.auth = ol_xmalloc(tlen + 8);
    memcpy(c.auth, "Bearer ", 7);
    memcpy(c.auth + 7, token, tlen + 1);
    sodium_memzero(token, tlen);
    free(token);
    if (curl_global_init(CURL_GLOBAL_DEFAULT) || !(c.h = curl_easy_init())) {
        fprintf(stderr, "opsledger: libcurl failed to initialise\n");
        rc = EXIT_CONNECT;
        goto out;
    }
    rc = subcommands[idx].fn(&c, &a);
    curl_easy_cleanup(c.h);
    curl_global_cleanup();
out:
    if (c.auth) {
        sodium_memzero(c.auth, strlen(c.auth));
        free(c.auth);
    }
    free(c.base);
    free(a.filters);
    json_decref(a.data);
    if (fflush(stdout) && rc == 0)
        rc = EXIT_HTTP;
    return rc;
}
