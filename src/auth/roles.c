/* auth/roles.c - the shipped role catalogue and the S6 incompatibility rule. */
#include "auth/roles.h"

#include <stdio.h>
#include <string.h>

#include "core/config.h"

const ol_role_t ol_builtin_roles[] = {
    {"admin", "System administrator", "系统管理员", 1},
    {"auditor", "Auditor (read-only, audit log)", "审计员", 1},
    {"ops_manager", "Operations manager", "运维经理", 1},
    {"ops_engineer", "Operations engineer", "运维岗", 0},
    {"dev_manager", "Development manager", "开发经理", 0},
    {"developer", "Developer", "开发岗", 0},
    {"test_manager", "Test manager", "测试经理", 0},
    {"tester", "Tester", "测试岗", 0},
    {"capacity_manager", "Capacity manager", "容量经理", 0},
    {"resource_delivery", "Resource delivery", "资源交付岗", 0},
    {"continuity_manager", "Continuity manager", "连续性经理", 0},
    {"infosec_manager", "Information security manager", "信息安全经理", 1},
    {"service_desk", "Service desk", "服务台", 0},
    {"config_manager", "Configuration manager", "配置经理", 0},
    {"config_admin", "Configuration administrator", "配置管理员", 1},
    {"change_assessor", "Change assessor", "变更评估岗", 0},
    {"version_quality_manager", "Version quality manager", "版本质量经理", 0},
    {"release_manager", "Release manager", "发布经理", 1},
    {"problem_manager", "Problem manager", "问题经理", 0},
    {"emergency_command", "Emergency command group", "应急指挥小组", 0},
    {"emergency_handling", "Emergency handling group", "应急处置小组", 0},
    {"expert_team", "Expert team", "专家团队", 0},
    {"leadership", "Leadership", "上级领导层", 0},
    {"kb_author", "Knowledge author", "知识作者", 0},
    {"kb_editor", "Knowledge editor", "知识审核", 0},
    {NULL, NULL, NULL, 0},
};

const ol_role_t *ol_role_find(const char *name)
{
    for (const ol_role_t *r = ol_builtin_roles; name && r->name; r++)
        if (!strcmp(r->name, name))
            return r;
    return NULL;
}

int ol_roles_privileged(const char *const *roles)
{
    for (const char *const *r = roles; r && *r; r++) {
        const ol_role_t *role = ol_role_find(*r);
        if (role && role->privileged)
            return 1;
    }
    return 0;
}

/* The index of the ';'-separated set of spec that names role, or -1. */
static int set_of(const char *spec, const char *role)
{
    size_t n = strlen(role);
    int set = 0;
    for (const char *p = spec; *p;) {
        size_t len = strcspn(p, ",;");
        if (len == n && !strncmp(p, role, n))
            return set;
        p += len;
        if (*p == ';')
            set++;
        if (*p)
            p++;
    }
    return -1;
}

const char *ol_roles_conflict(const char *const *roles, char *buf, size_t len)
{
    const char *spec = ol_config()->incompatible_roles;
    for (const char *const *a = roles; a && *a; a++) {
        int sa = set_of(spec, *a);
        if (sa < 0)
            continue;
        for (const char *const *b = a + 1; *b; b++) {
            int sb = set_of(spec, *b);
            if (sb >= 0 && sb != sa) {
                snprintf(buf, len, "%s and %s", *a, *b);
                return buf;
            }
        }
    }
    return NULL;
}
