/* records/schema.c - the registry of declared record types and validation against them. */
#include "records/schema.h"
#include "records/duty.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/fieldcrypt.h"
#include "core/json.h"
#include "records/mask.h"

#define MAX_TYPES 64
static const ol_record_type_t *types[MAX_TYPES];
static size_t ntypes;

/* Names the engine owns: a declaration may not reuse them for its own fields. */
static const char *const reserved[] = {"number", "type", "state", "version", "created_at",
                                       "updated_at", "state_changed_at", "created_by",
                                       "updated_by", "id", NULL};

static const struct {
    const char *field, *column;
} columns[] = {{"title", "title"}, {"priority", "priority"}, {"owner", "owner"}, {"group", "grp"}};

const char *ol_schema_column(const char *field)
{
    for (size_t i = 0; i < sizeof columns / sizeof columns[0]; i++)
        if (strcmp(columns[i].field, field) == 0)
            return columns[i].column;
    return NULL;
}

static int in_list(const char *const *list, const char *s)
{
    for (; list && *list; list++)
        if (strcmp(*list, s) == 0)
            return 1;
    return 0;
}

int ol_roles_allow(const char *const *allowed, const char *const *held)
{
    if (in_list(held, "admin"))
        return 1;
    for (; allowed && *allowed; allowed++)
        if (strcmp(*allowed, "*") == 0 || in_list(held, *allowed))
            return 1;
    return 0;
}

static int valid_ident(const char *s)
{
    if (!s || !*s || strlen(s) > 40)
        return 0;
    for (; *s; s++)
        if (!(islower((unsigned char)*s) || isdigit((unsigned char)*s) || *s == '_'))
            return 0;
    return 1;
}

int ol_schema_register(const ol_record_type_t *t, char *err, size_t errlen)
{
#define FAIL(...) do { snprintf(err, errlen, __VA_ARGS__); return -OL_EINVAL; } while (0)
    if (!valid_ident(t->name) || !t->path || !*t->path)
        FAIL("record type needs a lowercase name and a path");
    if (!t->prefix || strlen(t->prefix) < 2 || strlen(t->prefix) > 8)
        FAIL("%s: prefix must have 2 to 8 characters", t->name);
    if (ntypes == MAX_TYPES)
        FAIL("too many record types");
    for (size_t i = 0; i < ntypes; i++)
        if (!strcmp(types[i]->name, t->name) || !strcmp(types[i]->path, t->path) ||
            !strcmp(types[i]->prefix, t->prefix))
            FAIL("%s: name, path or prefix already used by %s", t->name, types[i]->name);
    if (!t->states || !t->states[0])
        FAIL("%s: no states", t->name);
    if (!ol_schema_field(t, "title"))
        FAIL("%s: every record type declares a title field", t->name);
    for (size_t i = 0; i < t->nfields; i++) {
        const ol_field_t *f = &t->fields[i];
        if (!valid_ident(f->name) && strcmp(f->name, "group") != 0)
            FAIL("%s: bad field name '%s'", t->name, f->name ? f->name : "");
        if (in_list(reserved, f->name))
            FAIL("%s: field '%s' is reserved by the engine", t->name, f->name);
        if (f->type == OL_F_ENUM && (!f->values || !f->values[0]))
            FAIL("%s.%s: enum without values", t->name, f->name);
        for (size_t k = 0; k < i; k++)
            if (!strcmp(t->fields[k].name, f->name))
                FAIL("%s: field '%s' declared twice", t->name, f->name);
        /* S7: a sensitive value is never indexed, filtered or sorted on (that would put it, or
         * its order, in the database in clear), and only strings can be sealed. */
        if ((f->flags & OL_FIELD_SENSITIVE) &&
            ((f->flags & (OL_FIELD_SEARCHABLE | OL_FIELD_FILTERABLE | OL_FIELD_SORTABLE)) ||
             (f->type != OL_F_STRING && f->type != OL_F_TEXT) || ol_schema_column(f->name) ||
             f->default_json))
            FAIL("%s.%s: a sensitive field must be a string field of the record's own, without "
                 "searchable, filterable, sortable or a default", t->name, f->name);
        if (f->default_json) {
            json_t *v = json_loads(f->default_json, JSON_DECODE_ANY, NULL);
            if (!v)
                FAIL("%s.%s: default is not JSON", t->name, f->name);
            json_decref(v);
        }
    }
    for (size_t i = 0; i < t->ntransitions; i++) {
        const ol_transition_t *tr = &t->transitions[i];
        if (!valid_ident(tr->name) || !ol_schema_state_valid(t, tr->to))
            FAIL("%s: transition '%s' is badly declared", t->name, tr->name ? tr->name : "");
        for (const char *const *s = tr->from; s && *s; s++)
            if (!ol_schema_state_valid(t, *s))
                FAIL("%s.%s: unknown from-state '%s'", t->name, tr->name, *s);
        for (const char *const *s = tr->requires; s && *s; s++)
            if (!ol_schema_field(t, *s))
                FAIL("%s.%s: requires unknown field '%s'", t->name, tr->name, *s);
        if (ol_duty_validate(t, tr, err, errlen))
            return -OL_EINVAL;
    }
    types[ntypes++] = t;
    return 0;
#undef FAIL
}

