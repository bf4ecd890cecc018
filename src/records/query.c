/* records/query.c - list queries: whitelisted filters, sort, cursor pagination and search. */
#include "records/query.h"

#include <ctype.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/json.h"
#include "core/mem.h"
#include "records/store.h"

/* Shared columns a list may filter on; sortable ones have a sort expression. */
static const struct {
    const char *name, *column, *sort_expr;
} shared[] = {
    {"number", "number", "id"},
    {"title", "title", "title"},
    {"state", "state", "state"},
    {"priority", "priority", "COALESCE(priority, '')"},
    {"owner", "owner", NULL},
    {"group", "grp", NULL},
    {"created_at", "created_at", "created_at"},
    {"updated_at", "updated_at", "updated_at"},
    {"state_changed_at", "state_changed_at", "state_changed_at"},
    {"created_by", "created_by", NULL},
    {"updated_by", "updated_by", NULL},
};
#define NSHARED (sizeof shared / sizeof shared[0])

void ol_query_init(ol_query_t *q)
{
    memset(q, 0, sizeof *q);
    q->sort = "number";
    q->desc = 1;
    q->limit = OL_QUERY_DEFAULT_LIMIT;
}

void ol_query_clear(ol_query_t *q)
{
    for (int i = 0; i < q->nfilters; i++)
        for (int k = 0; k < q->filters[i].nvalues; k++)
            free(q->filters[i].values[k]);
    free(q->cursor_value);
    free(q->q);
    ol_query_init(q);
}

static int bad(ol_ctx_t *c, const char *key, const char *why)
{
    ol_schema_add_error(c->errors, key, "bad_filter", c->lang, why);
    return -OL_EINVAL;
}

static int parse_int(const char *s, long long *out)
{
    char *end;
    if (!*s)
        return -1;
    long long v = strtoll(s, &end, 10);
    if (*end)
        return -1;
    *out = v;
    return 0;
}

/* Checks one filter value against the declared field's type. */
/* A time or the start of one ("2026", "2026-11-22", "2026-11-22T10:00:00Z"): times are stored
 * as ISO 8601 UTC text, so a prefix compares correctly in ranges. */
static int valid_time_prefix(const char *v)
{
    static const char pattern[] = "dddd-dd-ddTdd:dd:dd";
    size_t n = strlen(v);
    if (n < 4 || n > 30)
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (i < sizeof pattern - 1) {
            if (pattern[i] == 'd' ? !isdigit((unsigned char)v[i]) : v[i] != pattern[i])
                return 0;
        } else if (!(isdigit((unsigned char)v[i]) || v[i] == '.' || v[i] == 'Z')) {
            return 0;
        }
    }
    return 1;
}

static int is_time_column(const char *column)
{
    return column && strstr(column, "_at") != NULL;
}

static int check_value(ol_ctx_t *c, const char *key, const ol_field_t *f, const char *column,
                       const char *v)
{
    long long n;
    if (strlen(v) > 500)
        return bad(c, key, "value is longer than 500 bytes");
    if (is_time_column(column) && !valid_time_prefix(v))
        return bad(c, key, "value must be a UTC time like 2026-11-22T10:00:00Z (or its start)");
    if (!f)
        return 0;
    switch (f->type) {
    case OL_F_DATETIME:
        if (!valid_time_prefix(v))
            return bad(c, key, "value must be a UTC time like 2026-11-22T10:00:00Z (or its start)");
        break;
    case OL_F_INT:
        if (parse_int(v, &n))
            return bad(c, key, "value must be an integer");
        break;
    case OL_F_BOOL:
        if (strcmp(v, "true") && strcmp(v, "false"))
            return bad(c, key, "value must be true or false");
        break;
    case OL_F_ENUM: {
        for (const char *const *e = f->values; *e; e++)
            if (!strcmp(*e, v))
                return 0;
        return bad(c, key, "value is not one of the field's values");
    }
    default:
        break;
    }
    return 0;
}

