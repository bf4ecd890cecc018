/* modules/cmdb_graph.c - relationships between configuration items and impact analysis
 * (REQUIREMENTS K2; 002 §2.2.2 "服务器→承载→应用→依赖→数据库", §2.2.4).
 *
 * A relationship is a row of ci_relations (src_id, dst_id, type), indexed both ways. Each type
 * says which end depends on the other, so a walk "up" from a CI finds what an outage of it
 * affects (up to the business services) and a walk "down" what it depends on. The walk is a
 * breadth-first search with one indexed query per level over the whole frontier, a visited set
 * (cycles end where they close) and bounds on depth and nodes from the policies. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/err.h"
#include "core/json.h"
#include "core/mem.h"
#include "modules/cmdb.h"
#include "records/audit.h"
#include "records/store.h"

const ol_ci_relation_type_t ol_ci_relation_types[] = {
    {"hosts", "hosts", "承载", 0},            /* server hosts application: dst depends on src */
    {"runs_on", "runs on", "运行于", 1},      /* application runs on server */
    {"depends_on", "depends on", "依赖", 1},  /* application depends on database */
    {"connects_to", "connects to", "连接", 1}, /* server connects to switch */
    {"uses", "uses", "使用", 1},              /* business service uses application */
    {"contains", "contains", "包含", 1},      /* business service contains application */
    {"backs_up", "backs up", "备份", 0},      /* backup system backs up database */
    {NULL, NULL, NULL, 0},
};

static const ol_ci_relation_type_t *relation_type(const char *name)
{
    for (const ol_ci_relation_type_t *t = ol_ci_relation_types; name && t->name; t++)
        if (!strcmp(t->name, name))
            return t;
    return NULL;
}

int ol_config_check_cmdb(const ol_config_t *cfg, char *err, size_t errlen)
{
    long def = ol_config_int(cfg->cmdb_impact_default_depth);
    long max = ol_config_int(cfg->cmdb_impact_max_depth);
    long nodes = ol_config_int(cfg->cmdb_impact_max_nodes);
    long batch = ol_config_int(cfg->cmdb_batch_max_items);
    if (max < 1 || max > 50 || def < 1 || def > max) {
        snprintf(err, errlen, "cmdb_impact_max_depth must be 1 to 50 and "
                              "cmdb_impact_default_depth 1 to cmdb_impact_max_depth");
        return -1;
    }
    if (strcmp(cfg->cmdb_change_ref_required, "on") && strcmp(cfg->cmdb_change_ref_required, "off")) {
        snprintf(err, errlen, "cmdb_change_ref_required = '%s': use on or off",
                 cfg->cmdb_change_ref_required);
        return -1;
    }
    if (!*cfg->cmdb_change_ref_types || strlen(cfg->cmdb_change_ref_types) > 200) {
        snprintf(err, errlen, "cmdb_change_ref_types: name 1 to 200 bytes of record types");
        return -1;
    }
    long pct = ol_config_int(cfg->cmdb_audit_sample_percent);
    long acc = ol_config_int(cfg->cmdb_accuracy_target);
    long gov = ol_config_int(cfg->cmdb_accuracy_governance_below);
    if (pct < 1 || pct > 100 || acc < 0 || acc > 100 || gov < 0 || gov > 100) {
        snprintf(err, errlen, "cmdb_audit_sample_percent must be 1 to 100, cmdb_accuracy_target "
                              "and cmdb_accuracy_governance_below 0 to 100");
        return -1;
    }
    long target = ol_config_int(cfg->cmdb_baseline_compliance_target);
    long scan = ol_config_int(cfg->cmdb_scan_max_cis);
    if (target < 0 || target > 100 || scan < 1 || scan > 10000000) {
        snprintf(err, errlen, "cmdb_baseline_compliance_target must be 0 to 100 and "
                              "cmdb_scan_max_cis 1 to 10000000");
        return -1;
    }
    long mmap = ol_config_int(cfg->db_sqlite_mmap_mb);
    if (mmap < 0 || mmap > 1048576) {
        snprintf(err, errlen, "db_sqlite_mmap_mb must be 0 to 1048576");
        return -1;
    }
    if (nodes < 1 || nodes > 1000000 || batch < 1 || batch > 100000) {
        snprintf(err, errlen, "cmdb_impact_max_nodes must be 1 to 1000000 and "
                              "cmdb_batch_max_items 1 to 100000");
        return -1;
    }
    return 0;
}

