/* modules/registry.c - the record types of the product, registered at start-up. */
#include <stdio.h>
#include <stdlib.h>

#include "modules/registry.h"

extern const ol_record_type_t ol_kb_article_type;
extern const ol_record_type_t ol_elevation_type;
extern const ol_record_type_t ol_access_review_type;
extern const ol_record_type_t ol_contact_type; /* S7 */
extern const ol_record_type_t ol_incident_type; /* I2-I4 */
extern const ol_record_type_t ol_service_type, ol_request_type, ol_survey_type,
    ol_complaint_type; /* V1-V3 */
extern const ol_record_type_t ol_change_type, ol_change_model_type, ol_freeze_type; /* C1-C9 */
extern const ol_record_type_t ol_release_type, ol_ops_event_type; /* R1-R3, P5 */
extern const ol_record_type_t ol_problem_type;  /* Q1-Q4 */
extern const ol_record_type_t ol_ci_type;       /* K1-K5 */
extern const ol_record_type_t ol_ci_baseline_type; /* K3 */
extern const ol_record_type_t ol_ci_audit_type;    /* K4 */
extern const ol_record_type_t ol_ci_attribute_type; /* K1 */
extern const ol_record_type_t ol_incident_report_type, ol_timeline_type, ol_review_type,
    ol_action_type; /* I5-I8 */
void ol_elevation_prepare(void);
void ol_release_prepare(void); /* R3: overdue reviews by wake-up */
void ol_incident_prepare(void); /* I3: level rises by wake-up */
void ol_change_prepare(void);   /* C6, C8: due dates by wake-up */

static const ol_record_type_t *const all[] = {&ol_kb_article_type, &ol_elevation_type,
                                                &ol_access_review_type, &ol_contact_type,
                                                &ol_incident_type, &ol_service_type,
                                                &ol_request_type, &ol_survey_type,
                                                &ol_complaint_type, &ol_problem_type,
                                                &ol_ci_type, &ol_ci_baseline_type,
                                                &ol_ci_audit_type, &ol_ci_attribute_type,
                                                &ol_incident_report_type, &ol_timeline_type,
                                                &ol_review_type, &ol_action_type,
                                                &ol_release_type, &ol_ops_event_type,
                                                &ol_change_type, &ol_change_model_type,
                                                &ol_freeze_type};

/* The menu: the record types by process, most used first. */
static const ol_record_type_t *const desk[] = {&ol_incident_type, &ol_problem_type,
                                               &ol_request_type, &ol_service_type,
                                               &ol_complaint_type, &ol_survey_type,
                                               &ol_contact_type, NULL};
static const ol_record_type_t *const major[] = {&ol_incident_report_type, &ol_timeline_type,
                                                &ol_review_type, &ol_action_type, NULL};
static const ol_record_type_t *const changes[] = {&ol_change_type, &ol_release_type,
                                                  &ol_ops_event_type, &ol_freeze_type,
                                                  &ol_change_model_type, NULL};
static const ol_record_type_t *const config[] = {&ol_ci_type, &ol_ci_baseline_type,
                                                 &ol_ci_audit_type, &ol_ci_attribute_type, NULL};
static const ol_record_type_t *const knowledge[] = {&ol_kb_article_type, NULL};
static const ol_record_type_t *const access[] = {&ol_elevation_type, &ol_access_review_type,
                                                 NULL};

const ol_area_t ol_areas[] = {
    {"service_desk", "Service desk", "服务台", desk},
    {"major_incidents", "Major incidents and reviews", "重大事件与复盘", major},
    {"change_release", "Change and release", "变更与发布", changes},
    {"configuration", "Configuration (CMDB)", "配置管理", config},
    {"knowledge", "Knowledge", "知识库", knowledge},
    {"access", "Access", "权限管理", access},
    {NULL, NULL, NULL, NULL},
};

const char *ol_area_of(const ol_record_type_t *t)
{
    for (const ol_area_t *a = ol_areas; a->name; a++)
        for (const ol_record_type_t *const *x = a->types; *x; x++)
            if (*x == t)
                return a->name;
    return NULL;
}

void ol_schema_register_all(void)
{
    static int done;
    if (done)
        return;
    done = 1;
    ol_elevation_prepare();
    ol_incident_prepare();
    ol_change_prepare();
    ol_release_prepare();
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        char err[256];
        if (ol_schema_register(all[i], err, sizeof err) != 0) {
            fprintf(stderr, "opsledger: bad record type declaration: %s\n", err);
            abort();
        }
    }
}
