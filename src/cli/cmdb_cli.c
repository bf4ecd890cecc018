/* cli/cmdb_cli.c - the CMDB verbs of `opsledger records` (K2-K5): relations, impact, discovery,
 * import, compliance scans and audits, with their printers and usage lines. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/records_cli.h"

const char ol_cli_cmdb_usage[] =
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
    "  scan cis [--fields '{\"baseline\": \"BL-000001\", \"open_incidents\": false}']  (K3)\n";

/* ---- printers -------------------------------------------------------------------------------- */

/* K4: one line per sampled CI: item id, status, number, ci_id, class, title. */
static void print_audit_items(const json_t *res)
{
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(res, "items"), i, it) {
        const json_t *ci = json_object_get(it, "ci");
        printf("%lld  %-10s  %s  %s  %s  %s\n",
               (long long)json_integer_value(json_object_get(it, "id")),
               ol_cli_api_str(it, "status"), ol_cli_api_str(ci, "number"),
               ol_cli_api_str(ci, "ci_id"), ol_cli_api_str(ci, "class"),
               ol_cli_api_str(ci, "title"));
    }
}

/* K3: the compliance rate, then one line per deviating CI and baseline. */
static void print_scan(const json_t *res)
{
    size_t i;
    json_t *d;
    json_array_foreach(json_object_get(res, "deviations"), i, d) {
        printf("%s  %s  %s  %s  ", ol_cli_api_str(d, "ci"), ol_cli_api_str(d, "ci_id"),
               ol_cli_api_str(d, "baseline"), ol_cli_api_str(d, "incident"));
        ol_cli_api_print_value(json_object_get(d, "deviations"));
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
        printf("%s  %s %s %s  %s  %s\n", ol_cli_api_str(r, "direction"),
               ol_cli_api_str(r, "source"), ol_cli_api_str(r, "type"), ol_cli_api_str(r, "target"),
               ol_cli_api_str(ci, "ci_id"), ol_cli_api_str(ci, "title"));
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
                   (long long)json_integer_value(json_object_get(n, "depth")),
                   ol_cli_api_str(n, "ref"), ol_cli_api_str(n, "relation"),
                   ol_cli_api_str(n, "from"));
        else
            printf("%lld  %s  %s  %s  %s  (%s %s)\n",
                   (long long)json_integer_value(json_object_get(n, "depth")),
                   ol_cli_api_str(n, "number"), ol_cli_api_str(n, "ci_id"),
                   ol_cli_api_str(n, "class"), ol_cli_api_str(n, "title"),
                   ol_cli_api_str(n, "relation"), ol_cli_api_str(n, "from"));
    }
    printf("business services: ");
    ol_cli_api_print_value(json_object_get(res, "business_services"));
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
               ol_cli_api_str(r, "status"), ol_cli_api_str(r, "ci_id"),
               ol_cli_api_str(r, "number"));
        ol_cli_api_print_value(json_object_get(r, "fields"));
        putchar('\n');
    }
    printf("created %lld, changed %lld, unchanged %lld, invalid %lld\n",
           (long long)json_integer_value(json_object_get(res, "created")),
           (long long)json_integer_value(json_object_get(res, "changed")),
           (long long)json_integer_value(json_object_get(res, "unchanged")),
           (long long)json_integer_value(json_object_get(res, "invalid")));
}

/* ---- verbs ----------------------------------------------------------------------------------- */

static int cmd_relate(ol_cli_api_t *c, ol_cli_args_t *a, int remove)
{
    if (!a->link_type || !a->target) {
        fprintf(stderr, "opsledger: records %s needs --link-type T and --target NUMBER\n",
                remove ? "unrelate" : "relate");
        return OL_CLI_EXIT_USAGE;
    }
    char *url = ol_cli_api_route(c, a->pos[0], a->pos[1], "relations", NULL);
    int rc;
    if (remove) {
        ol_buf_t b;
        ol_buf_init(&b);
        ol_buf_puts(&b, url);
        ol_cli_api_add_query(c, &b, "type", 4, a->link_type);
        ol_cli_api_add_query(c, &b, "target", 6, a->target);
        rc = ol_cli_api_run(c, "DELETE", b.p, NULL, 0, ol_cli_api_print_fields);
        ol_buf_clear(&b);
    } else {
        json_t *body = json_pack("{ssss}", "type", a->link_type, "target", a->target);
        rc = body ? ol_cli_api_run(c, "POST", url, body, 0, ol_cli_api_print_fields)
                  : OL_CLI_EXIT_USAGE;
        json_decref(body);
    }
    free(url);
    return rc;
}

static int cmd_relate_add(ol_cli_api_t *c, ol_cli_args_t *a)
{
    return cmd_relate(c, a, 0);
}

static int cmd_relate_remove(ol_cli_api_t *c, ol_cli_args_t *a)
{
    return cmd_relate(c, a, 1);
}

static int cmd_relations(ol_cli_api_t *c, ol_cli_args_t *a)
{
    char *url = ol_cli_api_route(c, a->pos[0], a->pos[1], "relations", NULL);
    int rc = ol_cli_api_run(c, "GET", url, NULL, 0, print_relations);
    free(url);
    return rc;
}

