/* core/json.c - bounded JSON parsing and serialisation over jansson. */
#include "core/json.h"

#include <stdio.h>
#include <string.h>

#include "core/err.h"

int ol_json_depth(const char *text, size_t len)
{
    int depth = 0, max = 0, in_str = 0;
    for (size_t i = 0; i < len; i++) {
        char ch = text[i];
        if (in_str) {
            if (ch == '\\')
                i++;
            else if (ch == '"')
                in_str = 0;
            continue;
        }
        if (ch == '"')
            in_str = 1;
        else if (ch == '{' || ch == '[') {
            if (++depth > max)
                max = depth;
        } else if (ch == '}' || ch == ']')
            depth--;
    }
    return max;
}

int ol_json_parse(const char *text, size_t len, int max_depth, json_t **out, char *err,
                  size_t errlen)
{
    *out = NULL;
    int depth = ol_json_depth(text, len);
    if (depth > max_depth) {
        snprintf(err, errlen, "JSON nesting depth %d exceeds the limit of %d", depth, max_depth);
        return -OL_EINVAL;
    }
    json_error_t je;
    json_t *v = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (!v) {
        snprintf(err, errlen, "invalid JSON at line %d column %d: %s", je.line, je.column, je.text);
        return -OL_EINVAL;
    }
    *out = v;
    return 0;
}

char *ol_json_dump(const json_t *v)
{
    return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
}

size_t ol_utf8_len(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80)
            n++;
    return n;
}
