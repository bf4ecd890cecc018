/* tests/unit/test_password.c - S1: every composition rule of a new password, accepted and refused,
 * with the documents' defaults and with other policies; the built-in common-word list is sorted
 * (bsearch needs it); a refusal names its rule in en and zh-CN. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "auth/auth.h"
#include "auth/password.h"
#include "core/config.h"
#include "records/schema.h"

static ol_config_t cfg; /* ol_config() keeps pointing at it */

/* The defaults, plus "--key value" pairs (NULL-terminated). */
static void policy(const char *first, ...)
{
    char *argv[16] = {"opsledger"}, err[256];
    int argc = 1;
    va_list ap;
    va_start(ap, first);
    for (const char *a = first; a && argc < 14; a = va_arg(ap, const char *))
        argv[argc++] = (char *)a;
    va_end(ap);
    argv[argc] = NULL;
    assert_int_equal(ol_config_load(&cfg, &argc, argv, err, sizeof err), 0);
    assert_int_equal(ol_config_check(&cfg, err, sizeof err), 0);
    ol_auth_policy.min_length = (int)ol_config_int(cfg.password_min_length);
    ol_auth_policy.min_length_privileged = (int)ol_config_int(cfg.password_min_length_privileged);
}

/* The rule pw breaks for subject s (NULL = none), its argument in arg. */
static const char *rule(const char *pw, const ol_pw_subject_t *s, char *arg)
{
    static const ol_pw_subject_t nobody = {0};
    return ol_password_rule(pw, s ? s : &nobody, arg, 32);
}

static void assert_rule(const char *pw, const ol_pw_subject_t *s, const char *want,
                        const char *want_arg)
{
    char arg[32];
    const char *got = rule(pw, s, arg);
    if (!want) {
        if (got)
            fail_msg("'%s' refused by %s, expected to pass", pw, got);
        return;
    }
    if (!got || strcmp(got, want))
        fail_msg("'%s': expected %s, got %s", pw, want, got ? got : "a pass");
    if (want_arg)
        assert_string_equal(arg, want_arg);
}

static void pw_1_1_length_plain_and_privileged(void **state)
{
    (void)state;
    policy(NULL);
    ol_pw_subject_t admin = {.privileged = 1};
    assert_rule("Tq7#mVx", NULL, "pw_length", "8");          /* 7 */
    assert_rule("Tq7#mVx9", NULL, NULL, NULL);               /* 8 */
    assert_rule("Tq7#mVx9pL2", &admin, "pw_length_privileged", "12");
    assert_rule("Tq7#mVx9pL2w", &admin, NULL, NULL);
    policy("--password_min_length", "10", NULL);
    assert_rule("Tq7#mVx9p", NULL, "pw_length", "10");
    assert_rule("Tq7#mVx9pL", NULL, NULL, NULL);
}

static void pw_1_2_three_of_four_classes(void **state)
{
    (void)state;
    policy(NULL);
    assert_rule("kdjrmwpzht", NULL, "pw_classes", "3");  /* lower only */
    assert_rule("Kdjrmwpzht", NULL, "pw_classes", "3");  /* upper, lower */
    assert_rule("kdjrmw9zh!", NULL, NULL, NULL);         /* lower, digit, special */
    assert_rule("Kdjrmw9zht", NULL, NULL, NULL);         /* upper, lower, digit */
    assert_rule("KDJ#MW9ZHT", NULL, NULL, NULL);         /* upper, special, digit */
    policy("--password_min_classes", "4", NULL);
    assert_rule("Kdjrmw9zht", NULL, "pw_classes", "4");
    assert_rule("Kdjrm#9zht", NULL, NULL, NULL);
}

static void pw_1_3_repeated_and_sequential_runs(void **state)
{
    (void)state;
    policy(NULL);
    assert_rule("Kdjaaaa7t!", NULL, "pw_repeat", "3");
    assert_rule("KdjaAAa7t!", NULL, "pw_repeat", "3");  /* case-insensitive */
    assert_rule("Kdjaaa7tr!", NULL, NULL, NULL);        /* 3 is allowed */
    assert_rule("Kdjabcd7t!", NULL, "pw_sequence", "3");
    assert_rule("KdjDCBA7t!", NULL, "pw_sequence", "3");  /* backwards */
    assert_rule("Kd4321jt!x", NULL, "pw_sequence", "3");
    assert_rule("Kd6789jt!x", NULL, "pw_sequence", "3");
    assert_rule("Kdqwer7t!x", NULL, "pw_sequence", "3");  /* keyboard rows */
    assert_rule("K7!fdsaxzt", NULL, "pw_sequence", "3");
    assert_rule("Kd!abc7tmx", NULL, NULL, NULL);          /* 3 is allowed */
    assert_rule("Kd!qwe7tmx", NULL, NULL, NULL);
    policy("--password_max_run", "2", NULL);
    assert_rule("Kd!abc7tmx", NULL, "pw_sequence", "2");
    assert_rule("Kd!aa7tmxw", NULL, NULL, NULL);
    assert_rule("Kd!aaa7tmx", NULL, "pw_repeat", "2");
}

