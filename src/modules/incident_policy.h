/* modules/incident_policy.h - the incident policies of I3 and I4, parsed from their config keys. */
#ifndef OL_INCIDENT_POLICY_H
#define OL_INCIDENT_POLICY_H
#include <stddef.h>

extern const char *const ol_incident_levels3[];  /* "high", "medium", "low" */
extern const char *const ol_incident_importance[]; /* "core", "important", "general", "other" */

/* Parses "a,b,c;d,e,f;..." of rows x cols cells, each one of values[] (NULL-terminated), into
 * out[row * cols + col] as the value's index. Returns 0, or -1 with the reason in err. */
int ol_incident_matrix(const char *spec, int rows, int cols, const char *const *values, int *out,
                       char *err, size_t errlen);
/* Parses "30,180,360": up to 3 increasing minute counts (1..525600). Returns how many, or -1. */
/* The level matrix's values: "1".."4". */
const char *const *ol_incident_level_names(void);
int ol_incident_rises(const char *spec, long *minutes, char *err, size_t errlen);

#endif
