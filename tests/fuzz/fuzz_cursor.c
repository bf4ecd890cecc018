/* tests/fuzz/fuzz_cursor.c - the pagination cursor decoder alone. A cursor is base64url (no
 * padding) of the JSON ["sort", desc, "value", id]; the input is that JSON, which the harness
 * encodes so the fuzzer works on the structure behind the encoding. The raw input is also tried
 * as a cursor as a client could send it. */
#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_init_common();
    return 0;
}

static void try_cursor(const ol_record_type_t *t, const char *cursor, const char *sort)
{
    ol_ctx_t c;
    ol_query_t q;
    ol_ctx_init(&c, NULL, "fuzzer", fuzz_admin);
    ol_query_init(&q);
    int rc = ol_query_add(&c, t, &q, "cursor", cursor);
    FUZZ_CHECK(rc == 0 || json_array_size(c.errors) == 1, "cursor refused without one error");
    if (rc == 0) {
        FUZZ_CHECK(q.has_cursor && q.cursor_value, "cursor accepted but not kept");
        FUZZ_CHECK(!strcmp(q.sort, "number") || !strcmp(q.sort, "title") ||
                       !strcmp(q.sort, "state") || !strcmp(q.sort, "priority") ||
                       !strcmp(q.sort, "created_at") || !strcmp(q.sort, "updated_at") ||
                       !strcmp(q.sort, "state_changed_at"),
                   "cursor set an unknown sort '%s'", q.sort);
        FUZZ_CHECK(fuzz_utf8_valid(q.cursor_value), "cursor value is not UTF-8");
        if (t) {
            /* An explicit sort= must agree with the cursor's. */
            const char *before = q.sort;
            int desc = q.desc;
            int src = ol_query_add(&c, t, &q, "sort", sort);
            FUZZ_CHECK(src != 0 || (strcmp(q.sort, before) == 0 && q.desc == desc),
                       "sort=%s overrode the cursor's sort %s", sort, before);
        }
    }
    fuzz_check_errors(c.errors);
    ol_query_clear(&q);
    ol_ctx_clear(&c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const sorts[] = {"-number", "number", "+title", "-updated_at", "state"};
    const char *sort = sorts[size % (sizeof sorts / sizeof sorts[0])];
    size_t enclen = sodium_base64_ENCODED_LEN(size, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    char *enc = malloc(enclen);
    if (!enc)
        abort();
    sodium_bin2base64(enc, enclen, data, size, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    char *raw = fuzz_cstr(data, size);
    for (size_t i = 0; i <= ol_schema_count(); i++) {
        try_cursor(ol_schema_at(i), enc, sort);
        try_cursor(ol_schema_at(i), raw, sort);
    }
    free(raw);
    free(enc);
    return 0;
}