static void pw_1_4_common_words_leetspeak_and_pinyin(void **state)
{
    (void)state;
    policy(NULL);
    assert_rule("Password!", NULL, "pw_common", NULL);
    assert_rule("P@ssw0rd!", NULL, "pw_common", NULL);   /* leetspeak undone */
    assert_rule("P@55w0rd!", NULL, "pw_common", NULL);
    assert_rule("2024Admin#", NULL, "pw_common", NULL);  /* decoration at the ends */
    assert_rule("Letmein!7", NULL, "pw_common", NULL);
    assert_rule("Woaini1314!", NULL, "pw_common", NULL); /* pinyin */
    assert_rule("Zhangsan#88", NULL, "pw_common", NULL);
    assert_rule("Iloveyou!9", NULL, "pw_common", NULL);
    assert_rule("Pas5-Kw!rdz", NULL, NULL, NULL);
    assert_true(ol_password_is_common("QWERTY"));
    assert_true(ol_password_is_common("12345678"));
    assert_false(ol_password_is_common("Tq7#mVx9pL2w"));
}

static void pw_1_5_common_word_list_is_sorted_and_large(void **state)
{
    (void)state;
    assert_true(ol_common_words_count >= 300);
    for (size_t i = 1; i < ol_common_words_count; i++)
        if (strcmp(ol_common_words[i - 1], ol_common_words[i]) >= 0)
            fail_msg("common words out of order: '%s' before '%s'", ol_common_words[i - 1],
                     ol_common_words[i]);
    for (size_t i = 0; i < ol_common_words_count; i++) /* bsearch finds every entry */
        assert_true(ol_password_is_common(ol_common_words[i]));
}

static void pw_1_6_personal_data(void **state)
{
    (void)state;
    policy(NULL);
    ol_pw_subject_t s = {.username = "jsmith", .display_name = "Liu Dehua",
                         .phone = "+86 138-0013-8000"};
    assert_rule("Xx-JSmith-42", &s, "pw_username", NULL); /* case-insensitive */
    assert_rule("Kq-dehua-82!", &s, "pw_name", NULL);      /* a part of the name */
    assert_rule("Kq-LIU#82xw!", &s, "pw_name", NULL);
    assert_rule("Kq!13800138000", &s, "pw_phone", NULL);
    assert_rule("Kq-Li#82xw!", &s, NULL, NULL);            /* "li": parts under 3 letters */
    assert_rule("Kq!1380-x7w", &s, NULL, NULL);            /* not the whole number */
}

static void pw_1_7_refusal_in_both_languages(void **state)
{
    (void)state;
    policy(NULL);
    ol_pw_subject_t s = {.username = "jsmith"};
    json_t *errors = json_array();
    assert_int_equal(ol_password_check("Tq7#mVx", &s, "password", "en", errors), 1);
    assert_int_equal(ol_password_check("Tq7#mVx", &s, "password", "zh-CN", errors), 1);
    assert_int_equal(ol_password_check("Tq7#mVx9", &s, "password", "en", errors), 0);
    assert_int_equal(json_array_size(errors), 2);
    json_t *en = json_array_get(errors, 0), *zh = json_array_get(errors, 1);
    assert_string_equal(json_string_value(json_object_get(en, "field")), "password");
    assert_string_equal(json_string_value(json_object_get(en, "code")), "pw_length");
    assert_string_equal(json_string_value(json_object_get(en, "message")),
                        "must be at least 8 characters long");
    assert_string_equal(json_string_value(json_object_get(zh, "message")),
                        "长度不能少于 8 个字符");
    /* The old one-line API speaks the same rules. */
    assert_non_null(strstr(ol_password_problem("Passw0rd!", "x", 0), "common"));
    assert_null(ol_password_problem("Tq7#mVx9pL2w", "x", 1));
    json_decref(errors);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(pw_1_1_length_plain_and_privileged),
        cmocka_unit_test(pw_1_2_three_of_four_classes),
        cmocka_unit_test(pw_1_3_repeated_and_sequential_runs),
        cmocka_unit_test(pw_1_4_common_words_leetspeak_and_pinyin),
        cmocka_unit_test(pw_1_5_common_word_list_is_sorted_and_large),
        cmocka_unit_test(pw_1_6_personal_data),
        cmocka_unit_test(pw_1_7_refusal_in_both_languages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
