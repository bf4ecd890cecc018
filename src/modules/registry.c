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
