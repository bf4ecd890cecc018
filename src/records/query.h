/* records/query.h - list queries: whitelisted filters, sort, cursor pagination and full-text
 * search over any declared type (REQUIREMENTS P4). Never raw SQL from the client: field names
 * are looked up in the declaration, and every value is bound. */
#ifndef OL_QUERY_H
#define OL_QUERY_H
#include "records/ctx.h"
#include "records/schema.h"

#define OL_QUERY_MAX_FILTERS 16
#define OL_QUERY_MAX_IN 50
#define OL_QUERY_MAX_TERMS 8
#define OL_QUERY_DEFAULT_LIMIT 50
#define OL_QUERY_MAX_LIMIT 200

/* OL_OP_EMPTY: name[empty]=true (no value: null or "") or false (has one), e.g. unassigned. */
typedef enum {
    OL_OP_EQ, OL_OP_NE, OL_OP_GT, OL_OP_GTE, OL_OP_LT, OL_OP_LTE, OL_OP_IN, OL_OP_EMPTY
} ol_op_t;

typedef struct {
    const char *name;         /* field name as the client wrote it */
    const ol_field_t *field;  /* declared field, or NULL for a shared column */
    const char *column;       /* shared column, or NULL */
    ol_op_t op;
    char *values[OL_QUERY_MAX_IN];
    int nvalues;
} ol_filter_t;

typedef struct {
    ol_filter_t filters[OL_QUERY_MAX_FILTERS];
    int nfilters;
    const char *sort;         /* sort key name ("number", "updated_at", ...) */
    int desc;
    int limit;
    int has_cursor;
    char *cursor_value;       /* the sort value of the last row seen */
    long long cursor_id;
    char *q;                  /* full-text search text, or NULL */
    const ol_record_type_t *types[64]; /* search across types: which ones (0 = all readable) */
    int ntypes;
} ol_query_t;

void ol_query_init(ol_query_t *q);
void ol_query_clear(ol_query_t *q);
/* Adds one query-string argument. Unknown arguments, unknown or unfilterable fields and bad
 * values are appended to c->errors. t may be NULL (cross-type search: only q, limit, cursor,
 * types). Returns 0 or -OL_EINVAL. */
int ol_query_add(ol_ctx_t *c, const ol_record_type_t *t, ol_query_t *q, const char *key,
                 const char *value);

/* Runs the query; c->result = {"items": [...], "next_cursor": "..." | null}. */
int ol_rec_list(ol_ctx_t *c, const ol_record_type_t *t, const ol_query_t *q);

/* Counts the records the query matches (filters, search and data scope as in a list; sort,
 * limit and cursor ignored), grouped by one field: a shared column (state, priority, owner,
 * group, created_by, updated_by), a filterable enum, boolean, integer, user or string field,
 * or a day or month of created_at / updated_at ("created_at:day", "updated_at:month") for
 * trends. c->result = {"by", "total", "counts": [{"value", "count"}], "more"}, the most
 * frequent first (at most OL_STATS_MAX_GROUPS; "more" says whether others were cut). A bad by
 * is a field error on "by". */
#define OL_STATS_MAX_GROUPS 100
int ol_rec_stats(ol_ctx_t *c, const ol_record_type_t *t, const ol_query_t *q, const char *by);

#endif
