/* bench/articles.c - deterministic knowledge-base articles for seeding and create benchmarks.
 *
 * About 60% Chinese and 40% English articles about a system and a symptom, with 4-10 sentences,
 * 1-4 tags, a weighted category, a group and an owner. A symptom appears in about 1 in 32
 * articles of its language, so a search for one (连接超时, "timeout") is selective; the
 * category "faq" is about 12% of articles. No string here needs JSON escaping. */
#include "articles.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const char *const sys_zh[] = {
    "邮件服务器", "VPN 网关", "Oracle 数据库", "MySQL 主库", "PostgreSQL 从库",
    "Kubernetes 集群", "财务打印机", "域控制器", "ERP 系统", "OA 办公系统",
    "负载均衡器", "核心交换机", "边界防火墙", "无线网络", "SAP 生产环境",
    "Exchange 邮箱", "Jenkins 构建节点", "GitLab 代码仓库", "Redis 缓存", "Nginx 反向代理",
    "存储阵列", "备份服务器", "监控平台", "堡垒机", "工单系统",
    "视频会议系统", "考勤系统", "文件共享服务器", "报表服务", "支付网关",
};
static const char *const sys_en[] = {
    "mail server", "VPN gateway", "Oracle database", "MySQL primary", "PostgreSQL replica",
    "Kubernetes cluster", "finance printer", "domain controller", "ERP system", "intranet portal",
    "load balancer", "core switch", "perimeter firewall", "office Wi-Fi", "SAP production system",
    "Exchange mailbox", "Jenkins build agent", "GitLab server", "Redis cache", "Nginx proxy",
    "storage array", "backup server", "monitoring platform", "bastion host", "service desk tool",
    "video conferencing system", "time tracking system", "file share", "reporting service",
    "payment gateway",
};
static const char *const sym_zh[] = {
    "连接超时", "无法登录", "响应缓慢", "证书过期", "磁盘空间不足", "内存泄漏",
    "服务不可用", "数据同步失败", "打印队列卡住", "密码重置失败", "权限不足", "网络丢包",
    "CPU 使用率过高", "备份失败", "邮件发送失败", "页面白屏", "数据库死锁", "时间不同步",
    "DNS 解析失败", "账号被锁定", "端口被占用", "配置丢失", "升级后报错", "进程崩溃",
    "日志暴涨", "会话中断", "索引损坏", "许可证到期", "接口返回 500", "存储延迟高",
    "主备切换失败", "队列积压",
};
static const char *const sym_en[] = {
    "connection timeout", "login failure", "slow response", "expired certificate", "disk full",
    "memory leak", "service outage", "replication lag", "stuck print queue",
    "password reset failure", "permission denied", "packet loss", "high CPU usage",
    "failed backup", "mail delivery failure", "blank page", "database deadlock", "clock skew",
    "DNS resolution failure", "locked account", "port conflict", "lost configuration",
    "errors after upgrade", "process crash", "log explosion", "dropped sessions",
    "corrupted index", "expired license", "HTTP 500 errors", "high storage latency",
    "failover failure", "queue backlog",
};
/* Title templates: %1 system, %2 symptom, %3 error code. */
static const char *const title_zh[] = {
    "%1%2的处理方法", "如何解决%1%2", "%1出现%2：排查步骤", "%1%2（%3）",
    "关于%1%2的说明", "%1频繁%2怎么办", "%1%2应急预案", "新员工常见问题：%1%2",
};
static const char *const title_en[] = {
    "How to fix %2 on the %1", "%1: %2 troubleshooting", "Known error: %2 after upgrading the %1",
    "%1 %2 (%3)", "Runbook: %2 on the %1", "Why does the %1 show %2?",
    "Workaround for %2 in the %1", "FAQ: %2 on the %1",
};
/* Body sentences: %1 system, %2 symptom, %3 code, %4 team, %5..%9 numbers. */
static const char *const sent_zh[] = {
    "用户反馈%1出现%2，影响范围约%5人。",
    "首先检查%1的运行日志，确认错误代码 %3 出现的时间。",
    "如果%2持续超过%6分钟，请升级到%4。",
    "临时解决办法：重启%1相关服务，并观察%6分钟。",
    "根本原因是配置变更后没有同步到备用节点。",
    "请在变更窗口内执行，并提前通知业务部门。",
    "执行前先做好备份，确认可以回滚。",
    "相关工单：INC-%7，问题单 PRB-%8。",
    "该问题在版本 %9 中已修复。",
    "检查网络连通性：ping、traceroute 以及端口 %5 是否开放。",
    "确认系统时间与 NTP 服务器一致。",
    "如果页面提示%2，请清除浏览器缓存后重试。",
    "联系%4值班人员，分机 %8。",
    "监控告警阈值建议设置为 %6%。",
    "注意：不要在业务高峰期重启%1。",
    "处理完成后在工单中记录处理过程和结论。",
    "参考厂商知识库文档 %3。",
    "数据库连接池上限调整为 %5。",
    "调整等待参数后需要重新加载配置。",
    "TLS 证书需要在到期前 %6 天续期。",
    "如果一周内再次发生，请联系厂商支持。",
    "在 CMDB 中更新%1的配置记录。",
    "关闭事件前请用测试账号验证修复结果。",
    "自 %9 版本升级后开始出现。",
};
static const char *const sent_en[] = {
    "Users report %2 on the %1; about %5 people are affected.",
    "First check the %1 logs and note when error %3 appears.",
    "If the %2 lasts longer than %6 minutes, escalate to the %4 team.",
    "Workaround: restart the %1 services and watch them for %6 minutes.",
    "The root cause was a configuration change that was not copied to the standby node.",
    "Run this inside the change window and tell the business owners beforehand.",
    "Take a backup first and make sure you can roll back.",
    "Related tickets: INC-%7 and problem PRB-%8.",
    "Fixed in version %9.",
    "Check connectivity with ping and traceroute, and whether port %5 is open.",
    "Make sure the system clock matches the NTP server.",
    "If the page shows %2, clear the browser cache and retry.",
    "Call the %4 on-call engineer at extension %8.",
    "Set the monitoring alert threshold to %6 percent.",
    "Do not restart the %1 during business peak hours.",
    "Record what you did and the outcome in the ticket.",
    "See vendor knowledge base article %3.",
    "Raise the connection pool limit to %5.",
    "Increase the client timeout to %6 seconds and reload the configuration.",
    "Renew the TLS certificate at least %6 days before it expires.",
    "Escalate to the vendor if the issue comes back within a week.",
    "Update the CMDB entry of the %1 with the new settings.",
    "Verify the fix with a test user before closing the incident.",
    "Seen since the upgrade to version %9.",
};
static const char *const groups[] = {"dba",       "network",  "desktop",   "security", "platform",
                                     "apps",      "storage",  "messaging", "identity", "erp"};
