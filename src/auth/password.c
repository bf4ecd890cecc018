/* auth/password.c - S1: the composition rules of a new password (length, classes, runs, common
 * words, personal data). Every number is a policy from the configuration. */
#include "auth/password.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"
#include "core/config.h"
#include "records/schema.h"

#define MAX_BYTES 1024

/* Keyboard rows: four neighbouring keys ("qwer", "asdf", "7890") count as a sequence. */
static const char *const rows[] = {"1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm"};

/* 1 when b follows a in direction dir (+1/-1) on the alphabet, the digits or a keyboard row. */
static int follows(char a, char b, int dir)
{
    if ((isalpha((unsigned char)a) && isalpha((unsigned char)b)) ||
        (isdigit((unsigned char)a) && isdigit((unsigned char)b)))
        if (b - a == dir)
            return 1;
    for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++) {
        const char *pa = strchr(rows[r], a), *pb = strchr(rows[r], b);
        if (a && b && pa && pb && pb - pa == dir)
            return 1;
    }
    return 0;
}

/* The longest run of one repeated character, and of sequential characters, case-insensitive. */
static void longest_runs(const char *lower, int *repeat, int *sequence)
{
    *repeat = *sequence = lower[0] ? 1 : 0;
    int rep = 1, up = 1, down = 1;
    for (size_t i = 1; lower[i]; i++) {
        rep = lower[i] == lower[i - 1] ? rep + 1 : 1;
        up = follows(lower[i - 1], lower[i], 1) ? up + 1 : 1;
        down = follows(lower[i - 1], lower[i], -1) ? down + 1 : 1;
        if (rep > *repeat)
            *repeat = rep;
        if (up > *sequence)
            *sequence = up;
        if (down > *sequence)
            *sequence = down;
    }
}

static int cmp_word(const void *key, const void *elem)
{
    return strcmp(key, *(const char *const *)elem);
}

static int listed(const char *w)
{
    return *w && bsearch(w, ol_common_words, ol_common_words_count, sizeof ol_common_words[0],
                         cmp_word) != NULL;
}

/* Undoes leetspeak (p@ssw0rd, 4dm1n) and drops what is not a letter; one = what '1' means. */
static void unleet(const char *in, char one, char *out)
{
    static const char from[] = "0134578@$!9", to[] = "oieastbasig";
    for (; *in; in++) {
        const char *f = strchr(from, *in);
        char ch = *in == '1' ? one : f ? to[f - from] : *in;
        if (isalpha((unsigned char)ch))
            *out++ = ch;
    }
    *out = 0;
}

int ol_password_is_common(const char *pw)
{
    char lower[MAX_BYTES + 1], core[MAX_BYTES + 1], norm[MAX_BYTES + 1];
    size_t n = strlen(pw);
    if (n > MAX_BYTES)
        return 0;
    for (size_t i = 0; i <= n; i++)
        lower[i] = (char)tolower((unsigned char)pw[i]);
    /* "Password123!" is "password" with decoration at its ends. */
    size_t a = 0, b = n;
    while (a < b && !isalpha((unsigned char)lower[a]))
        a++;
    while (b > a && !isalpha((unsigned char)lower[b - 1]))
        b--;
    memcpy(core, lower + a, b - a);
    core[b - a] = 0;
    if (listed(lower) || listed(core))
        return 1;
    const char *forms[] = {lower, core};
    for (int f = 0; f < 2; f++)
        for (const char *one = "il"; *one; one++) {
            unleet(forms[f], *one, norm);
            if (listed(norm))
                return 1;
        }
    return 0;
}

/* Case-insensitive: does pw contain s (at least min bytes long)? */
static int contains(const char *pw, const char *s, size_t len, size_t min)
{
    if (len < min)
        return 0;
    for (const char *p = pw; *p; p++)
        if (strncasecmp(p, s, len) == 0)
            return 1;
    return 0;
}

/* The display name whole, or any part of it (split at spaces and punctuation) of >= 3 bytes. */
static int contains_name(const char *pw, const char *name)
{
    if (!name)
        return 0;
    if (contains(pw, name, strlen(name), 3))
        return 1;
    const char *p = name;
    while (*p) {
        size_t len = 0;
        while (p[len] && (isalnum((unsigned char)p[len]) || (unsigned char)p[len] >= 0x80))
            len++;
        if (contains(pw, p, len, 3))
            return 1;
        p += len ? len : 1;
    }
    return 0;
}

/* The phone number in the password's digits: its last 8 digits (the subscriber number, so that
 * "13800138000" matches "+86 138-0013-8000"), or all of them when shorter (at least 5). */
static int contains_phone(const char *pw, const char *phone)
{
    char want[64], have[MAX_BYTES + 1];
    size_t w = 0, h = 0;
    for (; phone && *phone && w < sizeof want - 1; phone++)
        if (isdigit((unsigned char)*phone))
            want[w++] = *phone;
    want[w] = 0;
    for (; *pw; pw++)
        if (isdigit((unsigned char)*pw))
            have[h++] = *pw;
    have[h] = 0;
    return w >= 5 && strstr(have, want + (w > 8 ? w - 8 : 0)) != NULL;
}

const char *ol_password_rule(const char *pw, const ol_pw_subject_t *s, char *arg, size_t arglen)
{
    const ol_config_t *cfg = ol_config();
    size_t len = strlen(pw);
    int need = s->privileged ? ol_auth_policy.min_length_privileged : ol_auth_policy.min_length;
    long classes = ol_config_int(cfg->password_min_classes);
    long max_run = ol_config_int(cfg->password_max_run);
    arg[0] = 0;
    if (len > MAX_BYTES) {
        snprintf(arg, arglen, "%d", MAX_BYTES);
        return "pw_too_long";
    }
    if ((int)len < need) {
        snprintf(arg, arglen, "%d", need);
        return s->privileged ? "pw_length_privileged" : "pw_length";
    }
    int up = 0, lo = 0, di = 0, sp = 0;
    char lower[MAX_BYTES + 1];
    for (size_t i = 0; i <= len; i++) {
        unsigned char ch = (unsigned char)pw[i];
        if (!ch)
            break;
        up |= isupper(ch) != 0;
        lo |= islower(ch) != 0;
        di |= isdigit(ch) != 0;
        sp |= !isalnum(ch);
    }
    for (size_t i = 0; i <= len; i++)
        lower[i] = (char)tolower((unsigned char)pw[i]);
    if (up + lo + di + sp < classes) {
        snprintf(arg, arglen, "%ld", classes);
        return "pw_classes";
    }
    int repeat, sequence;
    longest_runs(lower, &repeat, &sequence);
    snprintf(arg, arglen, "%ld", max_run);
    if (repeat > max_run)
        return "pw_repeat";
    if (sequence > max_run)
        return "pw_sequence";
    arg[0] = 0;
    if (ol_password_is_common(pw))
        return "pw_common";
    if (s->username && contains(pw, s->username, strlen(s->username), 3))
        return "pw_username";
    if (contains_name(pw, s->display_name))
        return "pw_name";
    if (contains_phone(pw, s->phone))
        return "pw_phone";
    return NULL;
}

int ol_password_check(const char *pw, const ol_pw_subject_t *s, const char *field,
                      const char *lang, json_t *errors)
{
    char arg[32];
    const char *code = pw ? ol_password_rule(pw, s, arg, sizeof arg) : "required";
    if (!code)
        return 0;
    ol_schema_add_error(errors, field, code, lang, arg);
    return 1;
}
