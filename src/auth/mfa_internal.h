/* auth/mfa_internal.h - what auth/mfa.c and auth/mfa_login.c share (not for other modules). */
#ifndef OL_MFA_INTERNAL_H
#define OL_MFA_INTERNAL_H
#include "auth/mfa.h"

/* What a code check found. */
enum { OL__MFA_OK, OL__MFA_WRONG, OL__MFA_LOCKED, OL__MFA_NONE };

/* Inside a write transaction: checks a TOTP code (or, with active MFA, a recovery code) of
 * user_id whose factor has active == want_active. A right code advances the replay guard (or
 * spends the recovery code) and clears the failure count; a wrong one is counted. Both are
 * audited (mfa.fail, mfa.recovery_used), so the caller commits either way: the result is in
 * *outcome, the return value is 0 or a database error. */
int ol__mfa_check(ol_conn_t *conn, const ol_ctx_t *c, long long user_id, const char *username,
                  int want_active, const char *code, const char *recovery, int *outcome);

/* Inside a write transaction: checks the first code of an issued secret and turns it on with
 * new recovery codes (audited: mfa.confirm). Result in *outcome as for ol__mfa_check. */
int ol__mfa_activate(ol_conn_t *conn, const ol_ctx_t *c, long long user_id, const char *username,
                     const char *code, ol_recovery_code_t *codes, int *outcome);

/* Inside any transaction: whether mfa_required covers the user (by the roles held). */
int ol__mfa_required(ol_conn_t *conn, long long user_id, int *required);

/* Sets c's detail (and, for a wrong code, a field error on field) for a failed check; returns
 * the code to answer with (unauth: -OL_EUNAUTH, else -OL_EINVAL / -OL_ECONFLICT). */
int ol__mfa_fail(ol_ctx_t *c, int outcome, const char *field, int unauth);

#endif
