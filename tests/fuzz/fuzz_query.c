/* tests/fuzz/fuzz_query.c - the list grammar: filters name[op]=value, sort, limit, cursor, q
 * and types, for every declared type and for the cross-type search (t = NULL). The input is a
 * query string ("state[in]=draft,published&sort=-updated_at&limit=5"), decoded as
 * libmicrohttpd would. No database: ol_query_add() only parses and checks. */
#include "core/json.h"
#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_init_common();
    return 0;
}

/* What ol_rec_list() later relies on when it builds SQL from an accepted query. */
static void check_query(const ol_record_type_t *t, const ol_query_t *q, int accepted)
{
    FUZZ_CHECK(q->limit >= 1 && q->limit <= OL_QUERY_MAX_LIMIT, "limit %d", q->limit);
    FUZZ_CHECK(q->nfilters >= 0 && q->nfilters <= OL_QUERY_MAX_FILTERS, "nfilters %d",
               q->nfilters);
    FUZZ_CHECK(q->ntypes >= 0 && q->ntypes <= 64, "ntypes %d", q->ntypes);
    FUZZ_CHECK(q->sort && *q->sort, "no sort key");
    FUZZ_CHECK(!t || q->ntypes == 0, "types= accepted for a single-type list");
    FUZZ_CHECK(t || q->nfilters == 0, "a filter accepted for the cross-type search");
    for (int i = 0; i < q->nfilters; i++) {
        const ol_filter_t *f = &q->filters[i];
        FUZZ_CHECK(f->name && (f->field || f->column), "filter %d has no target", i);
        FUZZ_CHECK(!f->field || (f->field->flags & OL_FIELD_FILTERABLE),
                   "filter on unfilterable field %s", f->field->name);
        FUZZ_CHECK(f->op >= OL_OP_EQ && f->op <= OL_OP_IN, "filter %d op %d", i, (int)f->op);
        FUZZ_CHECK(f->nvalues >= 1 && f->nvalues <= OL_QUERY_MAX_IN && (f->op == OL_OP_IN ||
                                                                        f->nvalues == 1),
                   "filter %s has %d values", f->name, f->nvalues);
        for (int k = 0; k < f->nvalues; k++) {
            FUZZ_CHECK(f->values[k], "filter %s value %d is NULL", f->name, k);
            /* Values are bound as text: PostgreSQL refuses text that is not UTF-8. */
            FUZZ_CHECK(!accepted || fuzz_utf8_valid(f->values[k]),
                       "filter %s accepted a value that is not UTF-8", f->name);
        }
    }
    FUZZ_CHECK(!accepted || !q->q || fuzz_utf8_valid(q->q), "q accepted text that is not UTF-8");
    FUZZ_CHECK(!q->has_cursor || q->cursor_value, "a cursor without its value");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_args_t args;
    fuzz_args_parse(&args, data, size);
    /* ol_utf8_valid() against this file's decoder and jansson's (which guards JSON output). */
    for (int i = 0; i < args.n; i++)
        for (int k = 0; k < 2; k++) {
            const char *s = k ? args.value[i] : args.key[i];
            json_t *js = json_string(s);
            FUZZ_CHECK(ol_utf8_valid(s) == fuzz_utf8_valid(s) && ol_utf8_valid(s) == (js != NULL),
                       "UTF-8 validators disagree on argument %d", i);
            json_decref(js);
        }
    for (size_t i = 0; i <= ol_schema_count(); i++) {
        const ol_record_type_t *t = ol_schema_at(i); /* NULL last: the cross-type search */
        ol_ctx_t c;
        ol_query_t q;
        ol_ctx_init(&c, NULL, "fuzzer", fuzz_admin);
        c.lang = size % 2 ? "zh-CN" : "en";
        ol_query_init(&q);
        int bad = fuzz_query_apply(&c, t, &q, &args);
        check_query(t, &q, !bad);
        ol_query_clear(&q);
        ol_ctx_clear(&c);
    }
    fuzz_args_free(&args);
    return 0;
}
