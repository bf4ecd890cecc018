/* records/refresh.c - re-deriving fields that change with time (a level that rises while a
 * record stays open) for records nobody touches: each is re-written with no input, as the
 * system, so the type's compute and check hooks run; the engine writes (with history and
 * audit) only when something changed. Used by serve's sweeps. */
#include "records/store.h"

static const char *const system_roles[] = {"admin", NULL};

int ol_rec_refresh(ol_db_t *db, const ol_record_type_t *t, const json_t *items)
{
    int written = 0;
    size_t i;
    json_t *rec;
    json_array_foreach(items, i, rec) {
        ol_ctx_t c;
        ol_ctx_init(&c, db, "system", system_roles);
        c.via = "system";
        ol_write_t w;
        json_t *none = json_object();
        const char *number = json_string_value(json_object_get(rec, "number"));
        long long version = json_integer_value(json_object_get(rec, "version"));
        if (ol_rec_update_prepare(&c, t, number, version, none, &w) == 0 &&
            ol_write_run(db, &w) == 0)
            written++;
        json_decref(none);
        ol_ctx_clear(&c);
    }
    return written;
}
