/* core/json.h - bounded JSON parsing and serialisation over jansson. */
#ifndef OL_JSON_H
#define OL_JSON_H
#include <jansson.h>
#include <stddef.h>

#include "core/mem.h"

/* Parses text of len bytes, refusing nesting deeper than max_depth before jansson sees it.
 * Returns 0 and a new reference in *out, or -OL_EINVAL with a message in err. */
int ol_json_parse(const char *text, size_t len, int max_depth, json_t **out, char *err,
                  size_t errlen);

/* A record's string member (NULL when absent or not a string) and whether a member is true:
 * what the modules' rules read most. */
static inline const char *ol_json_str(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}
static inline int ol_json_true(const json_t *obj, const char *key)
{
    return json_is_true(json_object_get(obj, key));
}

/* Compact UTF-8 serialisation; caller frees with free(). */
char *ol_json_dump(const json_t *v);

/* Counts the nesting depth of a JSON text without parsing it (strings are skipped). */
int ol_json_depth(const char *text, size_t len);

/* Length of a UTF-8 string in code points (field limits are in characters, not bytes). */
size_t ol_utf8_len(const char *s);
/* 1 when s is well-formed UTF-8 (no overlong forms, surrogates or code points above
 * U+10FFFF), as JSON strings and database text must be; 0 otherwise. */
int ol_utf8_valid(const char *s);

/* Appends v as one RFC 4180 CSV cell (strings as they are, other values as compact JSON, null
 * empty), quoted when needed; a cell a spreadsheet would run as a formula (= + - @ first) is
 * prefixed with ' (CSV injection). */
void ol_csv_cell(ol_buf_t *b, const json_t *v);

/* Appends s as a JSON string (quoted and escaped as jansson's compact dump does; NULL as null),
 * for answers too large to build as jansson values first; bytes of malformed UTF-8 are written
 * as U+FFFD. */
void ol_buf_json_string(ol_buf_t *b, const char *s);

#endif
