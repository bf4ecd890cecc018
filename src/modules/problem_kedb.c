/* modules/problem_kedb.c - Q3: the known-error database suggested while an incident is typed.
 * The text is cut into terms (ASCII words of 3+ letters; Chinese, which has no spaces, into
 * overlapping 3-character pieces, or a 2-character word whole); the full-text index (SQLite
 * FTS5 trigram, PostgreSQL pg_trgm) finds the known errors and published articles holding any
 * of them, and each is scored by how many terms it holds, twice in its title; the known errors
 * of the incident's own kind score more. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/json.h"
#include "core/mem.h"
#include "modules/problem.h"
#include "records/store.h"

extern const ol_record_type_t ol_incident_type;
extern const ol_record_type_t ol_kb_article_type;

#define MAX_TERMS 32
#define MAX_CANDIDATES 500
#define KIND_BONUS 5

typedef struct {
    ol_ctx_t *c;
    char *terms[MAX_TERMS];
    int nterms;
    const char *kind; /* the incident's, or NULL */
    int problems, articles; /* what the caller may read */
    int limit;
} suggest_t;

/* The code point at s (advancing *len over it); malformed bytes count as one character. */
static unsigned decode(const unsigned char *s, size_t *len)
{
    if (s[0] < 0x80) {
        *len = 1;
        return s[0];
    }
    size_t n = (s[0] & 0xE0) == 0xC0   ? 2
               : (s[0] & 0xF0) == 0xE0 ? 3
               : (s[0] & 0xF8) == 0xF0 ? 4
                                       : 1;
    for (size_t i = 1; i < n; i++)
        if ((s[i] & 0xC0) != 0x80)
            n = 1;
    unsigned cp = n == 1 ? s[0] : s[0] & (0x7F >> n);
    for (size_t i = 1; i < n; i++)
        cp = (cp << 6) | (s[i] & 0x3F);
    *len = n;
    return cp;
}

/* Spaces, ASCII punctuation and the CJK and full-width punctuation separate words. */
static int separator(unsigned cp)
{
    if (cp < 0x80)
        return !((cp >= '0' && cp <= '9') || (cp >= 'a' && cp <= 'z') ||
                 (cp >= 'A' && cp <= 'Z') || cp == '_');
    return (cp >= 0x2000 && cp <= 0x206F) || (cp >= 0x3000 && cp <= 0x303F) ||
           (cp >= 0xFF00 && cp <= 0xFF0F) || (cp >= 0xFF1A && cp <= 0xFF20) ||
           (cp >= 0xFF3B && cp <= 0xFF40) || (cp >= 0xFF5B && cp <= 0xFF65);
}

typedef struct {
    char **terms;
    int n, max;
} terms_t;

static void add_term(terms_t *s, const char *p, size_t n)
{
    if (s->n == s->max)
        return;
    char *t = ol_xmalloc(n + 1);
    memcpy(t, p, n);
    t[n] = 0;
    for (char *q = t; *q; q++)
        if (*q >= 'A' && *q <= 'Z')
            *q = (char)(*q - 'A' + 'a');
    for (int i = 0; i < s->n; i++)
        if (!strcmp(s->terms[i], t)) {
            free(t);
            return;
        }
    s->terms[s->n++] = t;
}

/* A run of non-ASCII characters at off[0..n): 3-character windows, or the run when shorter. */
static void add_run(terms_t *s, const char *text, const size_t *off, size_t n)
{
    if (n == 2)
        add_term(s, text + off[0], off[2] - off[0]);
    for (size_t i = 0; i + 3 <= n; i++)
        add_term(s, text + off[i], off[i + 3] - off[i]);
}

int ol_kedb_terms(const char *text, char **terms, int max)
{
    terms_t t = {terms, 0, max}, *s = &t;
    size_t off[512], n = 0, ascii = 0, len;
    const char *word = NULL;
    for (size_t i = 0;; i += len) {
        unsigned cp = text[i] ? decode((const unsigned char *)text + i, &len) : 0;
        int sep = !text[i] || separator(cp), wide = !sep && cp >= 0x80;
        if ((sep || wide) && ascii >= 3)
            add_term(s, word, ascii);
        if (sep || !wide || n == sizeof off / sizeof off[0] - 1) {
            off[n] = i;
            add_run(s, text, off, n);
            n = 0;
        }
        if (!text[i])
            break;
        if (wide)
            off[n++] = i;
        if (!sep && !wide && !ascii++)
            word = text + i;
        else if (sep || wide)
            ascii = 0;
    }
    return t.n;
}

