/* core/json.c - bounded JSON parsing and serialisation over jansson. */
#include "core/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/mem.h"

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

int ol_utf8_valid(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        unsigned c = *p, cp, n;
        if (c < 0x80) {
            p++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF)
            n = 1, cp = c & 0x1F;
        else if (c >= 0xE0 && c <= 0xEF)
            n = 2, cp = c & 0x0F;
        else if (c >= 0xF0 && c <= 0xF4)
            n = 3, cp = c & 0x07;
        else
            return 0;
        for (unsigned k = 1; k <= n; k++) {
            if ((p[k] & 0xC0) != 0x80) /* also stops at the terminating NUL */
                return 0;
            cp = cp << 6 | (p[k] & 0x3F);
        }
        if ((n == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
            (n == 3 && (cp < 0x10000 || cp > 0x10FFFF)))
            return 0;
        p += n + 1;
    }
    return 1;
}

void ol_csv_cell(ol_buf_t *b, const json_t *v)
{
    char *text = NULL;
    const char *s = "";
    if (json_is_string(v))
        s = json_string_value(v);
    else if (v && !json_is_null(v))
        s = text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(15));
    int quote = strpbrk(s, ",\"\r\n") != NULL, formula = strchr("=+-@", *s) && *s;
    if (quote || formula)
        ol_buf_append(b, "\"", 1);
    if (formula)
        ol_buf_append(b, "'", 1);
    for (const char *p = s; *p; p++) {
        if (*p == '"')
            ol_buf_append(b, "\"", 1);
        ol_buf_append(b, p, 1);
    }
    if (quote || formula)
        ol_buf_append(b, "\"", 1);
    free(text);
}

void ol_buf_json_string(ol_buf_t *b, const char *s)
{
    if (!s) {
        ol_buf_append(b, "null", 4);
        return;
    }
    int valid = -1; /* checked at the first byte above ASCII */
    ol_buf_append(b, "\"", 1);
    const char *run = s;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p >= 0x80 && valid < 0)
            valid = ol_utf8_valid(s);
        if (*p >= 0x20 && *p != '"' && *p != '\\' && (*p < 0x80 || valid))
            continue;
        ol_buf_append(b, run, (size_t)((const char *)p - run));
        run = (const char *)p + 1;
        static const char short_esc[] = "\"\"\\\\\nn\rr\tt\bb\ff"; /* byte, its escape letter */
        const char *e = strchr(short_esc, (char)*p);
        char esc[8];
        if (*p && e && !((e - short_esc) & 1))
            snprintf(esc, sizeof esc, "\\%c", e[1]);
        else if (*p < 0x20)
            snprintf(esc, sizeof esc, "\\u%04X", *p);
        else
            snprintf(esc, sizeof esc, "\\ufffd");
        ol_buf_puts(b, esc);
    }
    ol_buf_append(b, run, strlen(run));
    ol_buf_append(b, "\"", 1);
}
