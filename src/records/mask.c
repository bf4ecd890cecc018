/* records/mask.c - S7 masking rules and loose format checks (rules in mask.h). */
#include "records/mask.h"

#include <string.h>

#include "core/json.h"
#include "core/mem.h"

/* Byte length of the UTF-8 character starting at s. */
static size_t char_len(const char *s)
{
    unsigned char c = (unsigned char)*s;
    size_t n = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    for (size_t i = 1; i < n; i++)
        if (!s[i])
            return i;
    return n;
}

/* Byte offset of the k-th character of s (k <= characters in s). */
static size_t char_offset(const char *s, size_t k)
{
    size_t off = 0;
    while (k-- && s[off])
        off += char_len(s + off);
    return off;
}

/* Keeps the first `head` and last `tail` characters, with one '*' per character between. */
static char *keep_ends(const char *s, size_t head, size_t tail, size_t min_chars)
{
    size_t n = ol_utf8_len(s);
    if (n < min_chars)
        return ol_xstrdup("****");
    size_t h = char_offset(s, head), t = char_offset(s, n - tail);
    ol_buf_t b;
    ol_buf_init(&b);
    ol_buf_append(&b, s, h);
    for (size_t i = head; i < n - tail; i++)
        ol_buf_puts(&b, "*");
    ol_buf_puts(&b, s + t);
    return ol_buf_steal(&b);
}

static char *bank_card(const char *s)
{
    char digits[64];
    size_t n = 0;
    for (; *s && n < sizeof digits - 1; s++)
        if (*s >= '0' && *s <= '9')
            digits[n++] = *s;
    if (n < 8)
        return ol_xstrdup("****");
    ol_buf_t b;
    ol_buf_init(&b);
    ol_buf_puts(&b, "**** **** **** ");
    ol_buf_append(&b, digits + n - 4, 4);
    return ol_buf_steal(&b);
}

char *ol_mask(ol_mask_t kind, const char *plain)
{
    switch (kind) {
    case OL_MASK_PHONE:
    case OL_MASK_ID_NUMBER:
        return keep_ends(plain, 3, 4, 8);
    case OL_MASK_BANK_CARD:
        return bank_card(plain);
    case OL_MASK_PLATE:
        return keep_ends(plain, 2, 2, 5);
    case OL_MASK_GENERIC:
        break;
    }
    return ol_xstrdup("****");
}

int ol_mask_is_masked(const char *value)
{
    return value && strchr(value, '*') != NULL;
}

/* ---- format checks ------------------------------------------------------------------------- */

static int is_digit(char c) { return c >= '0' && c <= '9'; }

/* Digits with optional '+' first and ' ', '-', '(', ')' between: 7 to 15 digits (E.164 is at
 * most 15; a Chinese mobile number has 11). */
static int phone_ok(const char *s)
{
    int digits = 0;
    if (*s == '+')
        s++;
    for (; *s; s++) {
        if (is_digit(*s))
            digits++;
        else if (!strchr(" -()", *s))
            return 0;
    }
    return digits >= 7 && digits <= 15;
}

/* Resident ID (GB 11643): 18 characters, 17 digits and a digit or X; or the old 15 digits. */
static int id_ok(const char *s)
{
    size_t n = strlen(s);
    if (n != 18 && n != 15)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!is_digit(s[i]) && !(i == 17 && (s[i] == 'X' || s[i] == 'x')))
            return 0;
    return 1;
}

/* 12 to 19 digits, spaces or '-' between groups allowed. */
static int card_ok(const char *s)
{
    int digits = 0;
    for (; *s; s++) {
        if (is_digit(*s))
            digits++;
        else if (*s != ' ' && *s != '-')
            return 0;
    }
    return digits >= 12 && digits <= 19;
}

/* Province abbreviations of mainland plates, and the special last characters. */
static const char *const provinces[] = {
    "京", "津", "沪", "渝", "冀", "豫", "云", "辽", "黑", "湘", "皖", "鲁", "新", "苏", "浙", "赣",
    "鄂", "桂", "甘", "晋", "蒙", "陕", "吉", "闽", "贵", "粤", "青", "藏", "川", "宁", "琼", "使",
    NULL};
static const char *const plate_suffixes[] = {"挂", "学", "警", "港", "澳", "领", "试", "超", NULL};

static int starts_with_any(const char *s, const char *const *list, size_t *len)
{
    for (; *list; list++)
        if (!strncmp(s, *list, strlen(*list))) {
            *len = strlen(*list);
            return 1;
        }
    return 0;
}

/* 京A12345 (7 characters) or 京AD12345 (new energy, 8): province, a capital letter, then 5 or
 * 6 capital letters and digits, of which the last may be one of 挂学警港澳领试超. */
static int plate_ok(const char *s)
{
    size_t len;
    if (!starts_with_any(s, provinces, &len))
        return 0;
    s += len;
    if (!(*s >= 'A' && *s <= 'Z'))
        return 0;
    s++;
    int rest = 0;
    for (; *s; rest++) {
        if ((*s >= 'A' && *s <= 'Z') || is_digit(*s)) {
            s++;
        } else if (starts_with_any(s, plate_suffixes, &len) && !s[len]) {
            s += len;
        } else {
            return 0;
        }
    }
    return rest == 5 || rest == 6;
}

const char *ol_mask_check(ol_mask_t kind, const char *value)
{
    switch (kind) {
    case OL_MASK_PHONE:
        return phone_ok(value) ? NULL : "phone";
    case OL_MASK_ID_NUMBER:
        return id_ok(value) ? NULL : "id_number";
    case OL_MASK_BANK_CARD:
        return card_ok(value) ? NULL : "bank_card";
    case OL_MASK_PLATE:
        return plate_ok(value) ? NULL : "plate";
    case OL_MASK_GENERIC:
        break;
    }
    return NULL;
}