/* ---- candidates and scores ----------------------------------------------------------------- */

static int contains(const char *hay, const char *term)
{
    return hay && strcasestr(hay, term) != NULL;
}

static int by_score(const void *a, const void *b)
{
    const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
    long long sx = json_integer_value(json_object_get(x, "score"));
    long long sy = json_integer_value(json_object_get(y, "score"));
    if (sx != sy)
        return sx < sy ? 1 : -1;
    int px = !strcmp(json_string_value(json_object_get(x, "type")), "problems");
    int py = !strcmp(json_string_value(json_object_get(y, "type")), "problems");
    if (px != py)
        return py - px; /* known errors before articles */
    return strcmp(json_string_value(json_object_get(y, "number")),
                  json_string_value(json_object_get(x, "number")));
}

/* The answer's form of a candidate: what the desk needs to act on it. */
static json_t *item_of(const ol_record_type_t *t, json_t *rec, long long score)
{
    static const char *const problem_keys[] = {"problem_type", "priority", "kind", "workaround",
                                               "root_cause", "permanent_fix", NULL};
    static const char *const article_keys[] = {"summary", "category", NULL};
    json_t *o = json_pack("{sOsOsOsOsI}", "number", json_object_get(rec, "number"), "type",
                          json_object_get(rec, "type"), "title", json_object_get(rec, "title"),
                          "state", json_object_get(rec, "state"), "score", score);
    for (const char *const *k = t == &ol_problem_type ? problem_keys : article_keys; *k; k++) {
        json_t *v = json_object_get(rec, *k);
        json_object_set(o, *k, v ? v : json_null());
    }
    return o;
}