/* ---- relate and unrelate ----------------------------------------------------------------- */

typedef struct {
    ol_ctx_t *c;
    char *number, *type, *target;
    int remove;
} relate_job_t;

static void free_relate(void *arg)
{
    relate_job_t *j = arg;
    free(j->number);
    free(j->type);
    free(j->target);
    free(j);
}

/* One history row on a CI at its current version: relationships are part of what it is (K5). */
static int relation_history(ol_conn_t *conn, const ol_ctx_t *c, long long id, const char *at,
                            const char *action, const char *change)
{
    ol_val_t p[] = {OL_VINT(id), OL_VTEXT(c->user), OL_VTEXT(at), OL_VTEXT(action),
                    OL_VTEXT(strcmp(action, "relate") ? change : NULL),
                    OL_VTEXT(strcmp(action, "relate") ? NULL : change)};
    return ol_db_exec(conn,
                      "INSERT INTO record_history(record_id, version, actor, at, action, field, "
                      "old_value, new_value) SELECT id, version, ?2, ?3, ?4, 'relations', ?5, ?6 "
                      "FROM records WHERE id = ?1",
                      p, 6, NULL);
}

static int relate_job(ol_conn_t *conn, void *arg)
{
    relate_job_t *j = arg;
    ol_ctx_t *c = j->c;
    long long src, dst;
    char now[32];
    ol_now_iso(now);
    int rc = ol_rec_find_id(c, conn, &ol_ci_type, j->number, &src);
    if (rc)
        return rc;
    json_t *saved = c->errors; /* the target's absence is a field error, not a 404 */
    c->errors = json_array();
    rc = ol_rec_find_id(c, conn, &ol_ci_type, j->target, &dst);
    json_decref(c->errors);
    c->errors = saved;
    if (rc == -OL_ENOTFOUND) {
        ol_schema_add_error(c->errors, "target", "ci_target", c->lang, j->target);
        return ol_ctx_fail(c, -OL_EINVAL, "%s is not a configuration item", j->target);
    }
    if (rc)
        return rc;
    if (src == dst) {
        ol_schema_add_error(c->errors, "target", "relation_self", c->lang, NULL);
        return ol_ctx_fail(c, -OL_EINVAL, "a configuration item cannot be related to itself");
    }
    ol_rows_t *r = NULL;
    ol_val_t p[] = {OL_VINT(src), OL_VINT(dst), OL_VTEXT(j->type), OL_VTEXT(now),
                    OL_VTEXT(c->user)};
    if (j->remove)
        rc = ol_db_exec(conn, "DELETE FROM ci_relations WHERE src_id = ?1 AND dst_id = ?2 AND "
                              "type = ?3 RETURNING src_id", p, 3, &r);
    else
        rc = ol_db_exec(conn, "INSERT INTO ci_relations(src_id, dst_id, type, created_at, "
                              "created_by) VALUES (?1, ?2, ?3, ?4, ?5)", p, 5, NULL);
    if (rc == -OL_ECONFLICT) {
        ol_schema_add_error(c->errors, "target", "relation_exists", c->lang, NULL);
        return ol_ctx_fail(c, rc, "%s already %s %s", j->number, j->type, j->target);
    }
    if (rc)
        return ol_ctx_db_fail(c, conn, rc);
    int gone = r ? ol_rows_count(r) : 1;
    ol_rows_free(r);
    if (!gone)
        return ol_ctx_fail(c, -OL_ENOTFOUND, "%s has no relationship %s %s", j->number, j->type,
                           j->target);

    json_t *out = json_pack("{ssssss}", "source", j->number, "type", j->type, "target",
                            j->target);
    char *detail = ol_json_dump(out);
    const char *action = j->remove ? "unrelate" : "relate";
    rc = relation_history(conn, c, src, now, action, detail);
    if (rc == 0)
        rc = relation_history(conn, c, dst, now, action, detail);
    if (rc == 0)
        rc = ol_audit_write(conn, c, j->remove ? "ci.unrelate" : "ci.relate", j->number, "ok",
                            detail);
    free(detail);
    if (rc) {
        json_decref(out);
        return ol_ctx_db_fail(c, conn, rc);
    }
    if (j->remove) {
        json_decref(out);
        c->status = 204;
        return 0;
    }
    json_object_set_new(out, "created_at", json_string(now));
    json_object_set_new(out, "created_by", json_string(c->user));
    c->result = out;
    c->status = 201;
    return 0;
}