static const char *const teams_zh[] = {"数据库组", "网络组", "桌面运维组", "安全组", "平台组",
                                       "应用组", "存储组", "邮件组", "身份认证组", "ERP 组"};
static const char *const teams_en[] = {"database", "network", "desktop support", "security",
                                       "platform", "applications", "storage", "messaging",
                                       "identity", "ERP"};
static const char *const group_tag[] = {"数据库", "网络", "桌面", "安全", "kubernetes",
                                        "应用", "存储", "邮件", "账号", "sap"};
static const char *const tags[] = {
    "数据库", "网络", "邮件", "打印机", "安全", "证书", "存储", "备份", "监控", "账号",
    "权限", "性能", "升级", "配置", "应急", "linux", "windows", "vpn", "oracle", "mysql",
    "kubernetes", "nginx", "redis", "sap", "dns", "ntp", "tls", "wifi", "firewall", "ldap",
    "backup", "email", "printer", "cluster", "failover", "howto", "runbook", "faq",
    "known-issue", "p1",
};
static const char *const owners[] = {
    "zhang.wei", "wang.fang", "li.na", "liu.yang", "chen.jing", "yang.lei", "zhao.min",
    "huang.tao", "zhou.jie", "wu.xia", "xu.qiang", "sun.li", "ma.jun", "zhu.hong",
    "hu.bin", "j.smith", "a.garcia", "m.mueller", "s.tanaka", "r.patel",
};
/* Category weights in percent: how_to 30, troubleshooting 30, known_error 15, faq 12,
 * reference 8, policy 5. */
static const struct {
    const char *name;
    int cum;
} categories[] = {{"how_to", 30},     {"troubleshooting", 60}, {"known_error", 75},
                  {"faq", 87},        {"reference", 95},       {"policy", 100}};

typedef struct {
    char *p;
    size_t len, cap;
    int overflow;
} out_t;

static void put(out_t *o, const char *s, size_t n)
{
    if (o->len + n + 1 > o->cap) {
        o->overflow = 1;
        return;
    }
    memcpy(o->p + o->len, s, n);
    o->len += n;
    o->p[o->len] = 0;
}

static void puts_(out_t *o, const char *s)
{
    put(o, s, strlen(s));
}

