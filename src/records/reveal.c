/* records/reveal.c - S7: showing sensitive fields in clear to those allowed, every attempt
 * audited. An allowed reveal writes its audit entry in the same transaction that reads the
 * record, so nothing is shown unless the entry is durable; a refused one is audited alone. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/json.h"
#include "records/audit.h"
#include "records/sensitive.h"
#include "records/store.h"

typedef struct {
    ol_ctx_t *c;
    const ol_record_type_t *t;
    const char *number;
    const char *const *fields;
    const char *detail;
} reveal_t;

static int reveal_job(ol_conn_t *conn, void *arg)
{
    reveal_t *j = arg;
    ol_rows_t *r;
    ol_val_t p[] = {OL_VTEXT(j->t->name), OL_VTEXT(j->number)};
    int rc = ol_db_exec(conn, "SELECT " OL_REC_COLUMNS " FROM records WHERE type = ?1 AND number = ?2",
                        p, 2, &r);
    if (rc)
        return ol_ctx_db_fail(j->c, conn, rc);
    if (ol_rows_count(r) == 0) {
        ol_rows_free(r);
        return ol_ctx_fail(j->c, -OL_ENOTFOUND, "%s %s does not exist", j->t->label_en, j->number);
    }
    json_t *rec = ol_rec_from_row_plain(j->t, r, 0);
    ol_rows_free(r);
    rc = ol_audit_write(conn, j->c, "record.reveal", j->number, "ok", j->detail);
    if (rc) {
        json_decref(rec);
        return ol_ctx_db_fail(j->c, conn, rc);
    }
    ol_sens_mask_record(j->t, rec, j->fields);
    /* A revealed value that did not open (key missing, value altered) shows as a mask. */
    for (const char *const *f = j->fields; *f; f++) {
        json_t *v = json_object_get(rec, *f);
        if (v)
            json_object_set_new(rec, *f, ol_sens_mask_value(ol_schema_field(j->t, *f), v));
    }
    j->c->result = rec;
    return 0;
}

int ol_rec_reveal(ol_ctx_t *c, const ol_record_type_t *t, const char *number,
                  const char *const *fields)
{
    json_t *names = json_array();
    for (const char *const *f = fields; *f; f++) {
        if (!ol_sens_field(ol_schema_field(t, *f)))
            ol_schema_add_error(c->errors, "reveal", "reveal_unknown", c->lang, *f);
        json_array_append_new(names, json_string(*f));
    }
    if (json_array_size(c->errors) || !json_array_size(names)) {
        json_decref(names);
        if (!json_array_size(c->errors))
            ol_schema_add_error(c->errors, "reveal", "required", c->lang, NULL);
        return ol_ctx_fail(c, -OL_EINVAL, "reveal names sensitive fields of %s records",
                           t->label_en);
    }
    json_t *d = json_pack("{so}", "fields", names);
    char *detail = ol_json_dump(d);
    json_decref(d);
    int rc;
    if (!ol_rec_allowed(c, t, "read") || !ol_rec_allowed(c, t, "reveal")) {
        rc = ol_audit_write_now(c->db, c, "record.reveal", number, "denied", detail);
        rc = rc ? ol_ctx_fail(c, rc, "the refused reveal could not be audited")
                : ol_ctx_fail(c, -OL_EFORBIDDEN,
                              "you may not reveal sensitive fields of %s records", t->label_en);
    } else {
        reveal_t j = {c, t, number, fields, detail};
        rc = ol_db_write(c->db, reveal_job, &j);
    }
    free(detail);
    return rc;
}
