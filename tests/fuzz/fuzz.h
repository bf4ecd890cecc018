/* tests/fuzz/fuzz.h - what the libFuzzer targets share: set-up, roles, and invariant checks. */
#ifndef OL_FUZZ_H
#define OL_FUZZ_H
#include <sodium.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "modules/registry.h"
#include "records/ctx.h"
#include "records/query.h"
#include "records/schema.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const fuzz_admin[] = {"admin", NULL};
static const char *const fuzz_nobody[] = {NULL};

/* A broken invariant is a finding: say which, and crash so libFuzzer keeps the input. */
#define FUZZ_CHECK(cond, ...)                                                                  \
    do {                                                                                       \
        if (!(cond)) {                                                                         \
            fprintf(stderr, "fuzz invariant failed at %s:%d: %s\n  ", __FILE__, __LINE__,      \
                    #cond);                                                                    \
            fprintf(stderr, __VA_ARGS__);                                                      \
            fprintf(stderr, "\n");                                                             \
            abort();                                                                           \
        }                                                                                      \
    } while (0)

/* A record type of the fuzzers' own, registered after the product's: one field of every kind
 * and flag the engine supports (integers with and without a range, booleans, a read-only field,
 * a shared enum column, a required enum without a default, short limits), so the generic code
 * is exercised beyond what today's modules declare. */
static const char *const fuzz_kinds[] = {"alpha", "beta", "gamma_delta", NULL};
static const char *const fuzz_prios[] = {"p1", "p2", "p3", NULL};
static const char *const fuzz_states[] = {"new", "open", "closed", NULL};
static const char *const fuzz_from_new[] = {"new", NULL};
static const char *const fuzz_from_any[] = {"new", "open", "closed", NULL};
static const char *const fuzz_needs[] = {"count", "who", NULL};
static const char *const fuzz_anyone[] = {"*", NULL};
static const ol_field_t fuzz_fields[] = {
    {"title", OL_F_STRING, OL_FIELD_REQUIRED | OL_FIELD_SEARCHABLE, 2, 12, NULL, NULL, "T", "T",
     OL_MASK_GENERIC},
    {"count", OL_F_INT, OL_FIELD_FILTERABLE | OL_FIELD_SORTABLE, -5, 1000, NULL, "0", "C", "C",
     OL_MASK_GENERIC},
    {"level", OL_F_INT, OL_FIELD_FILTERABLE, 0, 0, NULL, NULL, "L", "L", OL_MASK_GENERIC},
    {"flag", OL_F_BOOL, OL_FIELD_FILTERABLE, 0, 0, NULL, "false", "F", "F", OL_MASK_GENERIC},
    {"locked", OL_F_STRING, OL_FIELD_READONLY | OL_FIELD_FILTERABLE, 0, 0, NULL, NULL, "K", "K",
     OL_MASK_GENERIC},
    {"notes", OL_F_TEXT, OL_FIELD_SEARCHABLE, 0, 40, NULL, NULL, "N", "N", OL_MASK_GENERIC},
    {"due", OL_F_DATETIME, OL_FIELD_FILTERABLE | OL_FIELD_REQUIRED, 0, 0, NULL,
     "\"2026-01-01T00:00:00Z\"", "D", "D", OL_MASK_GENERIC},
    {"people", OL_F_TAGS, OL_FIELD_FILTERABLE | OL_FIELD_SEARCHABLE, 0, 3, NULL, NULL, "P", "P",
     OL_MASK_GENERIC},
    {"who", OL_F_USER, OL_FIELD_FILTERABLE, 0, 0, NULL, NULL, "W", "W", OL_MASK_GENERIC},
    {"kind", OL_F_ENUM, OL_FIELD_REQUIRED | OL_FIELD_FILTERABLE, 0, 0, fuzz_kinds, NULL, "K", "K",
     OL_MASK_GENERIC},
    {"priority", OL_F_ENUM, OL_FIELD_FILTERABLE, 0, 0, fuzz_prios, "\"p2\"", "P", "P",
     OL_MASK_GENERIC},
    {"owner", OL_F_USER, 0, 0, 0, NULL, NULL, "O", "O", OL_MASK_GENERIC},
};
static const ol_transition_t fuzz_transitions[] = {
    {"open", fuzz_from_new, "open", NULL, fuzz_needs, 0, NULL, "Open", "Open", NULL, NULL},
    {"close", fuzz_from_any, "closed", fuzz_anyone, NULL, 1, NULL, "Close", "Close", NULL,
     NULL},
};
static const ol_record_type_t fuzz_type = {
    .name = "fuzzrec",
    .path = "fuzzrecs",
    .prefix = "FZ",
    .label_en = "Fuzz record",
    .label_zh = "Fuzz record",
    .fields = fuzz_fields,
    .nfields = sizeof fuzz_fields / sizeof fuzz_fields[0],
    .states = fuzz_states,
    .transitions = fuzz_transitions,
    .ntransitions = sizeof fuzz_transitions / sizeof fuzz_transitions[0],
    .perms = {.read = fuzz_anyone, .create = fuzz_anyone, .update = fuzz_anyone,
              .comment = fuzz_anyone},
};

static inline void fuzz_init_common(void)
{
    char err[256];
    if (sodium_init() < 0)
        abort();
    ol_schema_register_all();
    if (ol_schema_register(&fuzz_type, err, sizeof err)) {
        fprintf(stderr, "fuzz: cannot register the fuzz record type: %s\n", err);
        abort();
    }
}

/* Where a target keeps its scratch files: $OL_FUZZ_TMPDIR (run.sh sets one per run and removes
 * it, so a crashed target leaves nothing behind), else memory-backed /dev/shm, else /tmp. */
static inline const char *fuzz_tmpdir(void)
{
    const char *d = getenv("OL_FUZZ_TMPDIR");
    if (d && *d)
        return d;
    return access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
}

/* The input as a NUL-terminated string (stops at an embedded NUL, as C callers would). Caller
 * frees. */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        abort();
    memcpy(s, data, size);
    s[size] = 0;
    return s;
}