__attribute__((format(printf, 2, 3))) static void printf_(out_t *o, const char *fmt, ...)
{
    char tmp[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof tmp)
        o->overflow = 1;
    else
        put(o, tmp, (size_t)n);
}

static uint64_t next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static unsigned pick(uint64_t *s, unsigned n)
{
    return (unsigned)(next(s) % n);
}

typedef struct {
    const char *slot[5]; /* %1..%4 strings (index 1..4) */
    unsigned num[10];    /* %5..%9 numbers */
} vars_t;

/* Expands a template with %1..%9 into o. */
static void expand(out_t *o, const char *t, const vars_t *v)
{
    for (const char *s = t; *s; s++) {
        if (*s == '%' && s[1] >= '1' && s[1] <= '9') {
            int i = s[1] - '0';
            if (i <= 4)
                puts_(o, v->slot[i]);
            else if (i == 9)
                printf_(o, "%u.%u.%u", v->num[9] / 100 % 10, v->num[9] / 10 % 10, v->num[9] % 10);
            else
                printf_(o, "%u", v->num[i]);
            s++;
        } else {
            put(o, s, 1);
        }
    }
}

size_t article_json(unsigned long long k, char *out, size_t cap)
{
    uint64_t st = 0x5eed0000ULL ^ (k * 0x2545f4914f6cdd1dULL);
    out_t o = {out, 0, cap, 0};
    if (cap)
        out[0] = 0;
    int zh = pick(&st, 10) < 6;
    unsigned g = pick(&st, N(groups));
    unsigned sy = pick(&st, N(sys_zh)), sm = pick(&st, N(sym_zh));
    char code[16];
    snprintf(code, sizeof code, "E%04X", (unsigned)pick(&st, 0x10000));
    vars_t v = {{NULL, zh ? sys_zh[sy] : sys_en[sy], zh ? sym_zh[sm] : sym_en[sm], code,
                 zh ? teams_zh[g] : teams_en[g]},
                {0}};
    v.num[5] = 2 + pick(&st, 4000);
    v.num[6] = 5 + pick(&st, 90);
    v.num[7] = 100000 + pick(&st, 900000);
    v.num[8] = 1000 + pick(&st, 9000);
    v.num[9] = pick(&st, 1000);

    puts_(&o, "{\"title\":\"");
    expand(&o, zh ? title_zh[pick(&st, N(title_zh))] : title_en[pick(&st, N(title_en))], &v);
    puts_(&o, "\",\"body\":\"");
    unsigned nsent = 4 + pick(&st, 7);
    size_t summary_from = o.len, summary_to = 0;
    for (unsigned i = 0; i < nsent; i++) {
        if (i && pick(&st, 3) == 0)
            puts_(&o, "\\n\\n");
        else if (i && !zh)
            puts_(&o, " ");
        v.num[5] = 2 + pick(&st, 4000);
        v.num[6] = 5 + pick(&st, 90);
        /* The first sentence names the problem; the rest are drawn at random. */
        const char *t = i == 0 ? (zh ? sent_zh[0] : sent_en[0])
                               : (zh ? sent_zh[pick(&st, N(sent_zh))] : sent_en[pick(&st, N(sent_en))]);
        expand(&o, t, &v);
        if (i == 0)
            summary_to = o.len;
    }
    puts_(&o, "\"");
    if (pick(&st, 2) == 0 && summary_to > summary_from) {
        char first[512];
        size_t n = summary_to - summary_from;
        if (n < sizeof first) {
            memcpy(first, out + summary_from, n);
            first[n] = 0;
            puts_(&o, ",\"summary\":\"");
            puts_(&o, first);
            puts_(&o, "\"");
        }
    }
    unsigned c = pick(&st, 100);
    size_t ci = 0;
    while (c >= (unsigned)categories[ci].cum)
        ci++;
    printf_(&o, ",\"category\":\"%s\",\"tags\":[\"%s\"", categories[ci].name, group_tag[g]);
    unsigned ntags = pick(&st, 4), chosen[4];
    for (unsigned i = 0; i < ntags; i++) {
        unsigned t = chosen[i] = pick(&st, N(tags));
        int dup = !strcmp(tags[t], group_tag[g]);
        for (unsigned j = 0; j < i; j++)
            dup |= chosen[j] == t;
        if (!dup)
            printf_(&o, ",\"%s\"", tags[t]);
    }
    printf_(&o, "],\"audience\":\"%s\",\"owner\":\"%s\",\"group\":\"%s\"}",
            pick(&st, 5) == 0 ? "public" : "internal", owners[pick(&st, N(owners))], groups[g]);
    return o.overflow ? 0 : o.len;
}
