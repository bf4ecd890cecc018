/* tests/unit/test_access.c - the rules of access control without a database: the shipped roles,
 * privileged roles, incompatible role sets (S6) with the default and a configured policy, the
 * central authorization check (S5) and the checks of duty-rule declarations. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "auth/authz.h"
#include "auth/roles.h"
#include "core/config.h"
#include "modules/registry.h"
#include "records/duty.h"

#define ROLES(...) ((const char *const[]){__VA_ARGS__, NULL})

static void test_catalogue(void **state)
{
    (void)state;
    /* JR/T 0079 Appendix A, plus auditor and system administrator. */
    const char *appendix_a[] = {"ops_manager", "ops_engineer", "dev_manager", "developer",
                                "test_manager", "tester", "capacity_manager",
                                "resource_delivery", "continuity_manager", "infosec_manager",
                                "service_desk", "config_manager", "config_admin",
                                "change_assessor", "version_quality_manager", "release_manager",
                                "problem_manager", "emergency_command", "emergency_handling",
                                "expert_team", "auditor", "admin"};
    for (size_t i = 0; i < sizeof appendix_a / sizeof appendix_a[0]; i++)
        assert_non_null(ol_role_find(appendix_a[i]));
    assert_null(ol_role_find("pilot"));
    assert_null(ol_role_find(NULL));
    assert_string_equal(ol_role_find("ops_engineer")->label_zh, "运维岗");
    assert_true(ol_roles_privileged(ROLES("tester", "admin")));
    assert_false(ol_roles_privileged(ROLES("tester", "developer")));
    assert_false(ol_roles_privileged(ROLES("nosuch")));
}

static void test_incompatible_default(void **state)
{
    (void)state;
    char buf[160];
    assert_null(ol_roles_conflict(ROLES("ops_manager", "ops_engineer", "service_desk"), buf,
                                  sizeof buf));
    assert_non_null(ol_roles_conflict(ROLES("ops_engineer", "developer"), buf, sizeof buf));
    assert_string_equal(buf, "ops_engineer and developer");
    assert_non_null(ol_roles_conflict(ROLES("service_desk", "tester", "dev_manager"), buf,
                                      sizeof buf));
    assert_string_equal(buf, "tester and dev_manager");
    assert_non_null(ol_roles_conflict(ROLES("test_manager", "ops_manager"), buf, sizeof buf));
    /* A name that merely starts like a listed role is not that role. */
    assert_null(ol_roles_conflict(ROLES("ops", "developer"), buf, sizeof buf));
    assert_null(ol_roles_conflict(ROLES("ops_engineer_x", "developer"), buf, sizeof buf));
    assert_null(ol_roles_conflict(ROLES(NULL), buf, sizeof buf));
}

static void test_incompatible_policy(void **state)
{
    (void)state;
    /* The policy is configurable: here releases are kept apart from changes' assessment. */
    static ol_config_t cfg; /* ol_config() keeps pointing at it */
    char *argv[] = {"t", "--incompatible_roles", "release_manager;change_assessor,expert_team", NULL};
    int argc = 3;
    char err[256];
    assert_int_equal(ol_config_load(&cfg, &argc, argv, err, sizeof err), 0);
    char buf[160];
    assert_null(ol_roles_conflict(ROLES("ops_engineer", "developer"), buf, sizeof buf));
    assert_non_null(ol_roles_conflict(ROLES("expert_team", "release_manager"), buf, sizeof buf));
    assert_null(ol_roles_conflict(ROLES("expert_team", "change_assessor"), buf, sizeof buf));
    char *argv2[] = {"t", NULL};
    argc = 1;
    assert_int_equal(ol_config_load(&cfg, &argc, argv2, err, sizeof err), 0);
}

