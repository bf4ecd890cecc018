/* cli/api_client.c - the HTTP API client the `opsledger records` verbs share: requests, problems,
 * routes, data files, the API token, and the helpers their printers use. */
#include <curl/curl.h>
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/api_client.h"
#include "cli/cli.h"

#define MAX_RESPONSE (64u << 20)
#define MAX_DATA_FILE (16u << 20)

/* ---- data ------------------------------------------------------------------------------------ */

/* Reads the text of --fields (or of --file as "@FILE"): inline, @FILE, or @- for standard input.
 * Caller frees. */
char *ol_cli_api_read_data(const char *v, size_t *len)
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
int ol_cli_api_load_fields(const char *v, json_t **data)
{
    if (!v || !*v)
        return 0;
    size_t len;
    char *text = ol_cli_api_read_data(v, &len);
    if (!text)
        return -1;
    char err[256];
    int rc = ol_json_parse(text, len, OL_CLI_API_DATA_DEPTH, data, err, sizeof err);
    free(text);
    if (rc) {
        fprintf(stderr, "opsledger: --fields is not valid JSON: %s\n", err);
        return -1;
    }
    if (!json_is_object(*data)) {
        fprintf(stderr, "opsledger: --fields must be a JSON object\n");
        json_decref(*data);
        *data = NULL;
        return -1;
    }
    return 0;
}

/* ---- HTTP ------------------------------------------------------------------------------------ */

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
    ol_cli_api_resp_t *r = arg;
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
static void add_segment(ol_cli_api_t *c, ol_buf_t *b, const char *s)
{
    char *e = curl_easy_escape(c->h, s, 0);
    if (!e)
        abort(); /* only on OOM: the same policy as ol_xmalloc */
    ol_buf_printf(b, "/%s", e);
    curl_free(e);
}

/* Appends "?k=v" or "&k=v", both URL-encoded. */
void ol_cli_api_add_query(ol_cli_api_t *c, ol_buf_t *b, const char *k, size_t klen,
                          const char *v)
{
    char *ek = curl_easy_escape(c->h, k, (int)klen), *ev = curl_easy_escape(c->h, v, 0);
    if (!ek || !ev)
        abort();
    ol_buf_printf(b, "%c%s=%s", strchr(b->p, '?') ? '&' : '?', ek, ev);
    curl_free(ek);
    curl_free(ev);
}

/* Sends one request. Returns 0 with the answer in *r (any HTTP status), or OL_CLI_EXIT_CONNECT
 * after saying why the server could not be reached. */
int ol_cli_api_request(ol_cli_api_t *c, const char *method, const char *url, const json_t *body,
                       long long if_match, ol_cli_api_resp_t *r)
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
    return OL_CLI_EXIT_CONNECT;
}

/* For an HTTP error, prints the problem (title, detail, field errors) and returns
 * OL_CLI_EXIT_HTTP. */
int ol_cli_api_problem(const ol_cli_api_resp_t *r)
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
    return OL_CLI_EXIT_HTTP;
}

/* Runs one request and prints its answer: the raw body with --json, else through show. */
int ol_cli_api_run(ol_cli_api_t *c, const char *method, const char *url, const json_t *body,
                   long long if_match, ol_cli_api_show_fn show)
{
    ol_cli_api_resp_t r;
    int rc = ol_cli_api_request(c, method, url, body, if_match, &r);
    if (rc)
        return rc;
    rc = ol_cli_api_problem(&r);
    if (rc == 0 && c->json && r.body.len) {
        fwrite(r.body.p, 1, r.body.len, stdout);
        if (r.body.p[r.body.len - 1] != '\n')
            putchar('\n');
    } else if (rc == 0 && r.body.len) {
        json_t *v = json_loadb(r.body.p, r.body.len, 0, NULL);
        if (!json_is_object(v)) {
            fprintf(stderr, "opsledger: the server's answer is not a JSON object\n");
            rc = OL_CLI_EXIT_HTTP;
        } else {
            show(v);
        }
        json_decref(v);
    }
    ol_buf_clear(&r.body);
    return rc;
}

/* "BASE/api/v1/TYPE[/NUMBER[/SUB[/NAME]]]", each part URL-encoded. Caller frees. */
char *ol_cli_api_route(ol_cli_api_t *c, const char *type, const char *number, const char *sub,
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

/* ---- set-up ---------------------------------------------------------------------------------- */

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

int ol_cli_api_open(ol_cli_api_t *c, const char *url, const char *cacert, const char *token_file,
                    int json)
{
    if (!url)
        url = getenv("OPSLEDGER_URL");
    if (!url || !*url)
        url = OL_CLI_API_DEFAULT_URL;
    if (strncmp(url, "http://", 7) && strncmp(url, "https://", 8)) {
        fprintf(stderr, "opsledger: the server URL must start with http:// or https://\n");
        return OL_CLI_EXIT_USAGE;
    }
    c->base = ol_xstrdup(url);
    for (size_t n = strlen(c->base); n > 0 && c->base[n - 1] == '/'; n--)
        c->base[n - 1] = 0;
    c->json = json;
    c->cacert = cacert ? cacert : getenv("OPSLEDGER_CACERT");
    if (c->cacert && (!*c->cacert || access(c->cacert, R_OK))) {
        fprintf(stderr, "opsledger: --cacert %s cannot be read\n", c->cacert);
        return OL_CLI_EXIT_USAGE;
    }
    char *token = read_token(token_file);
    if (!token)
        return OL_CLI_EXIT_USAGE;
    size_t tlen = strlen(token);
    c->auth = ol_xmalloc(tlen + 8);
    memcpy(c->auth, "Bearer ", 7);
    memcpy(c->auth + 7, token, tlen + 1);
    sodium_memzero(token, tlen);
    free(token);
    if (curl_global_init(CURL_GLOBAL_DEFAULT) || !(c->h = curl_easy_init())) {
        fprintf(stderr, "opsledger: libcurl failed to initialise\n");
        return OL_CLI_EXIT_CONNECT;
    }
    return 0;
}

void ol_cli_api_close(ol_cli_api_t *c)
{
    if (c->h) {
        curl_easy_cleanup(c->h);
        curl_global_cleanup();
        c->h = NULL;
    }
    if (c->auth) {
        sodium_memzero(c->auth, strlen(c->auth));
        free(c->auth);
        c->auth = NULL;
    }
    free(c->base);
    c->base = NULL;
}

/* ---- output helpers -------------------------------------------------------------------------- */

/* Prints a value for people: strings as they are (continuation lines indented), null as "-",
 * anything else as compact JSON. */
void ol_cli_api_print_value(const json_t *v)
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

const char *ol_cli_api_str(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "-";
}

void ol_cli_api_print_fields(const json_t *o)
{
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)o, key, v) {
        printf("%s: ", key);
        ol_cli_api_print_value(v);
        putchar('\n');
    }
}