static int relate_prepare(ol_ctx_t *c, const char *number, const char *type, const char *target,
                          int remove, ol_write_t *w)
{
    if (!ol_rec_allowed(c, &ol_ci_type, "update"))
        return ol_ctx_fail(c, -OL_EFORBIDDEN, "you may not change configuration items");
    if (!relation_type(type)) {
        ol_buf_t b;
        ol_buf_init(&b);
        for (const ol_ci_relation_type_t *t = ol_ci_relation_types; t->name; t++)
            ol_buf_printf(&b, "%s%s", t == ol_ci_relation_types ? "" : ", ", t->name);
        ol_schema_add_error(c->errors, "type", "enum", c->lang, b.p);
        ol_buf_clear(&b);
    }
    if (!target || !*target || strlen(target) > 32)
        ol_schema_add_error(c->errors, "target", "required", c->lang, NULL);
    if (json_array_size(c->errors))
        return ol_ctx_fail(c, -OL_EINVAL, "the relationship is invalid");
    relate_job_t *j = ol_xcalloc(1, sizeof(*j));
    *j = (relate_job_t){c, ol_xstrdup(number), ol_xstrdup(type), ol_xstrdup(target), remove};
    *w = (ol_write_t){relate_job, j, free_relate};
    return 0;
}

int ol_cmdb_relate_prepare(ol_ctx_t *c, const char *number, const json_t *input, ol_write_t *w)
{
    static const char *const keys[] = {"type", "target", NULL};
    if (ol_input_check_keys(input, keys, c->lang, c->errors) && !json_is_object(input))
        return ol_ctx_fail(c, -OL_EINVAL, "the body must be a JSON object");
    return relate_prepare(c, number, json_string_value(json_object_get(input, "type")),
                          json_string_value(json_object_get(input, "target")), 0, w);
}

int ol_cmdb_unrelate_prepare(ol_ctx_t *c, const char *number, const char *type,
                             const char *target, ol_write_t *w)
{
    return relate_prepare(c, number, type, target, 1, w);
}

/* ---- reading ------------------------------------------------------------------------------- */

/* The summary of a CI in relationship and impact answers. */
static json_t *summary(const char *number, const char *title, const char *state,
                       const char *ci_id, const char *cls, const char *impact)
{
    return json_pack("{ssssssss?ss?ss?}", "number", number, "title", title ? title : "", "state",
                     state ? state : "", "ci_id", ci_id, "class", cls, "business_impact",
                     impact);
}

/* The same from number, title, state and the data column. */
static json_t *ci_summary(const char *number, const char *title, const char *state,
                          const char *data)
{
    json_t *d = data ? json_loads(data, 0, NULL) : NULL;
    json_t *o = summary(number, title, state, json_string_value(json_object_get(d, "ci_id")),
                        json_string_value(json_object_get(d, "class")),
                        json_string_value(json_object_get(d, "business_impact")));
    json_decref(d);
    return o;
}

typedef struct {
    ol_ctx_t *c;
    const char *number;
    long long id;
    /* impact */
    int up, depth, paths;
    ol_buf_t out; /* the answer as JSON text */
} graph_t;