static int suggest_fn(ol_conn_t *conn, void *arg)
{
    suggest_t *s = arg;
    ol_ctx_t *c = s->c;
    int pg = ol_conn_kind(conn) == OL_DB_PG;
    ol_buf_t sql, match;
    ol_buf_init(&sql);
    ol_buf_init(&match);
    ol_val_t p[MAX_TERMS + 2];
    char *owned[MAX_TERMS];
    int np = 0, nowned = 0;
    ol_buf_puts(&sql, "SELECT r.id, r.type, r.number, r.title, r.state, r.priority, r.owner, "
                      "r.grp, r.version, r.created_at, r.updated_at, r.state_changed_at, "
                      "r.created_by, r.updated_by, r.data, f.text FROM records r JOIN record_fts "
                      "f ON f.rowid = r.id WHERE (");
    if (s->problems)
        ol_buf_puts(&sql, "(r.type = 'problem' AND r.state <> 'rejected')");
    if (s->articles)
        ol_buf_printf(&sql, "%s(r.type = 'article' AND r.state = 'published')",
                      s->problems ? " OR " : "");
    ol_buf_puts(&sql, ") AND (0 = 1");
    for (int i = 0; i < s->nterms; i++) {
        if (!pg && ol_utf8_len(s->terms[i]) >= 3) {
            ol_buf_puts(&match, match.len ? " OR \"" : "\"");
            for (const char *q = s->terms[i]; *q; q++)
                ol_buf_puts(&match, *q == '"' ? "\"\"" : (char[]){*q, 0});
            ol_buf_puts(&match, "\"");
            continue;
        }
        ol_buf_t like;
        ol_buf_init(&like);
        ol_buf_puts(&like, "%");
        for (const char *q = s->terms[i]; *q; q++)
            ol_buf_puts(&like, *q == '%' || *q == '_' || *q == '\\' ? (char[]){'\\', *q, 0}
                                                                    : (char[]){*q, 0});
        ol_buf_puts(&like, "%");
        owned[nowned++] = ol_buf_steal(&like);
        p[np++] = OL_VTEXT(owned[nowned - 1]);
        ol_buf_printf(&sql, " OR f.text %s ?%d ESCAPE '\\'", pg ? "ILIKE" : "LIKE", np);
    }
    if (match.len) {
        p[np++] = OL_VTEXT(match.p);
        ol_buf_printf(&sql, " OR r.id IN (SELECT rowid FROM record_fts WHERE record_fts MATCH ?%d)",
                      np);
    }
    if (s->kind && s->problems) {
        p[np++] = OL_VTEXT(s->kind);
        ol_buf_printf(&sql, " OR (r.type = 'problem' AND %s = ?%d)",
                      pg ? "(r.data->>'kind')" : "json_extract(r.data, '$.kind')", np);
    }
    ol_buf_printf(&sql, ") ORDER BY r.id DESC LIMIT %d", MAX_CANDIDATES);
    ol_rows_t *r = NULL;
    int rc = ol_db_exec(conn, sql.p, p, np, &r);
    for (int i = 0; i < nowned; i++)
        free(owned[i]);
    ol_buf_clear(&sql);
    ol_buf_clear(&match);
    if (rc)
        return ol_ctx_db_fail(c, conn, rc);

    int n = ol_rows_count(r), nitems = 0;
    json_t **items = ol_xcalloc((size_t)n + 1, sizeof *items);
    for (int i = 0; i < n; i++) {
        const char *type = ol_rows_get(r, i, 1), *text = ol_rows_get(r, i, 15);
        const ol_record_type_t *t = !strcmp(type, "problem") ? &ol_problem_type
                                                             : &ol_kb_article_type;
        if (!ol_ctx_in_scope(c, ol_rows_get(r, i, 7), ol_rows_get(r, i, 6),
                             ol_rows_get(r, i, 12)))
            continue;
        json_t *rec = ol_rec_from_row(t, r, i);
        const char *title = json_string_value(json_object_get(rec, "title"));
        const char *kind = json_string_value(json_object_get(rec, "kind"));
        long long score = 0;
        for (int k = 0; k < s->nterms; k++)
            score += contains(text, s->terms[k]) + contains(title, s->terms[k]);
        if (t == &ol_problem_type && s->kind && kind && !strcmp(kind, s->kind))
            score += KIND_BONUS;
        if (score > 0 && (t != &ol_problem_type ||
                          json_is_true(json_object_get(rec, "known_error"))))
            items[nitems++] = item_of(t, rec, score);
        json_decref(rec);
    }
    ol_rows_free(r);
    qsort(items, (size_t)nitems, sizeof *items, by_score);
    json_t *out = json_array();
    for (int i = 0; i < nitems; i++) {
        if (i < s->limit)
            json_array_append(out, items[i]);
        json_decref(items[i]);
    }
    free(items);
    c->result = json_pack("{so}", "items", out);
    return 0;
}

int ol_kedb_suggest(ol_ctx_t *c, const char *q, const char *incident, int limit)
{
    suggest_t s = {.c = c, .limit = limit};
    s.problems = ol_rec_allowed(c, &ol_problem_type, "read");
    s.articles = ol_rec_allowed(c, &ol_kb_article_type, "read");
    if (!s.problems && !s.articles)
        return ol_ctx_fail(c, -OL_EFORBIDDEN, "you may read neither problems nor articles");
    char kind[OL_PROBLEM_KIND_MAX];
    ol_buf_t text;
    ol_buf_init(&text);
    if (q)
        ol_buf_puts(&text, q);
    int rc = 0;
    if (incident) {
        rc = ol_rec_get(c, &ol_incident_type, incident);
        if (rc == 0) {
            static const char *const keys[] = {"title", "description", NULL};
            for (const char *const *k = keys; *k; k++) {
                const char *v = json_string_value(json_object_get(c->result, *k));
                if (v && text.len < 2000) {
                    ol_buf_puts(&text, " ");
                    ol_buf_append(&text, v, strnlen(v, 2000));
                }
            }
            s.kind = ol_problem_kind(c->result, kind, sizeof kind);
            json_decref(c->result);
            c->result = NULL;
        }
    }
    if (rc == 0) {
        s.nterms = ol_kedb_terms(text.p ? text.p : "", s.terms, MAX_TERMS);
        if (s.nterms || s.kind)
            rc = ol_db_read(c->db, suggest_fn, &s);
        else
            c->result = json_pack("{s[]}", "items");
    }
    for (int i = 0; i < s.nterms; i++)
        free(s.terms[i]);
    ol_buf_clear(&text);
    return rc;
}