const ol_record_type_t *ol_schema_by_path(const char *path)
{
    for (size_t i = 0; i < ntypes; i++)
        if (!strcmp(types[i]->path, path))
            return types[i];
    return NULL;
}

const ol_record_type_t *ol_schema_by_name(const char *name)
{
    for (size_t i = 0; i < ntypes; i++)
        if (!strcmp(types[i]->name, name))
            return types[i];
    return NULL;
}

size_t ol_schema_count(void) { return ntypes; }
const ol_record_type_t *ol_schema_at(size_t i) { return i < ntypes ? types[i] : NULL; }

const ol_field_t *ol_schema_field(const ol_record_type_t *t, const char *name)
{
    for (size_t i = 0; i < t->nfields; i++)
        if (!strcmp(t->fields[i].name, name))
            return &t->fields[i];
    return NULL;
}

const ol_transition_t *ol_schema_transition(const ol_record_type_t *t, const char *name)
{
    for (size_t i = 0; i < t->ntransitions; i++)
        if (!strcmp(t->transitions[i].name, name))
            return &t->transitions[i];
    return NULL;
}

int ol_schema_state_valid(const ol_record_type_t *t, const char *state)
{
    return state && in_list(t->states, state);
}

/* ---- validation ------------------------------------------------------------------------------ */

/* Engine defaults where a declaration says 0,0. */
static long long max_chars(const ol_field_t *f)
{
    if (f->max)
        return f->max;
    return f->type == OL_F_TEXT ? 100000 : f->type == OL_F_TAGS ? 50 : 255;
}

static int has_control(const char *s, int multiline)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c < 0x20 && !(multiline && (c == '\n' || c == '\r' || c == '\t')))
            return 1;
        if (c == 0x7f)
            return 1;
    }
    return 0;
}

static int valid_datetime(const char *s)
{
    /* YYYY-MM-DDTHH:MM:SS(.fff)Z */
    int y, mo, d, h, mi, se, n = 0;
    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &se, &n) != 6 || n != 19)
        return 0;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
        return 0;
    const char *p = s + 19;
    if (*p == '.') {
        p++;
        int digits = 0;
        while (isdigit((unsigned char)*p) && digits < 9)
            p++, digits++;
        if (!digits)
            return 0;
    }
    return p[0] == 'Z' && p[1] == 0;
}

static int valid_username(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 64)
        return 0;
    for (; *s; s++)
        if (!(isalnum((unsigned char)*s) || *s == '.' || *s == '_' || *s == '-' || *s == '@'))
            return 0;
    return 1;
}

static void check_string(const ol_field_t *f, const char *s, const char *lang, json_t *errors)
{
    char num[32];
    size_t n = ol_utf8_len(s);
    if (has_control(s, f->type == OL_F_TEXT)) {
        ol_schema_add_error(errors, f->name, "control", lang, NULL);
    } else if ((long long)n > max_chars(f)) {
        snprintf(num, sizeof num, "%lld", max_chars(f));
        ol_schema_add_error(errors, f->name, "too_long", lang, num);
    } else if (f->min && (long long)n < f->min) {
        snprintf(num, sizeof num, "%lld", f->min);
        ol_schema_add_error(errors, f->name, "too_short", lang, num);
    }
}

/* S7: a sensitive value's format for its kind. On update, a mask echoed back is accepted here
 * and compared with the stored value by the store (unchanged, or refused). */
static void check_sensitive(const ol_field_t *f, const char *s, int creating, const char *lang,
                            json_t *errors)
{
    const char *code;
    if (!strncmp(s, OL_FCRYPT_PREFIX, strlen(OL_FCRYPT_PREFIX)))
        ol_schema_add_error(errors, f->name, "sealed_form", lang, NULL);
    else if (*s && !(ol_mask_is_masked(s) && !creating) && (code = ol_mask_check(f->mask, s)))
        ol_schema_add_error(errors, f->name, code, lang, NULL);
}