static int relations_fn(ol_conn_t *conn, void *arg)
{
    graph_t *g = arg;
    ol_ctx_t *c = g->c;
    int rc = ol_rec_find_id(c, conn, &ol_ci_type, g->number, &g->id);
    if (rc)
        return rc;
    ol_rows_t *r;
    ol_val_t p[] = {OL_VINT(g->id)};
    rc = ol_db_exec(conn,
                    "SELECT 0, x.type, o.number, o.title, o.state, o.data, x.created_at, "
                    "x.created_by, o.grp, o.owner, o.created_by FROM ci_relations x "
                    "JOIN records o ON o.id = x.dst_id WHERE x.src_id = ?1 UNION ALL "
                    "SELECT 1, x.type, o.number, o.title, o.state, o.data, x.created_at, "
                    "x.created_by, o.grp, o.owner, o.created_by FROM ci_relations x "
                    "JOIN records o ON o.id = x.src_id WHERE x.dst_id = ?1 ORDER BY 1, 2, 3",
                    p, 1, &r);
    if (rc)
        return ol_ctx_db_fail(c, conn, rc);
    json_t *items = json_array();
    json_int_t hidden = 0;
    for (int i = 0; i < ol_rows_count(r); i++) {
        /* S5: a related CI outside the caller's data scope is counted, not shown. */
        if (!ol_ctx_in_scope(c, ol_rows_get(r, i, 8), ol_rows_get(r, i, 9),
                             ol_rows_get(r, i, 10))) {
            hidden++;
            continue;
        }
        int incoming = ol_rows_int(r, i, 0) == 1;
        const char *other = ol_rows_get(r, i, 2);
        const ol_ci_relation_type_t *t = relation_type(ol_rows_get(r, i, 1));
        json_array_append_new(
            items, json_pack("{sssssssssssosssssb}", "direction", incoming ? "incoming" : "outgoing",
                             "type", ol_rows_get(r, i, 1), "label", t ? t->label_en : "",
                             "source", incoming ? other : g->number, "target",
                             incoming ? g->number : other, "ci",
                             ci_summary(other, ol_rows_get(r, i, 3), ol_rows_get(r, i, 4),
                                        ol_rows_get(r, i, 5)),
                             "created_at", ol_rows_get(r, i, 6), "created_by",
                             ol_rows_get(r, i, 7), "other_depends_on_this",
                             t && (t->dependent_is_src == incoming)));
    }
    ol_rows_free(r);
    c->result = json_pack("{sssosI}", "ci", g->number, "items", items, "hidden", hidden);
    return 0;
}

int ol_cmdb_relations(ol_ctx_t *c, const char *number)
{
    if (!ol_rec_allowed(c, &ol_ci_type, "read"))
        return ol_ctx_fail(c, -OL_EFORBIDDEN, "you may not read configuration items");
    graph_t g = {c, number, 0, 0, 0, 0, {0}};
    return ol_db_read(c->db, relations_fn, &g);
}

/* ---- impact analysis ------------------------------------------------------------------------ */

typedef struct {
    long long id;
    int depth, parent;                 /* parent: index of the node that reached it, -1 first */
    const ol_ci_relation_type_t *via;
    int row;                           /* its row in the summaries, -1 when none */
    int hidden;                        /* outside the caller's data scope: its ref (1, 2...) */
} node_t;

typedef struct {
    int src, dst; /* node indexes */
    const ol_ci_relation_type_t *type;
} edge_t;

typedef struct {
    node_t *v;
    size_t n, cap;
    int *slots; /* open addressing: node index + 1, 0 = empty */
    size_t nslots;
    edge_t *e;  /* the edges followed, to nodes new or already reached */
    size_t ne, ecap;
} nodes_t;

static size_t slot_of(const nodes_t *s, long long id)
{
    size_t h = (size_t)((unsigned long long)id * 0x9E3779B97F4A7C15ull) & (s->nslots - 1);
    while (s->slots[h] && s->v[s->slots[h] - 1].id != id)
        h = (h + 1) & (s->nslots - 1);
    return h;
}

static int node_find(const nodes_t *s, long long id)
{
    return s->slots[slot_of(s, id)] - 1;
}