/* Every entry of an errors array must be {"field": string, "code": string, "message": string},
 * since the HTTP layer hands them to clients as they are. */
static inline void fuzz_check_errors(const json_t *errors)
{
    size_t i;
    const json_t *e;
    FUZZ_CHECK(json_is_array(errors), "errors is not an array");
    json_array_foreach(errors, i, e) {
        FUZZ_CHECK(json_is_string(json_object_get(e, "field")) &&
                       json_is_string(json_object_get(e, "code")) &&
                       json_string_length(json_object_get(e, "message")) > 0,
                   "error %zu is malformed", i);
    }
}


/* ---- query strings ------------------------------------------------------------------------ */

#define FUZZ_MAX_ARGS 64

/* The arguments of a query string, decoded as libmicrohttpd hands them to the API: split on
 * '&' and the first '=', '+' and %XX decoded, a value without '=' is "". A decoded NUL ends
 * the string there, as it does for C callers. */
typedef struct {
    char *buf;
    const char *key[FUZZ_MAX_ARGS], *value[FUZZ_MAX_ARGS];
    int n;
} fuzz_args_t;

static inline int fuzz_hex(int ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

/* Decodes s[0..len) in place into out (which may be s); returns out. */
static inline char *fuzz_urldecode(char *out, const char *s, size_t len)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '+') {
            out[o++] = ' ';
        } else if (s[i] == '%' && i + 2 < len && fuzz_hex(s[i + 1]) >= 0 &&
                   fuzz_hex(s[i + 2]) >= 0) {
            out[o++] = (char)(fuzz_hex(s[i + 1]) * 16 + fuzz_hex(s[i + 2]));
            i += 2;
        } else {
            out[o++] = s[i];
        }
    }
    out[o] = 0;
    return out;
}

static inline void fuzz_args_parse(fuzz_args_t *a, const uint8_t *data, size_t size)
{
    memset(a, 0, sizeof *a);
    a->buf = malloc(size + 1);
    if (!a->buf)
        abort();
    memcpy(a->buf, data, size);
    a->buf[size] = 0;
    char *p = a->buf, *end = a->buf + size;
    while (p < end && a->n < FUZZ_MAX_ARGS) {
        char *amp = memchr(p, '&', (size_t)(end - p));
        char *stop = amp ? amp : end;
        char *eq = memchr(p, '=', (size_t)(stop - p));
        if (stop > p) {
            char *kend = eq ? eq : stop;
            a->key[a->n] = fuzz_urldecode(p, p, (size_t)(kend - p));
            a->value[a->n] = eq ? fuzz_urldecode(eq + 1, eq + 1, (size_t)(stop - eq - 1)) : "";
            a->n++;
        }
        p = stop + 1;
    }
}

static inline void fuzz_args_free(fuzz_args_t *a)
{
    free(a->buf);
}

/* Feeds the arguments to ol_query_add the way the list handler does: the cursor first, then
 * everything else, reporting every bad argument. Returns 0 when all were accepted. Checks that
 * a refusal always left a field error for the client. */
static inline int fuzz_query_apply(ol_ctx_t *c, const ol_record_type_t *t, ol_query_t *q,
                                   const fuzz_args_t *a)
{
    int bad = 0;
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < a->n; i++) {
            if ((strcmp(a->key[i], "cursor") == 0) != (pass == 0))
                continue;
            size_t before = json_array_size(c->errors);
            int rc = ol_query_add(c, t, q, a->key[i], a->value[i]);
            FUZZ_CHECK(rc == 0 || json_array_size(c->errors) > before,
                       "ol_query_add refused '%s' (rc %d) without an error", a->key[i], rc);
            FUZZ_CHECK(rc == 0 || rc < 0, "ol_query_add returned %d", rc);
            bad |= rc != 0;
        }
    fuzz_check_errors(c->errors);
    return bad;
}

/* Whether s is well-formed UTF-8 (what both databases accept as text). */
static inline int fuzz_utf8_valid(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        unsigned c = *p;
        int n = c < 0x80 ? 0 : (c & 0xE0) == 0xC0 ? 1 : (c & 0xF0) == 0xE0 ? 2 : (c & 0xF8) == 0xF0 ? 3 : -1;
        if (n < 0 || (n == 1 && c < 0xC2) || (n == 3 && c > 0xF4))
            return 0;
        unsigned cp = n == 0 ? c : n == 1 ? c & 0x1F : n == 2 ? c & 0x0F : c & 0x07;
        for (int k = 1; k <= n; k++) {
            if ((p[k] & 0xC0) != 0x80)
                return 0;
            cp = (cp << 6) | (p[k] & 0x3F);
        }
        if ((n == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
            (n == 3 && (cp < 0x10000 || cp > 0x10FFFF)))
            return 0;
        p += n + 1;
    }
    return 1;
}

#endif