static int cmd_impact(ol_cli_api_t *c, ol_cli_args_t *a)
{
    ol_buf_t b;
    ol_buf_init(&b);
    char *url = ol_cli_api_route(c, a->pos[0], a->pos[1], "impact", NULL);
    ol_buf_puts(&b, url);
    free(url);
    if (a->direction)
        ol_cli_api_add_query(c, &b, "direction", 9, a->direction);
    if (a->depth)
        ol_cli_api_add_query(c, &b, "depth", 5, a->depth);
    int rc = ol_cli_api_run(c, "GET", b.p, NULL, 0, print_impact);
    ol_buf_clear(&b);
    return rc;
}

static int cmd_discover(ol_cli_api_t *c, ol_cli_args_t *a)
{
    if (ol_cli_need_data(a, "records discover"))
        return OL_CLI_EXIT_USAGE;
    if (a->mode)
        json_object_set_new(a->data, "mode", json_string(a->mode));
    char *url = ol_cli_api_route(c, a->pos[0], "discovery", NULL, NULL);
    int rc = ol_cli_api_run(c, "POST", url, a->data, 0, print_report);
    free(url);
    return rc;
}

/* K3: a compliance scan; --fields may name the baseline and turn off opening incidents. */
static int cmd_scan(ol_cli_api_t *c, ol_cli_args_t *a)
{
    json_t *body = a->data ? json_incref(a->data) : json_object();
    char *url = ol_cli_api_route(c, a->pos[0], "compliance-scan", NULL, NULL);
    int rc = ol_cli_api_run(c, "POST", url, body, 0, print_scan);
    free(url);
    json_decref(body);
    return rc;
}

/* K4: an audit's sample (--filter status=unaudited), one finding, the report. */
static int cmd_audit_items(ol_cli_api_t *c, ol_cli_args_t *a)
{
    ol_buf_t b;
    ol_buf_init(&b);
    char *url = ol_cli_api_route(c, a->pos[0], a->pos[1], "items", NULL);
    ol_buf_puts(&b, url);
    free(url);
    for (int i = 0; i < a->nfilters; i++) {
        const char *eq = strchr(a->filters[i], '=');
        ol_cli_api_add_query(c, &b, a->filters[i], (size_t)(eq - a->filters[i]), eq + 1);
    }
    int rc = ol_cli_api_run(c, "GET", b.p, NULL, 0, print_audit_items);
    ol_buf_clear(&b);
    return rc;
}

static int cmd_audit_check(ol_cli_api_t *c, ol_cli_args_t *a)
{
    if (ol_cli_need_data(a, "records audit-check"))
        return OL_CLI_EXIT_USAGE;
    char *url = ol_cli_api_route(c, a->pos[0], a->pos[1], "items", a->pos[2]);
    int rc = ol_cli_api_run(c, "POST", url, a->data, 0, ol_cli_api_print_fields);
    free(url);
    return rc;
}

static int cmd_audit_report(ol_cli_api_t *c, ol_cli_args_t *a)
{
    char *url = ol_cli_api_route(c, a->pos[0], a->pos[1], "report", NULL);
    int rc = ol_cli_api_run(c, "GET", url, NULL, 0, ol_cli_api_print_fields);
    free(url);
    return rc;
}

/* The file's text goes as it is: CSV as "data", JSON as the items (an array or {"items"}). */
static int cmd_import(ol_cli_api_t *c, ol_cli_args_t *a)
{
    int csv = a->format && !strcmp(a->format, "csv");
    if (!a->file || !a->format || (!csv && strcmp(a->format, "json"))) {
        fprintf(stderr, "opsledger: records import needs --file FILE|- and --format csv|json\n");
        return OL_CLI_EXIT_USAGE;
    }
    size_t len;
    char *at = ol_xmalloc(strlen(a->file) + 2);
    snprintf(at, strlen(a->file) + 2, "@%s", a->file);
    char *text = ol_cli_api_read_data(at, &len);
    free(at);
    if (!text)
        return OL_CLI_EXIT_USAGE;
    json_t *body = json_pack("{ss}", "format", a->format), *items = NULL;
    char err[256];
    if (csv) {
        json_t *data = json_stringn(text, len);
        if (!data)
            fprintf(stderr, "opsledger: %s is not UTF-8 text\n", a->file);
        json_object_set_new(body, "data", data ? data : json_null());
    } else if (ol_json_parse(text, len, OL_CLI_API_DATA_DEPTH, &items, err, sizeof err)) {
        fprintf(stderr, "opsledger: %s is not valid JSON: %s\n", a->file, err);
    } else {
        json_object_set(body, "items",
                        json_is_array(items) ? items : json_object_get(items, "items"));
    }
    free(text);
    json_decref(items);
    int rc = OL_CLI_EXIT_USAGE;
    const json_t *data = json_object_get(body, "data");
    if ((data && !json_is_null(data)) || json_object_get(body, "items")) {
        if (a->mode)
            json_object_set_new(body, "mode", json_string(a->mode));
        char *url = ol_cli_api_route(c, a->pos[0], "import", NULL, NULL);
        rc = ol_cli_api_run(c, "POST", url, body, 0, print_report);
        free(url);
    }
    json_decref(body);
    return rc;
}

const ol_cli_verb_t ol_cli_cmdb_verbs[] = {
    {"relate", 2, cmd_relate_add},       {"unrelate", 2, cmd_relate_remove},
    {"relations", 2, cmd_relations},     {"impact", 2, cmd_impact},
    {"discover", 1, cmd_discover},       {"import", 1, cmd_import},
    {"scan", 1, cmd_scan},               {"audit-items", 2, cmd_audit_items},
    {"audit-check", 3, cmd_audit_check}, {"audit-report", 2, cmd_audit_report},
    {NULL, 0, NULL},
};