static int node_add(nodes_t *s, long long id, int depth, int parent,
                    const ol_ci_relation_type_t *via)
{
    if (2 * (s->n + 1) > s->nslots) {
        free(s->slots);
        s->nslots = s->nslots ? 2 * s->nslots : 64;
        s->slots = ol_xcalloc(s->nslots, sizeof(*s->slots));
        for (size_t i = 0; i < s->n; i++)
            s->slots[slot_of(s, s->v[i].id)] = (int)i + 1;
    }
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 64;
        s->v = ol_xrealloc(s->v, s->cap * sizeof(*s->v));
    }
    s->v[s->n] = (node_t){id, depth, parent, via, -1, 0};
    s->slots[slot_of(s, id)] = (int)s->n + 1;
    return (int)s->n++;
}

/* Appends v in decimal (ol_buf_printf is a tenth of an answer's time at thousands of nodes). */
static void put_int(ol_buf_t *b, long long v)
{
    char t[24], *p = t + sizeof t;
    unsigned long long u = v < 0 ? 0 - (unsigned long long)v : (unsigned long long)v;
    do
        *--p = (char)('0' + u % 10);
    while (u /= 10);
    if (v < 0)
        *--p = '-';
    ol_buf_append(b, p, (size_t)(t + sizeof t - p));
}

/* The ids of nodes [from, to) as a bound array: JSON for SQLite's json_each, an array literal
 * for PostgreSQL. Caller frees. */
static char *id_list(ol_conn_t *conn, const nodes_t *s, size_t from, size_t to)
{
    int pg = ol_conn_kind(conn) == OL_DB_PG;
    ol_buf_t b;
    ol_buf_init(&b);
    ol_buf_puts(&b, pg ? "{" : "[");
    for (size_t i = from; i < to; i++) {
        if (i > from)
            ol_buf_append(&b, ",", 1);
        put_int(&b, s->v[i].id);
    }
    ol_buf_puts(&b, pg ? "}" : "]");
    return ol_buf_steal(&b);
}

/* The edges a level can follow: from a frontier node as src (?2: the types whose walk goes
 * src -> dst in this direction) or as dst (?3: dst -> src), filtered in the database so that
 * only followable rows cross into C. */
static const char *const edges_sql[] = {
    "SELECT src_id, dst_id, type FROM ci_relations WHERE src_id IN "
    "(SELECT value FROM json_each(?1)) AND type IN (SELECT value FROM json_each(?2)) "
    "UNION ALL SELECT src_id, dst_id, type FROM ci_relations "
    "WHERE dst_id IN (SELECT value FROM json_each(?1)) AND type IN "
    "(SELECT value FROM json_each(?3))",
    "SELECT src_id, dst_id, type FROM ci_relations WHERE src_id = ANY(CAST(?1 AS bigint[])) "
    "AND type = ANY(CAST(?2 AS text[])) UNION ALL SELECT src_id, dst_id, type FROM ci_relations "
    "WHERE dst_id = ANY(CAST(?1 AS bigint[])) AND type = ANY(CAST(?3 AS text[]))",
};

/* The relationship types a walk in direction up (or down) follows from src to dst (forward)
 * or from dst to src, as a bound array for edges_sql. Caller frees. */
static char *type_list(int pg, int up, int forward)
{
    ol_buf_t b;
    ol_buf_init(&b);
    ol_buf_puts(&b, pg ? "{" : "[");
    int n = 0;
    for (const ol_ci_relation_type_t *t = ol_ci_relation_types; t->name; t++) {
        /* Forward reaches dst: up wants dst dependent (!dependent_is_src), down the reverse. */
        int dst_is_dependent = !t->dependent_is_src;
        if ((forward ? dst_is_dependent : !dst_is_dependent) == up)
            ol_buf_printf(&b, pg ? "%s%s" : "%s\"%s\"", n++ ? "," : "", t->name);
    }
    ol_buf_puts(&b, pg ? "}" : "]");
    return ol_buf_steal(&b);
}

/* The summaries of the nodes, with the columns data scope is decided on (S5). */
enum { SUM_ID, SUM_NUMBER, SUM_TITLE, SUM_STATE, SUM_CI_ID, SUM_CLASS, SUM_IMPACT, SUM_GRP,
       SUM_OWNER, SUM_CREATED_BY };
