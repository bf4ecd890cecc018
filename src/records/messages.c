/* records/messages.c - the catalogue of user-facing messages in en and zh-CN. */
#include <stdio.h>
#include <string.h>

#include "records/schema.h"

typedef struct {
    const char *code, *en, *zh;
} msg_t;

/* Each message has at most one %s. */
static const msg_t catalogue[] = {
    {"required", "is required", "为必填项"},
    {"unknown", "is not a field of this record type", "不是该记录类型的字段"},
    {"readonly", "is read-only", "为只读字段"},
    {"type_string", "must be a string", "必须是字符串"},
    {"type_int", "must be an integer", "必须是整数"},
    {"type_bool", "must be true or false", "必须是 true 或 false"},
    {"type_tags", "must be an array of strings", "必须是字符串数组"},
    {"too_long", "must be at most %s characters", "不能超过 %s 个字符"},
    {"too_short", "must be at least %s characters", "不能少于 %s 个字符"},
    {"too_small", "must be at least %s", "不能小于 %s"},
    {"too_large", "must be at most %s", "不能大于 %s"},
    {"too_many", "must have at most %s items", "最多 %s 项"},
    {"enum", "must be one of: %s", "必须是以下之一:%s"},
    {"datetime", "must be a UTC time like 2026-11-22T10:00:00Z", "必须是 UTC 时间,例如 2026-11-22T10:00:00Z"},
    {"username", "must be a username (letters, digits, . _ -)", "必须是用户名(字母、数字、. _ -)"},
    {"control", "must not contain control characters", "不能包含控制字符"},
    {"reason_required", "a reason is required for this transition", "此状态转换必须填写原因"},
    {"bad_filter", "%s", "%s"},
    {"not_object", "the body must be a JSON object", "请求体必须是 JSON 对象"},
    /* ---- S1 passwords, S2 lockout, S4 accounts ---- */
    {"pw_too_long", "must be at most %s bytes", "不能超过 %s 字节"},
    {"pw_length", "must be at least %s characters long", "长度不能少于 %s 个字符"},
    {"pw_length_privileged", "must be at least %s characters long for an account with a privileged role",
     "特权角色账号的密码长度不能少于 %s 个字符"},
    {"pw_classes", "must mix at least %s of: upper-case letters, lower-case letters, digits, special characters",
     "必须包含大写字母、小写字母、数字、特殊字符中的至少 %s 类"},
    {"pw_repeat", "must not repeat a character more than %s times in a row (like aaaa)",
     "同一字符不能连续出现超过 %s 次(如 aaaa)"},
    {"pw_sequence", "must not contain more than %s sequential characters (like abcd, 4321, qwer)",
     "不能包含超过 %s 个连续字符(如 abcd、4321、qwer)"},
    {"pw_common", "is a common password or word that is easy to guess",
     "是常见密码或常用词,容易被猜到"},
    {"pw_username", "must not contain the user name", "不能包含用户名"},
    {"pw_name", "must not contain the display name or a part of it", "不能包含姓名或其一部分"},
    {"pw_phone", "must not contain the phone number", "不能包含手机号码"},
    {"pw_history", "must differ from the last %s passwords", "不能与最近 %s 次使用过的密码相同"},
    {"pw_old_wrong", "is not the current password", "与当前密码不符"},
    {"user_kind", "must be regular, temporary or contractor", "必须是 regular、temporary 或 contractor"},
    {"expires_future", "must be in the future", "必须是将来的时间"},
    {"expires_max", "must be at most %s days ahead", "不能晚于 %s 天之后"},
    {"email", "must be an e-mail address like name@example.com", "必须是电子邮件地址,如 name@example.com"},
    {"phone", "must be a phone number (digits, spaces, + - and parentheses)", "必须是电话号码(数字、空格、+ - 和括号)"},
};

const char *ol_msg(const char *code, const char *lang, const char *arg, char *buf, size_t len)
{
    int zh = lang && strncmp(lang, "zh", 2) == 0;
    for (size_t i = 0; i < sizeof catalogue / sizeof catalogue[0]; i++) {
        if (strcmp(catalogue[i].code, code) == 0) {
            const char *fmt = zh ? catalogue[i].zh : catalogue[i].en;
            /* fmt comes from the compiled-in catalogue above, with at most one %s. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
            if (strstr(fmt, "%s"))
                snprintf(buf, len, fmt, arg ? arg : "");
            else
                snprintf(buf, len, "%s", fmt);
#pragma GCC diagnostic pop
            return buf;
        }
    }
    snprintf(buf, len, "%s", code);
    return buf;
}

void ol_schema_add_error(json_t *errors, const char *field, const char *code, const char *lang,
                         const char *arg)
{
    char msg[512];
    json_t *e = json_object();
    json_object_set_new(e, "field", json_string(field));
    json_object_set_new(e, "code", json_string(code));
    json_object_set_new(e, "message", json_string(ol_msg(code, lang, arg, msg, sizeof msg)));
    json_array_append_new(errors, e);
}

const char *ol_lang_pick(const char *al)
{
    if (!al)
        return "en";
    /* The first listed language wins; q-values are rarely needed between these two. */
    while (*al == ' ')
        al++;
    return strncmp(al, "zh", 2) == 0 ? "zh-CN" : "en";
}
