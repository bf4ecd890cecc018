/* records/duty.h - separation-of-duty rules of transitions (REQUIREMENTS S6). */
#ifndef OL_DUTY_H
#define OL_DUTY_H
#include <jansson.h>

#include "records/ctx.h"
#include "records/schema.h"

/* Checks tr's duty rules for c's actor on the record (id, rec: after the transition's input).
 * Returns 0, -OL_EFORBIDDEN with the rule in c->detail and c->errors, or a database error. */
int ol_duty_check(ol_conn_t *conn, ol_ctx_t *c, const ol_transition_t *tr, long long id,
                  const json_t *rec);
/* Checks a declaration's rules refer to its own transitions and fields; 0 or -1 with err. */
int ol_duty_validate(const ol_record_type_t *t, const ol_transition_t *tr, char *err,
                     size_t errlen);

#endif