static const char *const nodes_sql[] = {
    "SELECT id, number, title, state, json_extract(data, '$.ci_id'), "
    "json_extract(data, '$.class'), json_extract(data, '$.business_impact'), grp, owner, "
    "created_by FROM records WHERE id IN (SELECT value FROM json_each(?1))",
    "SELECT id, number, title, state, data->>'ci_id', data->>'class', "
    "data->>'business_impact', grp, owner, created_by FROM records "
    "WHERE id = ANY(CAST(?1 AS bigint[]))",
};

/* Follows a row's edge from a frontier node at depth level when it leads the walk's way;
 * returns the node it reaches, or -1. */
static int follow(nodes_t *s, graph_t *g, int level, long long from, long long to,
                  const ol_ci_relation_type_t *t, int from_is_src, size_t max, int *truncated)
{
    int f = node_find(s, from);
    if (f < 0 || s->v[f].depth != level)
        return -1;
    /* up: from is depended on, to is the dependent; down: the reverse. */
    int to_is_dependent = from_is_src ? !t->dependent_is_src : t->dependent_is_src;
    if (to_is_dependent != g->up)
        return -1;
    int k = node_find(s, to);
    if (k < 0) {
        if (s->n >= max) {
            *truncated = 1;
            return -1;
        }
        k = node_add(s, to, level + 1, f, t);
    }
    if (s->ne == s->ecap) {
        s->ecap = s->ecap ? 2 * s->ecap : 64;
        s->e = ol_xrealloc(s->e, s->ecap * sizeof(*s->e));
    }
    s->e[s->ne++] = (edge_t){from_is_src ? f : k, from_is_src ? k : f, t};
    return k;
}

/* The answer is written as JSON text straight from the walk and the summary rows: at a few
 * thousand nodes building jansson values first cost as much as the walk itself (bench/). */

/* What names node k in the answer: its number, or "hidden-N" when it is outside the caller's
 * data scope. */
static void put_name(ol_buf_t *b, const nodes_t *s, const ol_rows_t *r, int k)
{
    if (s->v[k].hidden) {
        ol_buf_puts(b, "\"hidden-");
        put_int(b, s->v[k].hidden);
        ol_buf_append(b, "\"", 1);
    } else {
        ol_buf_json_string(b, ol_rows_get(r, s->v[k].row, SUM_NUMBER));
    }
}

/* ,"key":value - key as it is (a literal of this file), value escaped. */
static void put_key(ol_buf_t *b, const char *key, const char *value)
{
    ol_buf_append(b, ",\"", 2);
    ol_buf_puts(b, key);
    ol_buf_append(b, "\":", 2);
    ol_buf_json_string(b, value);
}

/* A CI summary's members (number, title, state, ci_id, class, business_impact). */
static void put_summary(ol_buf_t *b, const ol_rows_t *r, int row)
{
    ol_buf_puts(b, "\"number\":");
    ol_buf_json_string(b, ol_rows_get(r, row, SUM_NUMBER));
    const char *title = ol_rows_get(r, row, SUM_TITLE), *state = ol_rows_get(r, row, SUM_STATE);
    put_key(b, "title", title ? title : "");
    put_key(b, "state", state ? state : "");
    put_key(b, "ci_id", ol_rows_get(r, row, SUM_CI_ID));
    put_key(b, "class", ol_rows_get(r, row, SUM_CLASS));
    put_key(b, "business_impact", ol_rows_get(r, row, SUM_IMPACT));
}

static void put_node(ol_buf_t *b, const nodes_t *s, const ol_rows_t *r, int k, int paths)
{
    const node_t *nd = &s->v[k];
    if (nd->hidden) {
        ol_buf_puts(b, "{\"hidden\":true,\"ref\":");
        put_name(b, s, r, k);
    } else {
        ol_buf_puts(b, "{");
        put_summary(b, r, nd->row);
    }
    ol_buf_puts(b, ",\"depth\":");
    put_int(b, nd->depth);
    put_key(b, "relation", nd->via->name);
    ol_buf_puts(b, ",\"from\":");
    put_name(b, s, r, nd->parent);
    if (paths) {
        int chain[64], n = 0; /* depth <= cmdb_impact_max_depth <= 50 */
        for (int j = k; j >= 0 && n < 64; j = s->v[j].parent)
            chain[n++] = j;
        ol_buf_puts(b, ",\"path\":[");
        while (n--) {
            put_name(b, s, r, chain[n]);
            if (n)
                ol_buf_puts(b, ",");
        }
        ol_buf_puts(b, "]");
    }
    ol_buf_puts(b, "}");
}

