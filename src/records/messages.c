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
    {"type_object", "must be a JSON object", "必须是 JSON 对象"},
    {"no_such_channel", "there is no notification channel %s", "不存在通知渠道 %s"},
    {"no_such_group", "there is no group %s", "不存在组 %s"},
    {"event_pattern", "must be an event (sla.breach), a family (sla.*) or *",
     "必须是事件名(如 sla.breach)、事件族(如 sla.*)或 *"},
    {"type_array", "must be an array", "必须是数组"},
    {"unknown_type", "is not a record type", "不是记录类型"},
    {"views_full", "you keep %s views of this type already: remove one first",
     "该类型已保存 %s 个视图:请先删除一个"},
    {"not_object", "the body must be a JSON object", "请求体必须是 JSON 对象"},
    {"export_paging", "an export holds every matching record: no cursor or limit",
     "导出包含所有匹配的记录:不能使用 cursor 或 limit"},
    {"export_too_many", "more than %s records match: narrow the filters",
     "匹配的记录超过 %s 条:请缩小筛选范围"},
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
    /* ---- P7 notifications ---- */
    {"channel_name", "must be 1 to 64 characters of a-z, 0-9, '.', '_' and '-'",
     "必须是 1 到 64 个字符,只能包含 a-z、0-9、'.'、'_' 和 '-'"},
    {"webhook_url", "must be an http:// or https:// URL", "必须是 http:// 或 https:// 地址"},
    {"smtp_url", "must be an smtp:// or smtps:// URL like smtp://mail.example.com:587",
     "必须是 smtp:// 或 smtps:// 地址,如 smtp://mail.example.com:587"},
    {"not_for_kind", "does not apply to a %s channel", "不适用于 %s 类型的通道"},
    {"secret_format", "is used only by the dingtalk and feishu formats (to sign requests)",
     "仅用于 dingtalk 和 feishu 格式(用于请求签名)"},
    {"notice_state", "must be one of: pending, sending, sent, dead",
     "必须是以下之一:pending、sending、sent、dead"},
    {"notice_test_subject", "opsledger: test notification", "opsledger:测试通知"},
    {"notice_test_body", "This is a test notification sent through the channel %s.",
     "这是一条通过通道 %s 发送的测试通知。"},
    {"login_locked", "the account is locked after too many failed logins until %s",
     "登录失败次数过多,账号已锁定至 %s"},
    {"login_disabled", "the account is disabled", "账号已停用"},
    {"login_expired", "the account has expired", "账号已过期"},
    {"login_pw_expired", "the password has expired and must be changed: POST /api/v1/session/password",
     "密码已过期,必须修改:POST /api/v1/session/password"},
    {"login_pw_reset", "the password was reset by an administrator and must be changed: POST /api/v1/session/password",
     "密码已由管理员重置,必须修改:POST /api/v1/session/password"},
    /* S3 multi-factor authentication (auth/mfa.c) */
    {"mfa_code", "is not a valid current code (6 digits from the authenticator app, each usable once)",
     "不是有效的当前验证码(认证器应用中的 6 位数字,每个只能使用一次)"},
    {"mfa_wrong", "the MFA code is wrong, expired or already used", "MFA 验证码错误、已过期或已被使用"},
    {"mfa_locked", "too many wrong MFA codes: try again in %s minutes",
     "MFA 验证码错误次数过多:请 %s 分钟后再试"},
    {"mfa_none", "there is no MFA enrolment to check this code against: start with POST /api/v1/me/mfa/enrol",
     "没有可用于校验此验证码的 MFA 绑定:请先调用 POST /api/v1/me/mfa/enrol"},
    {"mfa_active", "MFA is already on for this account: turn it off first (DELETE /api/v1/me/mfa)",
     "该账户已启用 MFA:请先关闭(DELETE /api/v1/me/mfa)"},
    {"mfa_mandatory", "MFA is mandatory for this account (mfa_required = %s) and cannot be turned off",
     "该账户必须使用 MFA(mfa_required = %s),不能关闭"},
    {"mfa_token", "is unknown, used or expired: log in again", "无效、已使用或已过期:请重新登录"},
    {"mfa_token_bad", "the MFA login token is unknown, used or expired: log in again with your password",
     "MFA 登录令牌无效、已使用或已过期:请使用密码重新登录"},
    {"step_up", "this operation needs an MFA code confirmed within the last %s minutes: POST /api/v1/session/step-up {\"code\"}",
     "此操作需要在最近 %s 分钟内确认过 MFA 验证码:请调用 POST /api/v1/session/step-up {\"code\"}"},
    {"step_up_token", "this operation needs a fresh MFA code, which API tokens cannot give: use a browser session and POST /api/v1/session/step-up",
     "此操作需要新近确认的 MFA 验证码,API 令牌无法提供:请使用浏览器会话并调用 POST /api/v1/session/step-up"},
    {"step_up_enrol", "this operation needs a fresh MFA code: enrol first (POST /api/v1/me/mfa/enrol), then POST /api/v1/session/step-up",
     "此操作需要新近确认的 MFA 验证码:请先绑定(POST /api/v1/me/mfa/enrol),再调用 POST /api/v1/session/step-up"},
    /* directory (LDAP) login */
    {"ldap_bad_credentials", "wrong user name or password", "用户名或密码错误"},
    {"ldap_unavailable", "the directory server (LDAP) cannot be reached; try again later "
     "(local accounts can still log in)", "目录服务器(LDAP)无法连接,请稍后重试(本地账号仍可登录)"},
    {"ldap_off", "this account logs in through the directory, but directory login is not "
     "configured", "该账号通过目录服务登录,但目录登录未配置"},
    {"ldap_roles_conflict", "your directory groups map to incompatible roles (%s); ask an "
     "administrator to correct your group membership",
     "您的目录组映射到互不相容的角色(%s),请联系管理员调整组成员关系"},
    {"ldap_no_role", "none of your directory groups is mapped to an opsledger role",
     "您所在的目录组均未映射到 opsledger 角色"},
    {"audit_forbidden", "only administrators and auditors may read the audit log",
     "只有管理员和审计员可以读取审计日志"},
    /* S7 sensitive fields */
    {"id_number", "must be a resident ID number: 18 characters (17 digits and a digit or X) "
     "or 15 digits",
     "必须是居民身份证号码:18 位(17 位数字加一位数字或 X)或 15 位数字"},
    {"bank_card", "must be a bank card number: 12 to 19 digits, spaces or '-' between "
     "groups allowed",
     "必须是银行卡号:12 至 19 位数字,数字组之间可有空格或 '-'"},
    {"plate", "must be a plate number: province, a capital letter and 5 or 6 capital "
     "letters or digits, e.g. 京A12388",
     "必须是车牌号:省份简称、一个大写字母和 5 至 6 位大写字母或数字,例如 京A12388"},
    {"sealed_form", "must not start with 'enc:v1:' (the form of encrypted values)",
     "不能以 'enc:v1:'(加密值的格式)开头"},
    {"masked_mismatch", "is a masked value that does not match the stored one: send the full "
     "new value, or the mask exactly as shown to keep it",
     "是与已存值不符的掩码:请提交完整的新值,或原样提交显示的掩码以保持不变"},
    /* V1-V3 */
    {"service_unknown", "is not a service of the catalog: %s", "不是服务目录中的服务:%s"},
    {"service_inactive", "is not active in the catalog (draft or retired): %s",
     "在服务目录中未生效(草稿或已下线):%s"},
    {"service_not_requestable", "cannot be requested from the catalog: %s",
     "不能在服务目录中申请:%s"},
    {"service_locked", "cannot change once the request is approved or in fulfilment",
     "服务请求审批通过或实施后不能更改"},
    {"request_unknown", "is not a service request: %s", "不是服务请求:%s"},
    {"party_self", "must be yourself: only the service desk raises records for others",
     "必须是您本人:只有服务台可以代他人提交"},
    {"rating_on_confirm", "is given by the requester when confirming the result, and then kept",
     "由申请人在确认结果时填写,之后不能修改"},
    {"rating_on_answer", "is given by the respondent when answering the survey, and then kept",
     "由调查对象在填写调查时给出,之后不能修改"},
    {"report_time", "must be a UTC time like 2026-11-22T10:00:00Z", "必须是 UTC 时间,例如 2026-11-22T10:00:00Z"},
    {"report_range", "must be later than from", "必须晚于 from"},
    /* C1-C9 changes (modules/change*.c): each rule is named in the message. */
    {"change_plan_required", "is required to submit the change (C2 plan contents)",
     "提交变更时必填(C2 变更方案内容)"},
    {"change_end_before_start", "must be later than the start", "必须晚于开始时间"},
    {"change_backout_outside", "must lie after planned_start and no later than planned_end",
     "必须晚于计划开始时间且不晚于计划结束时间"},
    {"change_lead_time", "breaks the lead-time rule (C3): %s", "不满足变更前导时间规则(C3):%s"},
    {"change_window_business_hours", "breaks the business-hours window rule (C4): %s",
     "违反营业时间禁止变更规则(C4):%s"},
    {"change_window_freeze", "falls in a change freeze (C4): %s", "处于变更冻结期(C4):%s"},
    {"change_window_recommended", "is outside the recommended change window %s (C4)",
     "不在推荐变更时间窗 %s 内(C4)"},
    {"change_conflicts", "is required: the change conflicts on the ops calendar with %s (C5)",
     "必填:本变更与运维日历中的 %s 冲突(C5)"},
    {"change_model_unknown", "is not an active change model: %s", "不是已启用的变更模型:%s"},
    {"change_same_reviewer", "must be a second person, not the implementer (C7)",
     "必须是实施人以外的另一人(C7)"},
    {"change_written_not_emergency", "applies to emergency changes only (C6)",
     "仅适用于紧急变更(C6)"},
    {"change_written_approver", "is filed by the emergency change's approver (%s), not by the "
     "requester (C6)", "须由紧急变更的审批人(%s)填写,不能是变更发起人(C6)"},
    {"change_leadership_locked", "cannot be withdrawn once the change is with the expert team or "
     "the leadership (C6)", "变更已提交专家团队或上级领导层审批,不能撤销(C6)"},
    {"org_unit_head_unknown", "must be an enabled user: %s", "必须是已启用的用户:%s"},
    {"change_cis_not_updated", "have no version made under this change: %s; update them "
     "with this change as their change_ref (C8)",
     "在本变更下尚无更新记录:%s;请以本变更为 change_ref 更新这些配置项(C8)"},
    {"change_ci_updated", "must confirm that the configuration items were updated (C8)",
     "须确认配置项已更新(C8)"},
    {"freeze_scope", "must be change types or categories: %s", "必须是变更类型或变更类别:%s"},
    /* I1 monitoring intake */
    {"type_labels", "must be an object of string values", "必须是值为字符串的对象"},
    {"type_tags_zabbix", "must be Zabbix tags: [{\"tag\": ..., \"value\": ...}] or an object",
     "必须是 Zabbix 标签:[{\"tag\": ..., \"value\": ...}] 或对象"},
    {"rfc3339", "must be an RFC 3339 time like 2026-11-22T10:00:00Z or 2026-11-22T18:00:00+08:00",
     "必须是 RFC 3339 时间,例如 2026-11-22T10:00:00Z 或 2026-11-22T18:00:00+08:00"},
    {"integration_kind", "must be one of: alertmanager, zabbix, generic", "必须是以下之一:alertmanager、zabbix、generic"},
    {"integration_name", "must be 1 to 48 characters of a-z, 0-9, '.', '_' and '-', and not "
     "alertmanager or zabbix", "必须为 1 到 48 个字符(a-z、0-9、'.'、'_'、'-'),且不能是 alertmanager 或 zabbix"},
    {"policy_spec", "%s", "%s"},
    {"major_role", "may be changed only by the emergency command or an operations manager",
     "仅应急指挥组或运维经理可变更"},
    {"incident_unknown", "no such incident: %s", "事件不存在:%s"},
    {"record_unknown", "no such record: %s", "记录不存在:%s"},
    {"reveal_unknown", "is not a sensitive field of this record type: %s", "不是该记录类型的敏感字段:%s"},
    /* R1-R3, P5 */
    {"bad_spec", "is not valid: %s", "无效:%s"},
    {"plan_fixed", "is fixed once the rollout has started", "灰度发布开始后不能修改"},
    {"end_before_start", "must be after the start", "必须晚于开始时间"},
    {"type_number", "must be a number", "必须是数字"},
    {"too_many_entries", "the period holds more than %s entries: narrow it",
     "该时间段超过 %s 条:请缩小范围"},
    {"not_member", "you are not a member of the team %s", "您不是团队 %s 的成员"},
    /* ---- K1-K5 CMDB ---- */
    {"unique", "is already used by another record: it must be unique",
     "已被其他记录使用:必须唯一"},
    {"ci_id", "must be 1 to 128 characters of letters, digits, '.', '_', ':', '+' and '-', "
     "e.g. CSW-210231A3TQB194000005", "必须是 1 至 128 个字母、数字、'.'、'_'、':'、'+' 或 '-',"
     "例如 CSW-210231A3TQB194000005"},
    {"ci_target", "is not a configuration item: %s", "不是配置项:%s"},
    {"relation_self", "a configuration item cannot be related to itself", "配置项不能与自身建立关系"},
    {"relation_exists", "this relationship already exists", "该关系已存在"},
    {"direction", "must be up (what an outage affects) or down (what it depends on)",
     "必须是 up(故障影响的上游)或 down(依赖的下游)"},
    {"import_format", "must be csv or json", "必须是 csv 或 json"},
    {"import_mode", "must be all_or_nothing or partial", "必须是 all_or_nothing 或 partial"},
    {"csv", "is not valid CSV: %s", "不是有效的 CSV:%s"},
    {"change_ref_required", "is required: a configuration item changes only under a change, "
     "incident or request (record types %s), or through discovery", "为必填项:配置项只能通过变更、"
     "事件或服务请求(记录类型 %s)或自动发现修改"},
    {"change_ref_unknown", "must be the number of an existing record of type %s",
     "必须是已存在的以下类型记录的编号:%s"},
    {"attribute_name", "must be 1 to 40 characters of a-z, 0-9 and '_', starting with a letter",
     "必须是 1 至 40 个 a-z、0-9 或 '_',以字母开头"},
    {"attribute_unknown", "names no attribute of this class: %s", "不是该类别的属性:%s"},
    {"attribute_twice", "gives the attribute %s twice", "重复给出属性 %s"},
    {"attribute_value", "has a value of the wrong kind for %s", "属性 %s 的值类型不符"},
    {"attribute_required", "must give the attribute %s (required for this class)",
     "必须填写属性 %s(该类别必填)"},
    {"duplicate_in_batch", "appears more than once in this batch (first at row %s)",
     "在本批次中重复出现(首次出现在第 %s 行)"},
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