static void check_value(const ol_field_t *f, const json_t *v, int creating, const char *lang,
                        json_t *errors)
{
    char num[32];
    if (json_is_null(v)) {
        if (f->flags & OL_FIELD_REQUIRED)
            ol_schema_add_error(errors, f->name, "required", lang, NULL);
        return;
    }
    switch (f->type) {
    case OL_F_STRING:
    case OL_F_TEXT:
        if (!json_is_string(v)) {
            ol_schema_add_error(errors, f->name, "type_string", lang, NULL);
        } else {
            size_t before = json_array_size(errors);
            check_string(f, json_string_value(v), lang, errors);
            if ((f->flags & OL_FIELD_SENSITIVE) && json_array_size(errors) == before)
                check_sensitive(f, json_string_value(v), creating, lang, errors);
        }
        break;
    case OL_F_INT:
        if (!json_is_integer(v)) {
            ol_schema_add_error(errors, f->name, "type_int", lang, NULL);
        } else if ((f->min || f->max) && json_integer_value(v) < f->min) {
            snprintf(num, sizeof num, "%lld", f->min);
            ol_schema_add_error(errors, f->name, "too_small", lang, num);
        } else if ((f->min || f->max) && json_integer_value(v) > f->max) {
            snprintf(num, sizeof num, "%lld", f->max);
            ol_schema_add_error(errors, f->name, "too_large", lang, num);
        }
        break;
    case OL_F_BOOL:
        if (!json_is_boolean(v))
            ol_schema_add_error(errors, f->name, "type_bool", lang, NULL);
        break;
    case OL_F_ENUM: {
        if (!json_is_string(v) || !in_list(f->values, json_string_value(v))) {
            char list[512] = "";
            size_t used = 0;
            for (const char *const *e = f->values; *e && used < sizeof list - 64; e++)
                used += (size_t)snprintf(list + used, sizeof list - used, "%s%s",
                                         e == f->values ? "" : ", ", *e);
            ol_schema_add_error(errors, f->name, "enum", lang, list);
        }
        break;
    }
    case OL_F_DATETIME:
        if (!json_is_string(v) || !valid_datetime(json_string_value(v)))
            ol_schema_add_error(errors, f->name, "datetime", lang, NULL);
        break;
    case OL_F_USER:
        if (!json_is_string(v) || !valid_username(json_string_value(v)))
            ol_schema_add_error(errors, f->name, "username", lang, NULL);
        break;
    case OL_F_TAGS: {
        size_t i;
        const json_t *item;
        long long most = f->max ? f->max : 20;
        if (!json_is_array(v)) {
            ol_schema_add_error(errors, f->name, "type_tags", lang, NULL);
            break;
        }
        if ((long long)json_array_size(v) > most) {
            snprintf(num, sizeof num, "%lld", most);
            ol_schema_add_error(errors, f->name, "too_many", lang, num);
            break;
        }
        json_array_foreach(v, i, item) {
            const char *s = json_string_value(item);
            if (!s || !*s || has_control(s, 0) || ol_utf8_len(s) > 50) {
                ol_schema_add_error(errors, f->name, "type_tags", lang, NULL);
                break;
            }
        }
        break;
    }
    }
}

static int is_empty(const json_t *v)
{
    return !v || json_is_null(v) || (json_is_string(v) && json_string_length(v) == 0) ||
           (json_is_array(v) && json_array_size(v) == 0);
}

int ol_input_check_keys(const json_t *input, const char *const *allowed, const char *lang,
                        json_t *errors)
{
    size_t before = json_array_size(errors);
    const char *key;
    const json_t *v;
    if (!json_is_object(input)) {
        ol_schema_add_error(errors, "", "not_object", lang, NULL);
        return 1;
    }
    json_object_foreach((json_t *)input, key, v) {
        if (!in_list(allowed, key))
            ol_schema_add_error(errors, key, "unknown", lang, NULL);
    }
    return (int)(json_array_size(errors) - before);
}

int ol_schema_validate(const ol_record_type_t *t, const json_t *input, int creating,
                       const char *lang, json_t *errors)
{
    size_t before = json_array_size(errors);
    const char *key;
    const json_t *v;
    if (!json_is_object(input)) {
        ol_schema_add_error(errors, "", "not_object", lang, NULL);
        return 1;
    }
    json_object_foreach((json_t *)input, key, v) {
        const ol_field_t *f = ol_schema_field(t, key);
        if (!f) {
            ol_schema_add_error(errors, key, in_list(reserved, key) ? "readonly" : "unknown",
                                lang, NULL);
            continue;
        }
        if (f->flags & OL_FIELD_READONLY) {
            ol_schema_add_error(errors, key, "readonly", lang, NULL);
            continue;
        }
        check_value(f, v, creating, lang, errors);
    }
    if (creating) {
        for (size_t i = 0; i < t->nfields; i++) {
            const ol_field_t *f = &t->fields[i];
            if ((f->flags & OL_FIELD_REQUIRED) && !f->default_json &&
                is_empty(json_object_get(input, f->name)) &&
                !json_is_null(json_object_get(input, f->name)))
                ol_schema_add_error(errors, f->name, "required", lang, NULL);
        }
    }
    return (int)(json_array_size(errors) - before);
}

void ol_schema_apply_defaults(const ol_record_type_t *t, json_t *rec)
{
    for (size_t i = 0; i < t->nfields; i++) {
        const ol_field_t *f = &t->fields[i];
        if (f->default_json && !json_object_get(rec, f->name))
            json_object_set_new(rec, f->name, json_loads(f->default_json, JSON_DECODE_ANY, NULL));
    }
}

int ol_schema_check_required(const ol_record_type_t *t, const json_t *rec,
                             const char *const *extra, const char *lang, json_t *errors)
{
    int n = 0;
    for (size_t i = 0; i < t->nfields; i++) {
        const ol_field_t *f = &t->fields[i];
        if (((f->flags & OL_FIELD_REQUIRED) || in_list(extra, f->name)) &&
            is_empty(json_object_get(rec, f->name))) {
            ol_schema_add_error(errors, f->name, "required", lang, NULL);
            n++;
        }
    }
    return n;
}