static void put_answer(ol_buf_t *b, const graph_t *g, const nodes_t *s, const ol_rows_t *r,
                       int truncated, int nhidden)
{
    static const char *const rank[] = {"high", "medium", "low"};
    int highest = 3;
    ol_buf_puts(b, "{\"ci\":{");
    put_summary(b, r, s->v[0].row);
    ol_buf_printf(b, "},\"direction\":\"%s\",\"depth\":%d,\"truncated\":%s,\"count\":%zu,"
                     "\"hidden\":%d,\"nodes\":[",
                  g->up ? "up" : "down", g->depth, truncated ? "true" : "false", s->n - 1,
                  nhidden);
    for (size_t i = 1; i < s->n; i++) {
        if (i > 1)
            ol_buf_puts(b, ",");
        put_node(b, s, r, (int)i, g->paths);
        const char *bi = s->v[i].hidden ? NULL : ol_rows_get(r, s->v[i].row, SUM_IMPACT);
        for (int k = 0; bi && k < highest; k++)
            if (!strcmp(bi, rank[k]))
                highest = k;
    }
    ol_buf_puts(b, "],\"edges\":[");
    for (size_t i = 0; i < s->ne; i++) {
        ol_buf_puts(b, i ? ",{\"source\":" : "{\"source\":");
        put_name(b, s, r, s->e[i].src);
        put_key(b, "type", s->e[i].type->name);
        ol_buf_puts(b, ",\"target\":");
        put_name(b, s, r, s->e[i].dst);
        ol_buf_puts(b, "}");
    }
    ol_buf_puts(b, "],\"business_services\":[");
    int first = 1;
    for (size_t i = 1; i < s->n; i++) {
        const char *cls = s->v[i].hidden ? NULL : ol_rows_get(r, s->v[i].row, SUM_CLASS);
        if (cls && !strcmp(cls, "business_service")) {
            if (!first)
                ol_buf_puts(b, ",");
            put_name(b, s, r, (int)i);
            first = 0;
        }
    }
    ol_buf_puts(b, "],\"highest_business_impact\":");
    ol_buf_json_string(b, highest < 3 ? rank[highest] : NULL);
    ol_buf_puts(b, "}");
}

