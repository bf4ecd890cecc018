/* records/reveal.c - S7: showing sensitive fields in clear to those allowed, every attempt
 * audited (high severity). An allowed reveal is a write: its audit entry is committed in the
 * transaction that reads the record, so nothing is shown unless the entry is durable. A refused
 * one is audited on its own before the 403. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/fieldcrypt.h"
#include "core/json.h"
#include "core/mem.h"
#include "records/audit.h"
#include "records/sensitive.h"
#include "records/store.h"

typedef struct {
    ol_ctx_t *c;
    const ol_record_type_t *t;
    char *number;
    char **fields; /* NULL-terminated */
    char *detail;
} reveal_t;

static void free_reveal(void *arg)
{
    reveal_t *j = arg;
    for (char **f = j->fields; f && *f; f++)
        free(*f);
    free(j->fields);
    free(j->number);
    free(j->detail);
    free(j);
}

static int reveal_job(ol_conn_t *conn, void *arg)
{
    reveal_t *j = arg;
    ol_rows_t *r;
    ol_val_t p[] = {OL_VTEXT(j->t->name), OL_VTEXT(j->number)};
    int rc = ol_db_exec(conn,
                        "SELECT " OL_REC_COLUMNS " FROM records WHERE type = ?1 AND number = ?2",
                        p, 2, &r);
    if (rc)
        return ol_ctx_db_fail(j->c, conn, rc);
    /* Outside the reader's data scope reads as absent, as for a plain read. */
    if (ol_rows_count(r) == 0 ||
        !ol_ctx_in_scope(j->c, ol_rows_get(r, 0, 7), ol_rows_get(r, 0, 6), ol_rows_get(r, 0, 12))) {
        ol_rows_free(r);
        return ol_ctx_fail(j->c, -OL_ENOTFOUND, "%s %s does not exist", j->t->label_en, j->number);
    }
    json_t *rec = ol_rec_from_row_plain(j->t, r, 0);
    ol_rows_free(r);
    rc = ol_audit_write_sev(conn, j->c, OL_AUDIT_HIGH, "record.reveal", j->number, "ok", j->detail);
    if (rc) {
        json_decref(rec);
        return ol_ctx_db_fail(j->c, conn, rc);
    }
    ol_sens_mask_record(j->t, rec, (const char *const *)j->fields);
    /* A revealed value that did not open (its key is missing, it was altered) shows masked. */
    for (char **f = j->fields; *f; f++) {
        const char *s = json_string_value(json_object_get(rec, *f));
        if (s && ol_fcrypt_is_sealed(s))
            json_object_set_new(rec, *f, json_string("****"));
    }
    j->c->result = rec;
    return 0;
}

static int listed(char *const *list, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(list[i], s))
            return 1;
    return 0;
}

int ol_rec_reveal_prepare(ol_ctx_t *c, const ol_record_type_t *t, const char *number,
                          const char *fields, ol_write_t *w)
{
    /* The names, each once, in the order given. */
    char **names = ol_xcalloc(t->nfields + 1, sizeof(char *));
    size_t n = 0;
    char *copy = ol_xstrdup(fields ? fields : "");
    for (char *save = NULL, *f = strtok_r(copy, ",", &save); f; f = strtok_r(NULL, ",", &save)) {
        if (!ol_sens_field(ol_schema_field(t, f)))
            ol_schema_add_error(c->errors, "reveal", "reveal_unknown", c->lang, f);
        else if (!listed(names, n, f))
            names[n++] = ol_xstrdup(f);
    }
    free(copy);
    reveal_t *j = ol_xcalloc(1, sizeof *j);
    j->c = c;
    j->t = t;
    j->number = ol_xstrdup(number);
    j->fields = names;
    if (json_array_size(c->errors) || n == 0) {
        free_reveal(j);
        if (!json_array_size(c->errors))
            ol_schema_add_error(c->errors, "reveal", "required", c->lang, NULL);
        return ol_ctx_fail(c, -OL_EINVAL, "reveal names sensitive fields of %s records, "
                                          "separated by commas", t->label_en);
    }
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(list, json_string(names[i]));
    json_t *d = json_pack("{so}", "fields", list);
    j->detail = ol_json_dump(d);
    json_decref(d);
    if (!ol_rec_allowed(c, t, "read") || !ol_rec_allowed(c, t, "reveal")) {
        int rc = ol_audit_write_now_sev(c->db, c, OL_AUDIT_HIGH, "record.reveal", number,
                                        "denied", j->detail);
        free_reveal(j);
        if (rc)
            return ol_ctx_fail(c, rc, "the refused reveal could not be audited");
        return ol_ctx_fail(c, -OL_EFORBIDDEN, "you may not reveal sensitive fields of %s records",
                           t->label_en);
    }
    *w = (ol_write_t){reveal_job, j, free_reveal};
    return 0;
}