/* Cursor: base64url of ["sort", desc, "value", id], so a cursor of another sort is refused. */
static char *make_cursor(const char *sort, int desc, const char *value, long long id)
{
    json_t *a = json_pack("[sbsI]", sort, desc, value ? value : "", id);
    char *s = ol_json_dump(a);
    json_decref(a);
    size_t len = strlen(s);
    size_t outlen = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    char *out = ol_xmalloc(outlen);
    sodium_bin2base64(out, outlen, (const unsigned char *)s, len,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    free(s);
    return out;
}

static int parse_cursor(ol_ctx_t *c, ol_query_t *q, const char *v)
{
    unsigned char bin[1024];
    size_t len;
    if (strlen(v) > 1300 ||
        sodium_base642bin(bin, sizeof bin - 1, v, strlen(v), NULL, &len, NULL,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
        return bad(c, "cursor", "the cursor is not one this server gave out");
    json_t *a = json_loadb((const char *)bin, len, 0, NULL);
    const char *sort, *value;
    int desc;
    json_int_t id;
    if (!a || json_unpack(a, "[sbsI]", &sort, &desc, &value, &id) != 0) {
        json_decref(a);
        return bad(c, "cursor", "the cursor is not one this server gave out");
    }
    free(q->cursor_value);
    q->cursor_value = ol_xstrdup(value);
    q->cursor_id = id;
    q->has_cursor = 1;
    /* The cursor carries its sort; an explicit sort= must agree (checked in ol_query_add, which
     * the API calls with the cursor first). */
    int ok = 0;
    for (size_t i = 0; i < NSHARED; i++)
        if (shared[i].sort_expr && !strcmp(shared[i].name, sort)) {
            q->sort = shared[i].name; /* static storage */
            ok = 1;
        }
    q->desc = desc;
    json_decref(a);
    return ok ? 0 : bad(c, "cursor", "the cursor is not one this server gave out");
}

int ol_query_add(ol_ctx_t *c, const ol_record_type_t *t, ol_query_t *q, const char *key,
                 const char *value)
{
    /* Names appear in the JSON errors and values reach the database as text: both must be
     * UTF-8 (a query string may carry any byte as %XX). */
    if (!ol_utf8_valid(key))
        return bad(c, "", "parameter names must be UTF-8");
    if (!ol_utf8_valid(value))
        return bad(c, key, "values must be UTF-8");
    if (!strcmp(key, "limit")) {
        long long n;
        if (parse_int(value, &n) || n < 1 || n > OL_QUERY_MAX_LIMIT) {
            char why[64];
            snprintf(why, sizeof why, "limit must be between 1 and %d", OL_QUERY_MAX_LIMIT);
            return bad(c, key, why);
        }
        q->limit = (int)n;
        return 0;
    }
    if (!strcmp(key, "cursor"))
        return parse_cursor(c, q, value);
    if (!strcmp(key, "q")) {
        if (!*value || ol_utf8_len(value) > 200)
            return bad(c, key, "search text must have 1 to 200 characters");
        free(q->q);
        q->q = ol_xstrdup(value);
        return 0;
    }
    if (!t && !strcmp(key, "types")) {
        char *copy = ol_xstrdup(value), *save = NULL;
        int rc = 0;
        for (char *p = strtok_r(copy, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
            const ol_record_type_t *rt = ol_schema_by_path(p);
            if (!rt || q->ntypes == 64) {
                rc = bad(c, key, "unknown record type");
                break;
            }
            q->types[q->ntypes++] = rt;
        }
        free(copy);
        return rc;
    }
    if (!t)
        return bad(c, key, "unknown parameter");
    if (!strcmp(key, "sort")) {
        int desc = value[0] == '-';
        const char *name = value + (desc || value[0] == '+');
        for (size_t i = 0; i < NSHARED; i++)
            if (shared[i].sort_expr && !strcmp(shared[i].name, name)) {
                if (q->has_cursor && (strcmp(q->sort, shared[i].name) || q->desc != desc))
                    return bad(c, key, "sort differs from the cursor's sort");
                q->sort = shared[i].name;
                q->desc = desc;
                return 0;
            }
        return bad(c, key, "sort by number, title, state, priority, created_at, updated_at or "
                           "state_changed_at, with - for descending");
    }

    /* A filter: name or name[op]. */
    char name[64], opname[16] = "eq";
    const char *br = strchr(key, '[');
    size_t nlen = br ? (size_t)(br - key) : strlen(key);
    if (nlen == 0 || nlen >= sizeof name)
        return bad(c, key, "unknown parameter");
    memcpy(name, key, nlen);
    name[nlen] = 0;
    if (br) {
        size_t olen = strlen(br + 1);
        if (olen < 2 || olen >= sizeof opname || br[olen] != ']')
            return bad(c, key, "operators are [ne], [gt], [gte], [lt], [lte], [in] and [empty]");
        memcpy(opname, br + 1, olen - 1);
        opname[olen - 1] = 0;
    }
    static const char *const ops[] = {"eq", "ne", "gt", "gte", "lt", "lte", "in", "empty", NULL};
    int op = -1;
    for (int i = 0; ops[i]; i++)
        if (!strcmp(ops[i], opname))
            op = i;
    if (op < 0)
        return bad(c, key, "operators are [ne], [gt], [gte], [lt], [lte], [in] and [empty]");

    ol_filter_t f = {0};
    for (size_t i = 0; i < NSHARED; i++)
        if (!strcmp(shared[i].name, name))
            f.column = shared[i].column;
    if (f.column && !strcmp(name, "priority") && !ol_schema_field(t, "priority"))
        f.column = NULL;
    if (!f.column) {
        f.field = ol_schema_field(t, name);
        if (!f.field || ol_schema_column(name)) {
            const char *col = f.field ? ol_schema_column(name) : NULL;
            if (col) {
                f.column = col;
                f.field = NULL;
            } else
                return bad(c, key, "unknown field");
        } else if (!(f.field->flags & OL_FIELD_FILTERABLE)) {
            return bad(c, key, "this field cannot be filtered on");
        }
    }
    if (f.field && f.field->type == OL_F_TAGS && op != OL_OP_EQ)
        return bad(c, key, "tags are filtered with name=value (contains)");
    if (op == OL_OP_EMPTY) {
        if (f.field && (f.field->type == OL_F_INT || f.field->type == OL_F_BOOL))
            return bad(c, key, "[empty] applies to text, choice, user and time fields");
        if (strcmp(value, "true") && strcmp(value, "false"))
            return bad(c, key, "value must be true or false");
    }
    if (q->nfilters == OL_QUERY_MAX_FILTERS)
        return bad(c, key, "too many filters");
    f.name = f.field ? f.field->name : name;
    if (f.column) /* name must outlive the request: use the static table's string */
        for (size_t i = 0; i < NSHARED; i++)
            if (!strcmp(shared[i].name, name))
                f.name = shared[i].name;
    f.op = (ol_op_t)op;
    if (op == OL_OP_EMPTY) {
        f.values[f.nvalues++] = ol_xstrdup(value);
    } else if (op == OL_OP_IN) {
        char *copy = ol_xstrdup(value), *save = NULL;
        for (char *p = strtok_r(copy, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
            if (f.nvalues == OL_QUERY_MAX_IN || check_value(c, key, f.field, f.column, p)) {
                for (int k = 0; k < f.nvalues; k++)
                    free(f.values[k]);
                free(copy);
                return f.nvalues == OL_QUERY_MAX_IN ? bad(c, key, "too many values in [in]")
                                                    : -OL_EINVAL;
            }
            f.values[f.nvalues++] = ol_xstrdup(p);
        }
        free(copy);
        if (!f.nvalues)
            return bad(c, key, "[in] needs at least one value");
    } else {
        if (check_value(c, key, f.field, f.column, value))
            return -OL_EINVAL;
        f.values[f.nvalues++] = ol_xstrdup(value);
    }
    int is_state = f.column && !strcmp(f.column, "state");
    if (is_state && (op == OL_OP_EQ || op == OL_OP_NE || op == OL_OP_IN))
        for (int k = 0; k < f.nvalues; k++)
            if (!ol_schema_state_valid(t, f.values[k])) {
                for (int i = 0; i < f.nvalues; i++)
                    free(f.values[i]);
                return bad(c, key, "value is not a state of this record type");
            }
    q->filters[q->nfilters++] = f;
    return 0;
}

/* ---- SQL ----------------------------------------------------------------------------------- */

typedef struct {
    ol_buf_t sql;
    ol_val_t params[OL_QUERY_MAX_FILTERS * OL_QUERY_MAX_IN + 32 + 80]; /* + data scope */
    char *owned[OL_QUERY_MAX_TERMS * 2 + 4];
    int nparams, nowned;
} sqlb_t;

static int bind_text(sqlb_t *b, const char *s)
{
    b->params[b->nparams++] = OL_VTEXT(s);
    return b->nparams;
}

static int bind_owned(sqlb_t *b, char *s)
{
    b->owned[b->nowned++] = s;
    return bind_text(b, s);
}

static void field_expr(sqlb_t *b, ol_db_kind_t kind, const ol_filter_t *f)
{
    /* Identifiers come only from the compiled-in declaration (STYLE §7.1). */
    if (f->column) {
        ol_buf_puts(&b->sql, f->column);
        return;
    }
    const ol_field_t *fd = f->field;
    if (kind == OL_DB_SQLITE) {
        ol_buf_printf(&b->sql, "json_extract(data, '$.%s')", fd->name);
    } else if (fd->type == OL_F_INT) {
        ol_buf_printf(&b->sql, "(data->>'%s')::bigint", fd->name);
    } else if (fd->type == OL_F_BOOL) {
        ol_buf_printf(&b->sql, "((data->>'%s')::boolean)::int", fd->name);
    } else {
        ol_buf_printf(&b->sql, "(data->>'%s')", fd->name);
    }
}

static void bind_value(sqlb_t *b, const ol_filter_t *f, const char *v)
{
    if (f->field && f->field->type == OL_F_INT) {
        b->params[b->nparams++] = OL_VINT(strtoll(v, NULL, 10));
    } else if (f->field && f->field->type == OL_F_BOOL) {
        b->params[b->nparams++] = OL_VINT(!strcmp(v, "true"));
    } else {
        bind_text(b, v);
    }
    ol_buf_printf(&b->sql, "?%d", b->nparams);
}

static void add_filter(sqlb_t *b, ol_db_kind_t kind, const ol_filter_t *f)
{
    static const char *const sqlop[] = {" = ", " <> ", " > ", " >= ", " < ", " <= "};
    ol_buf_puts(&b->sql, " AND ");
    if (f->field && f->field->type == OL_F_TAGS) {
        int n = bind_text(b, f->values[0]);
        if (kind == OL_DB_SQLITE)
            ol_buf_printf(&b->sql, "EXISTS (SELECT 1 FROM json_each(records.data, '$.%s') "
                                   "WHERE value = ?%d)", f->field->name, n);
        else
            ol_buf_printf(&b->sql, "(data->'%s') @> jsonb_build_array(?%d::text)",
                          f->field->name, n);
        return;
    }
    if (f->op == OL_OP_EMPTY) {
        int empty = !strcmp(f->values[0], "true");
        ol_buf_puts(&b->sql, empty ? "(" : "NOT (");
        field_expr(b, kind, f);
        ol_buf_puts(&b->sql, " IS NULL OR ");
        field_expr(b, kind, f);
        ol_buf_puts(&b->sql, " = '')");
        return;
    }
    field_expr(b, kind, f);
    if (f->op == OL_OP_IN) {
        ol_buf_puts(&b->sql, " IN (");
        for (int i = 0; i < f->nvalues; i++) {
            if (i)
                ol_buf_puts(&b->sql, ", ");
            bind_value(b, f, f->values[i]);
        }
        ol_buf_puts(&b->sql, ")");
    } else {
        ol_buf_puts(&b->sql, sqlop[f->op]);
        bind_value(b, f, f->values[0]);
    }
}

/* Escapes LIKE wildcards (ESCAPE '\'). Caller frees. */
static char *like_pattern(const char *term)
{
    ol_buf_t p;
    ol_buf_init(&p);
    ol_buf_puts(&p, "%");
    for (const char *s = term; *s; s++) {
        if (*s == '%' || *s == '_' || *s == '\\')
            ol_buf_puts(&p, "\\");
        ol_buf_append(&p, s, 1);
    }
    ol_buf_puts(&p, "%");
    return ol_buf_steal(&p);
}

/* Splits q into at most OL_QUERY_MAX_TERMS whitespace-separated terms, pointing into copy
 * (caller frees copy). Returns the number of terms. */
static int split_terms(const char *q, char **copy, char **terms)
{
    char *save = NULL;
    int nterms = 0;
    *copy = ol_xstrdup(q);
    for (char *p = strtok_r(*copy, " \t\r\n", &save); p && nterms < OL_QUERY_MAX_TERMS;
         p = strtok_r(NULL, " \t\r\n", &save))
        terms[nterms++] = p;
    return nterms;
}

/* Conditions that table's (record_fts or comment_fts) text holds every term. SQLite's trigram
 * index needs terms of 3+ characters; shorter ones fall back to LIKE (a scan). */
static void fts_conds(sqlb_t *b, ol_db_kind_t kind, const char *table, char **terms, int nterms)
{
    if (kind == OL_DB_SQLITE) {
        /* One MATCH with every long term quoted (implicit AND), LIKE for short ones. */
        ol_buf_t m;
        ol_buf_init(&m);
        int nlike = 0;
        for (int i = 0; i < nterms; i++) {
            if (ol_utf8_len(terms[i]) >= 3) {
                ol_buf_puts(&m, m.len ? " \"" : "\"");
                for (const char *s = terms[i]; *s; s++)
                    ol_buf_puts(&m, *s == '"' ? "\"\"" : (char[]){*s, 0});
                ol_buf_puts(&m, "\"");
            } else {
                int n = bind_owned(b, like_pattern(terms[i]));
                ol_buf_printf(&b->sql, "%s%s.text LIKE ?%d ESCAPE '\\'", nlike ? " AND " : "",
                              table, n);
                nlike++;
            }
        }
        if (m.len) {
            int n = bind_owned(b, ol_buf_steal(&m));
            ol_buf_printf(&b->sql, "%s%s MATCH ?%d", nlike ? " AND " : "", table, n);
        }
        ol_buf_clear(&m);
    } else {
        for (int i = 0; i < nterms; i++) {
            int n = bind_owned(b, like_pattern(terms[i]));
            ol_buf_printf(&b->sql, "%s%s.text ILIKE ?%d", i ? " AND " : "", table, n);
        }
    }
}

/* The records whose text or comments contain every whitespace-separated term. */
static void add_search(sqlb_t *b, ol_db_kind_t kind, const char *q)
{
    char *copy, *terms[OL_QUERY_MAX_TERMS];
    int nterms = split_terms(q, &copy, terms);
    if (!nterms) {
        free(copy);
        ol_buf_puts(&b->sql, " AND 0 = 1");
        return;
    }
    ol_buf_puts(&b->sql, " AND records.id IN (SELECT rowid FROM record_fts WHERE ");
    fts_conds(b, kind, "record_fts", terms, nterms);
    ol_buf_puts(&b->sql, " UNION SELECT record_id FROM comments WHERE id IN (SELECT rowid FROM "
                         "comment_fts WHERE ");
    fts_conds(b, kind, "comment_fts", terms, nterms);
    ol_buf_puts(&b->sql, "))");
    free(copy);
}

/* A search in number order (the default), as the condition "id IN (...)": the matching records
 * come from the full-text index newest (or oldest) first, each checked against conds (the type,
 * filters and cursor), and the walk stops after lim of them; records found through comments
 * are added. Without this the database gathered every matching record, with its data, and
 * sorted them all for one page: a common word cost seconds in a million records. cursor_param
 * is the number of the bound cursor id, or 0. */
static void add_search_in_order(sqlb_t *b, ol_db_kind_t kind, const char *q, const char *conds,
                                int desc, int lim_param, int cursor_param)
{
    char *copy, *terms[OL_QUERY_MAX_TERMS];
    int nterms = split_terms(q, &copy, terms);
    if (!nterms) {
        free(copy);
        ol_buf_puts(&b->sql, "0 = 1");
        return;
    }
    /* The full-text table drives the join (CROSS JOIN keeps SQLite from reordering it) and
     * returns rowids in order, so the walk can stop early. */
    ol_buf_printf(&b->sql, "id IN (SELECT id FROM (SELECT records.id AS id FROM record_fts "
                           "CROSS JOIN records WHERE records.id = record_fts.rowid AND %s AND ",
                  conds);
    fts_conds(b, kind, "record_fts", terms, nterms);
    if (cursor_param)
        ol_buf_printf(&b->sql, " AND record_fts.rowid %s ?%d", desc ? "<" : ">", cursor_param);
    ol_buf_printf(&b->sql, " ORDER BY record_fts.rowid%s LIMIT ?%d) AS hits UNION "
                           "SELECT records.id FROM records WHERE %s AND records.id IN (SELECT "
                           "record_id FROM comments WHERE id IN (SELECT rowid FROM comment_fts "
                           "WHERE ",
                  desc ? " DESC" : "", lim_param, conds);
    fts_conds(b, kind, "comment_fts", terms, nterms);
    ol_buf_puts(&b->sql, ")))");
    free(copy);
}

typedef struct {
    ol_ctx_t *c;
    const ol_record_type_t *t;
    const ol_query_t *q;
} list_t;

static const char *sort_expr(const char *name)
{
    for (size_t i = 0; i < NSHARED; i++)
        if (!strcmp(shared[i].name, name))
            return shared[i].sort_expr;
    return "id";
}

/* The type (or the readable types of a search), the data scope and the filters. */
static void add_conds(sqlb_t *b, const list_t *l, ol_db_kind_t kind)
{
    const ol_query_t *q = l->q;
    if (l->t) {
        int n = bind_text(b, l->t->name);
        ol_buf_printf(&b->sql, "type = ?%d", n);
    } else {
        /* Cross-type search: only the types asked for and readable by the caller. */
        ol_buf_puts(&b->sql, "type IN (");
        int first = 1;
        for (size_t i = 0; i < ol_schema_count(); i++) {
            const ol_record_type_t *rt = ol_schema_at(i);
            int wanted = q->ntypes == 0;
            for (int k = 0; k < q->ntypes; k++)
                wanted |= q->types[k] == rt;
            if (!wanted || !ol_rec_allowed(l->c, rt, "read"))
                continue;
            int n = bind_text(b, rt->name);
            ol_buf_printf(&b->sql, "%s?%d", first ? "" : ", ", n);
            first = 0;
        }
        if (first)
            ol_buf_puts(&b->sql, "NULL");
        ol_buf_puts(&b->sql, ")");
    }
    if (l->c->scope) { /* data scope (S5): the actor's groups, and what it owns or created */
        int u = bind_text(b, l->c->user);
        ol_buf_printf(&b->sql, " AND (owner = ?%d OR created_by = ?%d", u, u);
        for (const char *const *g = l->c->scope; *g; g++)
            ol_buf_printf(&b->sql, " OR grp = ?%d", bind_text(b, *g));
        ol_buf_puts(&b->sql, ")");
    }
    for (int i = 0; i < q->nfilters; i++)
        add_filter(b, kind, &q->filters[i]);
}

static int list_fn(ol_conn_t *conn, void *arg)
{
    list_t *l = arg;
    const ol_query_t *q = l->q;
    ol_db_kind_t kind = ol_conn_kind(conn);
    sqlb_t *b = ol_xcalloc(1, sizeof(*b));
    ol_buf_init(&b->sql);
    const char *se = sort_expr(q->sort);
    ol_buf_printf(&b->sql, "SELECT " OL_REC_COLUMNS ", %s FROM records WHERE ", se);
    size_t conds_at = b->sql.len;
    add_conds(b, l, kind);
    int cursor_param = 0;
    if (q->has_cursor) {
        const char *cmp = q->desc ? "<" : ">";
        if (!strcmp(se, "id")) {
            b->params[b->nparams++] = OL_VINT(q->cursor_id);
            cursor_param = b->nparams;
            ol_buf_printf(&b->sql, " AND records.id %s ?%d", cmp, b->nparams);
        } else {
            int v = bind_text(b, q->cursor_value);
            b->params[b->nparams++] = OL_VINT(q->cursor_id);
            ol_buf_printf(&b->sql, " AND (%s %s ?%d OR (%s = ?%d AND id %s ?%d))", se, cmp, v, se,
                          v, cmp, b->nparams);
        }
    }
    b->params[b->nparams++] = OL_VINT(q->limit + 1);
    int lim_param = b->nparams;
    if (q->q && !strcmp(se, "id")) {
        /* The conditions so far move inside the search (see add_search_in_order). */
        char *conds = ol_xstrdup(b->sql.p + conds_at);
        b->sql.len = conds_at;
        b->sql.p[conds_at] = 0;
        add_search_in_order(b, kind, q->q, conds, q->desc, lim_param, cursor_param);
        free(conds);
    } else if (q->q) {
        add_search(b, kind, q->q);
    }
    const char *dir = q->desc ? " DESC" : "";
    if (strcmp(se, "id"))
        ol_buf_printf(&b->sql, " ORDER BY %s%s, id%s", se, dir, dir);
    else
        ol_buf_printf(&b->sql, " ORDER BY id%s", dir);
    ol_buf_printf(&b->sql, " LIMIT ?%d", lim_param);

    ol_rows_t *r;
    int rc = ol_db_exec(conn, b->sql.p, b->params, b->nparams, &r);
    if (rc) {
        rc = ol_ctx_db_fail(l->c, conn, rc);
        goto out;
    }
    json_t *items = json_array();
    int n = ol_rows_count(r);
    int shown = n > q->limit ? q->limit : n;
    for (int i = 0; i < shown; i++) {
        const ol_record_type_t *rt = l->t ? l->t : ol_schema_by_name(ol_rows_get(r, i, 1));
        if (rt)
            json_array_append_new(items, ol_rec_from_row(rt, r, i));
    }
    json_t *next = json_null();
    if (n > q->limit) {
        char *cur = make_cursor(q->sort, q->desc, ol_rows_get(r, shown - 1, 15),
                                ol_rows_int(r, shown - 1, 0));
        next = json_string(cur);
        free(cur);
    }
    ol_rows_free(r);
    l->c->result = json_pack("{soso}", "items", items, "next_cursor", next);
out:
    for (int i = 0; i < b->nowned; i++)
        free(b->owned[i]);
    ol_buf_clear(&b->sql);
    free(b);
    return rc;
}

int ol_rec_list(ol_ctx_t *c, const ol_record_type_t *t, const ol_query_t *q)
{
    if (t && !ol_rec_allowed(c, t, "read"))
        return ol_ctx_fail(c, -OL_EFORBIDDEN, "you may not read %s records", t->label_en);
    list_t l = {c, t, q};
    return ol_db_read(c->db, list_fn, &l);
}

/* ---- counts by a field ------------------------------------------------------------------- */

typedef struct {
    ol_ctx_t *c;
    const ol_record_type_t *t;
    const ol_query_t *q;
    ol_filter_t by;    /* the grouped field, as a filter would name it */
    int bucket;        /* 0, or the length of a time prefix: 10 = day, 7 = month */
} stats_t;

/* Resolves by into s->by / s->bucket, or a field error on "by". */
static int stats_by(ol_ctx_t *c, stats_t *s, const char *by)
{
    static const char *const groupable[] = {"state", "priority", "owner", "group", "created_by",
                                            "updated_by", NULL};
    char name[64];
    const char *colon = strchr(by, ':');
    size_t n = colon ? (size_t)(colon - by) : strlen(by);
    if (n == 0 || n >= sizeof name)
        goto bad;
    memcpy(name, by, n);
    name[n] = 0;
    if (colon) {
        if (strcmp(name, "created_at") && strcmp(name, "updated_at"))
            goto bad;
        if (!strcmp(colon + 1, "day"))
            s->bucket = 10;
        else if (!strcmp(colon + 1, "month"))
            s->bucket = 7;
        else
            goto bad;
        s->by.column = !strcmp(name, "created_at") ? "created_at" : "updated_at";
        return 0;
    }
    for (int i = 0; groupable[i]; i++)
        if (!strcmp(groupable[i], name)) { /* "group" is the column grp */
            s->by.column = ol_schema_column(name) ? ol_schema_column(name) : groupable[i];
            return 0;
        }
    const ol_field_t *f = ol_schema_field(s->t, name);
    if (f && (f->flags & OL_FIELD_FILTERABLE) && !(f->flags & OL_FIELD_SENSITIVE) &&
        (f->type == OL_F_ENUM || f->type == OL_F_BOOL || f->type == OL_F_INT ||
         f->type == OL_F_USER || f->type == OL_F_STRING)) {
        s->by.field = f;
        return 0;
    }
bad:
    return bad(c, "by", "count by state, priority, owner, group, created_by, updated_by, a "
                        "filterable choice, yes/no, number, user or text field, or "
                        "created_at:day|month, updated_at:day|month");
}

static int stats_fn(ol_conn_t *conn, void *arg)
{
    stats_t *s = arg;
    ol_db_kind_t kind = ol_conn_kind(conn);
    list_t l = {s->c, s->t, s->q};
    sqlb_t *b = ol_xcalloc(1, sizeof(*b));
    ol_buf_init(&b->sql);
    ol_buf_puts(&b->sql, "SELECT v, n, SUM(n) OVER () FROM (SELECT ");
    if (s->bucket)
        ol_buf_printf(&b->sql, "substr(%s, 1, %d)", s->by.column, s->bucket);
    else
        field_expr(b, kind, &s->by);
    ol_buf_puts(&b->sql, " AS v, COUNT(*) AS n FROM records WHERE ");
    add_conds(b, &l, kind);
    if (s->q->q)
        add_search(b, kind, s->q->q);
    b->params[b->nparams++] = OL_VINT(OL_STATS_MAX_GROUPS + 1);
    ol_buf_printf(&b->sql, " GROUP BY 1) AS g ORDER BY n DESC, v LIMIT ?%d", b->nparams);

    ol_rows_t *r;
    int rc = ol_db_exec(conn, b->sql.p, b->params, b->nparams, &r);
    if (rc) {
        rc = ol_ctx_db_fail(s->c, conn, rc);
    } else {
        json_t *counts = json_array();
        int n = ol_rows_count(r), shown = n > OL_STATS_MAX_GROUPS ? OL_STATS_MAX_GROUPS : n;
        const ol_field_t *f = s->by.field;
        for (int i = 0; i < shown; i++) {
            const char *v = ol_rows_get(r, i, 0);
            json_t *jv = !v ? json_null()
                         : f && f->type == OL_F_BOOL ? json_boolean(strcmp(v, "0") != 0)
                         : f && f->type == OL_F_INT ? json_integer(strtoll(v, NULL, 10))
                                                    : json_string(v);
            json_array_append_new(counts, json_pack("{sosI}", "value", jv, "count",
                                                    (json_int_t)ol_rows_int(r, i, 1)));
        }
        long long total = n ? strtoll(ol_rows_get(r, 0, 2), NULL, 10) : 0;
        s->c->result = json_pack("{sIsosb}", "total", (json_int_t)total, "counts", counts,
                                 "more", n > OL_STATS_MAX_GROUPS);
        ol_rows_free(r);
    }
    for (int i = 0; i < b->nowned; i++)
        free(b->owned[i]);
    ol_buf_clear(&b->sql);
    free(b);
    return rc;
}

int ol_rec_stats(ol_ctx_t *c, const ol_record_type_t *t, const ol_query_t *q, const char *by)
{
    if (!ol_rec_allowed(c, t, "read"))
        return ol_ctx_fail(c, -OL_EFORBIDDEN, "you may not read %s records", t->label_en);
    stats_t s = {.c = c, .t = t, .q = q};
    if (!by || !*by) {
        ol_schema_add_error(c->errors, "by", "required", c->lang, NULL);
        return ol_ctx_fail(c, -OL_EINVAL, "stats needs by");
    }
    if (stats_by(c, &s, by))
        return ol_ctx_fail(c, -OL_EINVAL, "the query has invalid parameters");
    int rc = ol_db_read(c->db, stats_fn, &s);
    if (!rc)
        json_object_set_new(c->result, "by", json_string(by));
    return rc;
}
