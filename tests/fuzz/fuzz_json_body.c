/* tests/fuzz/fuzz_json_body.c - request bodies: bounded JSON parsing, then validation of the
 * result against every declared record type, as create, update, transition, comment and link
 * input. The prepare steps run with no database (ctx.db is NULL): they may validate and queue
 * a write, never run it. The input is the body exactly as a client would send it. */
#include "core/err.h"
#include "core/json.h"
#include "fuzz.h"
#include "records/store.h"

#define MAX_DEPTH 32

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_init_common();
    return 0;
}

static int depth_of(const json_t *v)
{
    int most = 0;
    if (json_is_object(v)) {
        const char *key;
        json_t *item;
        json_object_foreach((json_t *)v, key, item) {
            int d = depth_of(item);
            most = d > most ? d : most;
        }
        return most + 1;
    }
    if (json_is_array(v)) {
        size_t i;
        json_t *item;
        json_array_foreach(v, i, item) {
            int d = depth_of(item);
            most = d > most ? d : most;
        }
        return most + 1;
    }
    return 0;
}

/* A prepare either fails with a message and an error code, or queues a write that is released
 * here without running. */
static void check_prepared(ol_ctx_t *c, int rc, ol_write_t *w, const char *what)
{
    fuzz_check_errors(c->errors);
    if (rc == 0) {
        FUZZ_CHECK(w->fn && w->arg && w->free_arg, "%s: rc 0 without a write", what);
        FUZZ_CHECK(json_array_size(c->errors) == 0, "%s: rc 0 with field errors", what);
        w->free_arg(w->arg);
    } else {
        FUZZ_CHECK(rc < 0 && -rc < OL_E__COUNT, "%s: rc %d is not an OL_E* code", what, rc);
        FUZZ_CHECK(c->detail[0], "%s: failed (%s) with no detail", what, ol_err_name(rc));
        FUZZ_CHECK(rc != -OL_EINVAL || json_array_size(c->errors) > 0,
                   "%s: EINVAL (%s) without a field error", what, c->detail);
    }
    ol_ctx_clear(c);
}

static void prepare_all(const ol_record_type_t *t, const json_t *body, const char *const *roles,
                        const char *lang)
{
    ol_ctx_t c;
    ol_write_t w;
    int rc;

#define RUN(what, call)                                                                        \
    do {                                                                                       \
        ol_ctx_init(&c, NULL, "fuzzer", roles);                                                \
        c.lang = lang;                                                                         \
        memset(&w, 0, sizeof w);                                                               \
        rc = (call);                                                                           \
        check_prepared(&c, rc, &w, what);                                                      \
    } while (0)

    RUN("create", ol_rec_create_prepare(&c, t, body, &w));
    RUN("update", ol_rec_update_prepare(&c, t, "KB-000001", 3, body, &w));
    for (size_t i = 0; i < t->ntransitions; i++)
        RUN("transition", ol_rec_transition_prepare(&c, t, "KB-000001", t->transitions[i].name,
                                                    0, body, &w));
    RUN("transition-unknown",
        ol_rec_transition_prepare(&c, t, "KB-000001", "no_such_transition", 2, body, &w));
    RUN("comment", ol_rec_comment_prepare(&c, t, "KB-000001", body, &w));
    RUN("link", ol_rec_link_prepare(&c, t, "KB-000001", body, &w));
#undef RUN
}

/* What the create path stores must satisfy the declaration: validation passing means the
 * record, after defaults, has every required field. */
static void check_validation(const ol_record_type_t *t, const json_t *body, const char *lang)
{
    for (int creating = 0; creating <= 1; creating++) {
        json_t *errors = json_array();
        int n = ol_schema_validate(t, body, creating, lang, errors);
        FUZZ_CHECK(n >= 0 && (size_t)n == json_array_size(errors),
                   "validate returned %d with %zu errors", n, json_array_size(errors));
        fuzz_check_errors(errors);
        if (creating && n == 0) {
            json_t *rec = json_deep_copy(body);
            ol_schema_apply_defaults(t, rec);
            json_t *more = json_array();
            int missing = ol_schema_check_required(t, rec, NULL, lang, more);
            char *dump = json_dumps(more, JSON_COMPACT);
            FUZZ_CHECK(missing == 0, "valid create input lacks required fields: %s", dump);
            free(dump);
            json_decref(more);
            json_decref(rec);
        }
        json_decref(errors);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Alternate the language so both message catalogues are formatted. */
    const char *lang = size % 2 ? "zh-CN" : "en";
    char err[256] = "";
    json_t *body;
    int rc = ol_json_parse((const char *)data, size, MAX_DEPTH, &body, err, sizeof err);
    if (rc) {
        FUZZ_CHECK(rc == -OL_EINVAL && err[0] && !body, "a refused body needs EINVAL and a reason");
        return 0;
    }
    FUZZ_CHECK(depth_of(body) <= MAX_DEPTH, "parsed a body nested %d deep (limit %d)",
               depth_of(body), MAX_DEPTH);
    char *dump = ol_json_dump(body);
    FUZZ_CHECK(dump != NULL, "cannot serialise a parsed body");
    free(dump);

    for (size_t i = 0; i < ol_schema_count(); i++) {
        const ol_record_type_t *t = ol_schema_at(i);
        check_validation(t, body, lang);
        prepare_all(t, body, fuzz_admin, lang);
        prepare_all(t, body, fuzz_nobody, lang);
    }
    json_decref(body);
    return 0;
}
