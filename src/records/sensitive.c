/* records/sensitive.c - S7 sensitive fields in the record engine (see sensitive.h). */
#include "records/sensitive.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/fieldcrypt.h"
#include "core/mem.h"
#include "records/ctx.h"
#include "records/mask.h"

int ol_sens_field(const ol_field_t *f)
{
    return f && (f->flags & OL_FIELD_SENSITIVE);
}

int ol_sens_type(const ol_record_type_t *t)
{
    for (size_t i = 0; t && i < t->nfields; i++)
        if (ol_sens_field(&t->fields[i]))
            return 1;
    return 0;
}

/* "<number>\x1f<field>": the unit separator appears in neither. */
size_t ol_sens_ad(char *ad, size_t len, const char *number, const char *field)
{
    int n = snprintf(ad, len, "%s\x1f%s", number ? number : "", field);
    return n < 0 ? 0 : (size_t)n < len ? (size_t)n : len - 1;
}

char *ol_sens_seal(const char *number, const char *field, const char *plain)
{
    char ad[192];
    size_t adlen = ol_sens_ad(ad, sizeof ad, number, field);
    return ol_fcrypt_seal(plain, ad, adlen);
}

int ol_sens_open(const char *number, const char *field, const char *stored, char **plain)
{
    char ad[192];
    size_t adlen = ol_sens_ad(ad, sizeof ad, number, field);
    return ol_fcrypt_open(stored, ad, adlen, plain);
}

static void free_plain(char *p)
{
    if (p) {
        sodium_memzero(p, strlen(p));
        free(p);
    }
}

json_t *ol_sens_stored(const ol_field_t *f, const char *number, const json_t *v)
{
    const char *s = json_string_value(v);
    if (!ol_sens_field(f) || !s || !*s || ol_fcrypt_is_sealed(s))
        return json_incref((json_t *)v);
    char *sealed = ol_sens_seal(number, f->name, s);
    if (!sealed)
        return NULL;
    json_t *out = json_string(sealed);
    free(sealed);
    return out;
}

int ol_sens_note_key(ol_conn_t *conn, const char *sealed)
{
    char id[OL_FKEY_ID_MAX], print[OL_FKEY_PRINT_HEX], now[32];
    if (ol_fcrypt_key_of(sealed, id) || ol_fkeys_fingerprint(id, print))
        return 0;
    /* A key used again (a server that had not yet seen a rotation) is no longer retired. */
    ol_val_t p[] = {OL_VTEXT(id), OL_VTEXT(print), OL_VTEXT(ol_now_iso(now))};
    return ol_db_exec(conn,
                      "INSERT INTO field_keys(key_id, fingerprint, added_at) VALUES (?1, ?2, ?3) "
                      "ON CONFLICT(key_id) DO UPDATE SET retired_at = NULL "
                      "WHERE field_keys.retired_at IS NOT NULL",
                      p, 3, NULL);
}

int ol_sens_seal_data(ol_conn_t *conn, const ol_record_type_t *t, const char *number,
                      json_t *data)
{
    int noted = 0;
    for (size_t i = 0; i < t->nfields; i++) {
        const ol_field_t *f = &t->fields[i];
        json_t *v = json_object_get(data, f->name);
        if (!ol_sens_field(f) || !json_string_value(v) || !json_string_length(v) ||
            ol_fcrypt_is_sealed(json_string_value(v)))
            continue;
        json_t *sealed = ol_sens_stored(f, number, v);
        if (!sealed)
            return -OL_EUNAVAILABLE;
        if (!noted) {
            int rc = ol_sens_note_key(conn, json_string_value(sealed));
            if (rc) {
                json_decref(sealed);
                return rc;
            }
            noted = 1;
        }
        json_object_set_new(data, f->name, sealed);
    }
    return 0;
}

void ol_sens_open_record(const ol_record_type_t *t, json_t *rec)
{
    const char *number = json_string_value(json_object_get(rec, "number"));
    for (size_t i = 0; i < t->nfields; i++) {
        const ol_field_t *f = &t->fields[i];
        const char *s = json_string_value(json_object_get(rec, f->name));
        char *plain;
        if (!ol_sens_field(f) || !s || ol_sens_open(number, f->name, s, &plain))
            continue;
        json_object_set_new(rec, f->name, json_string(plain));
        free_plain(plain);
    }
}

json_t *ol_sens_mask_value(const ol_field_t *f, const json_t *plain)
{
    const char *s = json_string_value(plain);
    if (!s || !*s)
        return json_incref((json_t *)plain);
    if (ol_fcrypt_is_sealed(s)) /* did not open: show nothing of it */
        return json_string("****");
    char *m = ol_mask(f->mask, s);
    json_t *out = json_string(m);
    free(m);
    return out;
}

void ol_sens_mask_record(const ol_record_type_t *t, json_t *rec, const char *const *keep)
{
    for (size_t i = 0; i < t->nfields; i++) {
        const ol_field_t *f = &t->fields[i];
        int kept = 0;
        for (const char *const *k = keep; k && *k; k++)
            kept |= !strcmp(*k, f->name);
        json_t *v = json_object_get(rec, f->name);
        if (ol_sens_field(f) && v && !kept)
            json_object_set_new(rec, f->name, ol_sens_mask_value(f, v));
    }
}

json_t *ol_sens_mask_stored(const ol_field_t *f, const char *number, const json_t *stored)
{
    const char *s = json_string_value(stored);
    char *plain;
    if (!s || ol_sens_open(number, f->name, s, &plain))
        return ol_sens_mask_value(f, stored);
    json_t *p = json_string(plain);
    free_plain(plain);
    json_t *out = ol_sens_mask_value(f, p);
    json_decref(p);
    return out;
}
