/* modules/service.c - the service catalog (REQUIREMENTS V1; 004 §5.1.4): business and
 * technical services with an owner, a version and service levels. Operations staff draft a
 * service or its revision, the operations manager publishes it into the catalog (active) and
 * retires it; only active, requestable services can be requested (modules/request.c). Every
 * revision stays in the record's history, with the version it carried. */
#include <stddef.h>

#include "records/schema.h"

static const char *const kinds[] = {"business", "technical", NULL};

static const ol_field_t fields[] = {
    {"title", OL_F_STRING, OL_FIELD_REQUIRED | OL_FIELD_SEARCHABLE | OL_FIELD_SORTABLE, 2, 200,
     NULL, NULL, "Service name", "服务名称"},
    {"description", OL_F_TEXT, OL_FIELD_SEARCHABLE, 0, 20000, NULL, NULL,
     "Content, delivery and standards", "服务内容、方式和标准"},
    {"kind", OL_F_ENUM, OL_FIELD_REQUIRED | OL_FIELD_FILTERABLE, 0, 0, kinds, "\"business\"",
     "Catalog (business or technical)", "服务目录(业务或技术)"},
    {"category", OL_F_STRING, OL_FIELD_FILTERABLE | OL_FIELD_SEARCHABLE, 0, 100, NULL, NULL,
     "Category (e.g. desktop, accounts, data centre)", "服务分类(如桌面、账号、数据中心)"},
    {"owner", OL_F_USER, OL_FIELD_REQUIRED | OL_FIELD_FILTERABLE, 0, 0, NULL, NULL,
     "Service owner", "服务负责人"},
    {"service_version", OL_F_STRING, OL_FIELD_REQUIRED | OL_FIELD_FILTERABLE, 1, 32, NULL,
     "\"1.0\"", "Version", "版本"},
    {"service_level", OL_F_TEXT, OL_FIELD_SEARCHABLE, 0, 4000, NULL, NULL,
     "Service level (targets, or the SLA it refers to)", "服务级别(目标或所引用的服务级别协议)"},
    {"response_minutes", OL_F_INT, OL_FIELD_FILTERABLE, 1, 525600, NULL, NULL,
     "Response target (minutes)", "响应时限(分钟)"},
    {"fulfilment_hours", OL_F_INT, OL_FIELD_FILTERABLE, 1, 87600, NULL, NULL,
     "Fulfilment target (hours)", "办理时限(小时)"},
    {"requestable", OL_F_BOOL, OL_FIELD_FILTERABLE, 0, 0, NULL, "true",
     "Requestable from the catalog", "可在服务目录中申请"},
    {"approval_required", OL_F_BOOL, OL_FIELD_FILTERABLE, 0, 0, NULL, "true",
     "Requests need approval", "申请需要审批"},
    {"group", OL_F_STRING, OL_FIELD_FILTERABLE, 0, 100, NULL, NULL, "Fulfilment group",
     "实施组"},
    {"ci", OL_F_STRING, OL_FIELD_FILTERABLE | OL_FIELD_SEARCHABLE, 0, 200, NULL, NULL,
     "Configuration items", "配置项"},
};

static const char *const states[] = {"draft", "active", "retired", NULL};
static const char *const st_draft[] = {"draft", NULL};
static const char *const st_active[] = {"active", NULL};
static const char *const st_retired[] = {"retired", NULL};

static const char *const everyone[] = {"*", NULL};
static const char *const staff[] = {"ops_engineer", "ops_manager", NULL};
static const char *const managers[] = {"ops_manager", NULL};
static const char *const needs_version[] = {"service_version", NULL};

static const ol_transition_t transitions[] = {
    {"publish", st_draft, "active", managers, needs_version, 0, NULL, "Publish", "发布生效"},
    {"revise", st_active, "draft", staff, NULL, 1, NULL, "Revise", "修订"},
    {"retire", st_active, "retired", managers, NULL, 1, NULL, "Retire", "下线"},
    {"reinstate", st_retired, "draft", managers, NULL, 1, NULL, "Reinstate", "恢复"},
};

const ol_record_type_t ol_service_type = {
    .name = "service",
    .path = "services",
    .prefix = "SVC",
    .label_en = "Service",
    .label_zh = "服务",
    .fields = fields,
    .nfields = sizeof fields / sizeof fields[0],
    .states = states,
    .transitions = transitions,
    .ntransitions = sizeof transitions / sizeof transitions[0],
    .perms = {.read = everyone, .create = staff, .update = staff, .comment = everyone,
              .export = managers},
};