static int impact_fn(ol_conn_t *conn, void *arg)
{
    graph_t *g = arg;
    ol_ctx_t *c = g->c;
    int rc = ol_rec_find_id(c, conn, &ol_ci_type, g->number, &g->id);
    if (rc)
        return rc;
    int pg = ol_conn_kind(conn) == OL_DB_PG, truncated = 0;
    size_t max = (size_t)ol_config_int(ol_config()->cmdb_impact_max_nodes) + 1;
    nodes_t s = {0};
    node_add(&s, g->id, 0, -1, NULL);
    char *forward = type_list(pg, g->up, 1), *backward = type_list(pg, g->up, 0);
    size_t lo = 0;
    for (int level = 0; level < g->depth && lo < s.n && rc == 0; level++) {
        size_t hi = s.n;
        char *ids = id_list(conn, &s, lo, hi);
        ol_val_t p[] = {OL_VTEXT(ids), OL_VTEXT(forward), OL_VTEXT(backward)};
        ol_rows_t *r;
        rc = ol_db_exec(conn, edges_sql[pg], p, 3, &r);
        free(ids);
        if (rc) {
            rc = ol_ctx_db_fail(c, conn, rc);
            break;
        }
        for (int i = 0; i < ol_rows_count(r); i++) {
            long long src = ol_rows_int(r, i, 0), dst = ol_rows_int(r, i, 1);
            const ol_ci_relation_type_t *t = relation_type(ol_rows_get(r, i, 2));
            if (!t)
                continue;
            follow(&s, g, level, src, dst, t, 1, max, &truncated);
            follow(&s, g, level, dst, src, t, 0, max, &truncated);
        }
        ol_rows_free(r);
        lo = hi;
    }
    /* The summaries of every node, in one query; a CI outside the caller's data scope (S5) is
     * walked through but answered only as "hidden-N", so that what lies beyond it is still
     * reached without its number, title or attributes being told. */
    ol_rows_t *r = NULL;
    if (rc == 0) {
        char *ids = id_list(conn, &s, 0, s.n);
        ol_val_t p[] = {OL_VTEXT(ids)};
        rc = ol_db_exec(conn, nodes_sql[pg], p, 1, &r);
        free(ids);
        if (rc)
            rc = ol_ctx_db_fail(c, conn, rc);
    }
    if (rc == 0) {
        for (int i = 0; i < ol_rows_count(r); i++) {
            int k = node_find(&s, ol_rows_int(r, i, SUM_ID));
            if (k >= 0)
                s.v[k].row = i;
        }
        int nhidden = 0;
        for (size_t i = 1; i < s.n; i++) {
            int row = s.v[i].row;
            if (row < 0 || !ol_ctx_in_scope(c, ol_rows_get(r, row, SUM_GRP),
                                             ol_rows_get(r, row, SUM_OWNER),
                                             ol_rows_get(r, row, SUM_CREATED_BY)))
                s.v[i].hidden = ++nhidden;
        }
        if (s.v[0].row < 0) /* gone since it was found: no summary to answer with */
            rc = ol_ctx_fail(c, -OL_ENOTFOUND, "configuration item %s does not exist", g->number);
        else
            put_answer(&g->out, g, &s, r, truncated, nhidden);
    }
    ol_rows_free(r);
    free(forward);
    free(backward);
    free(s.v);
    free(s.slots);
    free(s.e);
    return rc;
}

int ol_cmdb_impact_text(ol_ctx_t *c, const char *number, const char *direction,
                        const char *depth, const char *paths, char **text)
{
    *text = NULL;
    if (!ol_rec_allowed(c, &ol_ci_type, "read"))
        return ol_ctx_fail(c, -OL_EFORBIDDEN, "you may not read configuration items");
    long max = ol_config_int(ol_config()->cmdb_impact_max_depth);
    long d = ol_config_int(ol_config()->cmdb_impact_default_depth);
    char num[24];
    if (direction && strcmp(direction, "up") && strcmp(direction, "down"))
        ol_schema_add_error(c->errors, "direction", "direction", c->lang, NULL);
    if (depth && (d = ol_config_int(depth)) < 1) {
        snprintf(num, sizeof num, "1");
        ol_schema_add_error(c->errors, "depth", d < 0 && strcmp(depth, "-1") ? "type_int"
                                                                             : "too_small",
                            c->lang, num);
    } else if (d > max) {
        snprintf(num, sizeof num, "%ld", max);
        ol_schema_add_error(c->errors, "depth", "too_large", c->lang, num);
    }
    if (paths && strcmp(paths, "true") && strcmp(paths, "false"))
        ol_schema_add_error(c->errors, "paths", "type_bool", c->lang, NULL);
    if (json_array_size(c->errors))
        return ol_ctx_fail(c, -OL_EINVAL, "the impact query is invalid");
    graph_t g = {c, number, 0, !direction || !strcmp(direction, "up"), (int)d,
                 paths && !strcmp(paths, "true"), {0}};
    ol_buf_init(&g.out);
    int rc = ol_db_read(c->db, impact_fn, &g);
    if (rc == 0)
        *text = ol_buf_steal(&g.out);
    ol_buf_clear(&g.out);
    return rc;
}

int ol_cmdb_impact(ol_ctx_t *c, const char *number, const char *direction, const char *depth)
{
    char *text;
    int rc = ol_cmdb_impact_text(c, number, direction, depth, NULL, &text);
    if (rc == 0 && !(c->result = json_loads(text, 0, NULL)))
        rc = ol_ctx_fail(c, -OL_EINTERNAL, "the impact answer is not JSON");
    free(text);
    return rc;
}