static void test_authz(void **state)
{
    (void)state;
    /* admin: everything; auditor: read and export only, however "*" is declared. */
    assert_true(ol_authz(ROLES("admin"), "audit", "administer"));
    assert_true(ol_authz(ROLES("auditor"), "audit", "read"));
    assert_true(ol_authz(ROLES("auditor"), "article", "export"));
    assert_false(ol_authz(ROLES("auditor"), "article", "comment"));
    assert_false(ol_authz(ROLES("auditor", "kb_author"), "article", "create"));
    /* Declared defaults of the knowledge base. */
    assert_true(ol_authz(ROLES("kb_author"), "article", "create"));
    assert_true(ol_authz(ROLES("tester"), "article", "read"));
    assert_true(ol_authz(ROLES("tester"), "article", "comment"));
    assert_false(ol_authz(ROLES("tester"), "article", "update"));
    assert_true(ol_authz(ROLES("kb_editor"), "article", "transition:publish"));
    assert_false(ol_authz(ROLES("kb_author"), "article", "transition:publish"));
    assert_false(ol_authz(ROLES("kb_editor"), "article", "transition:nosuch"));
    assert_false(ol_authz(ROLES("kb_editor"), "article", "delete"));
    /* System resources belong to administrators; unknown ones to nobody else. */
    assert_false(ol_authz(ROLES("infosec_manager"), "role", "administer"));
    assert_false(ol_authz(ROLES("ops_manager"), "nosuch", "read"));
    assert_false(ol_authz(ROLES(NULL), "article", "create"));
    assert_true(ol_authz_action_valid("transition:approve"));
    assert_false(ol_authz_action_valid("fly"));
    assert_true(ol_authz_resource_valid("group"));
    assert_true(ol_authz_resource_valid("elevation"));
    assert_false(ol_authz_resource_valid("planet"));
}

static const char *const st[] = {"a", "b", NULL};
static const char *const st_a[] = {"a", NULL};

static void test_duty_declarations(void **state)
{
    (void)state;
    static const ol_duty_t good[] = {
        {OL_DUTY_NOT_ACTOR_OF, "create", "not the creator", NULL},
        {OL_DUTY_NOT_ACTOR_OF, "go", "not who went", NULL},
        {OL_DUTY_NOT_FIELD, "who", "not the holder", NULL},
        {OL_DUTY_HAS_ROLE, "tester", "a tester", NULL},
        {OL_DUTY_INTERNAL, NULL, "an employee", NULL},
        {0, NULL, NULL, NULL},
    };
    static const ol_duty_t bad_transition[] = {
        {OL_DUTY_NOT_ACTOR_OF, "fly", "nope", NULL}, {0, NULL, NULL, NULL}};
    static const ol_duty_t bad_field[] = {
        {OL_DUTY_NOT_FIELD, "whom", "nope", NULL}, {0, NULL, NULL, NULL}};
    static const ol_field_t fields[] = {
        {"title", OL_F_STRING, OL_FIELD_REQUIRED, 3, 200, NULL, NULL, "Title", "标题"},
        {"who", OL_F_USER, 0, 0, 0, NULL, NULL, "Who", "谁"},
    };
    ol_transition_t tr[] = {{"go", st_a, "b", NULL, NULL, 0, NULL, "Go", "走", good, NULL}};
    ol_record_type_t t = {.name = "dutytest", .path = "dutytests", .prefix = "DT",
                          .label_en = "Duty test", .label_zh = "测试", .fields = fields,
                          .nfields = 2, .states = st, .transitions = tr, .ntransitions = 1};
    char err[256];
    assert_int_equal(ol_duty_validate(&t, &tr[0], err, sizeof err), 0);
    tr[0].duties = bad_transition;
    assert_int_equal(ol_duty_validate(&t, &tr[0], err, sizeof err), -1);
    assert_non_null(strstr(err, "fly"));
    tr[0].duties = bad_field;
    assert_int_equal(ol_duty_validate(&t, &tr[0], err, sizeof err), -1);
    assert_non_null(strstr(err, "whom"));
}

int main(void)
{
    ol_schema_register_all();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_catalogue),
        cmocka_unit_test(test_incompatible_default),
        cmocka_unit_test(test_incompatible_policy),
        cmocka_unit_test(test_authz),
        cmocka_unit_test(test_duty_declarations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
