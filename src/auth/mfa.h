/* auth/mfa.h - S3 multi-factor authentication: TOTP enrolment with recovery codes, the second
 * step of a login, mandatory MFA (config mfa_required) and step-up for sensitive operations.
 *
 * Every function takes the acting context c (audit: actor, address) and returns 0 or a negative
 * OL_E* code with the reason in c->detail (and c->errors for a field). Codes are checked with a
 * window of totp_window steps; a step once accepted for a user is refused again, and after
 * lockout_threshold wrong codes in a row every code is refused for lockout_minutes. */
#ifndef OL_MFA_H
#define OL_MFA_H
#include "auth/auth.h"
#include "auth/totp.h"

/* RFC 9457 problem type of a refusal that a fresh code (POST /api/v1/session/step-up) lifts. */
#define OL_MFA_STEP_UP_TYPE "/problems/step-up-required"
#define OL_MFA_TOKEN_SECONDS 300 /* a pending login waits 5 minutes for its second factor */

typedef char ol_recovery_code_t[OL_RECOVERY_LEN + 1];

/* ---- login ------------------------------------------------------------------------------- */

struct ol_mfa_login {
    const char *code;   /* in: a TOTP code sent with the password, or NULL */
    int pending;        /* out: 1 = no session was made; finish with mfa_token */
    int enrol;          /* out: with pending, the user must enrol first (mandatory MFA) */
    char mfa_token[64]; /* out: single-use, 5 minutes; only its SHA-256 is stored */
};

/* Called by ol_login after a correct password. With MFA on and a right m->code: *verified = 1
 * (the session starts step-up fresh). With MFA on and no code, or MFA mandatory but not set
 * up: a pending-login token in m (m->pending). With a wrong code: -OL_EUNAUTH. Otherwise 0
 * with nothing due. */
int ol_mfa_after_password(ol_ctx_t *c, long long user_id, const char *username,
                          ol_mfa_login_t *m, int *verified);

/* Finishes a pending login with a TOTP code or a recovery code (one of them NULL): on success
 * a session as ol_login makes (username >= 65 bytes, token, csrf >= 64). A wrong code counts;
 * the token dies after lockout_threshold wrong codes. -OL_EUNAUTH when the token is unknown,
 * used or expired, or the code is wrong. */
int ol_mfa_finish_login(ol_ctx_t *c, const char *mfa_token, const char *code,
                        const char *recovery_code, char *username, char *token, char *csrf);

/* The user a pending enrolment token (mandatory MFA) belongs to; -OL_EUNAUTH when none. */
int ol_mfa_token_user(ol_ctx_t *c, const char *mfa_token, long long *user_id, char *username);

/* Confirms the enrolment started under a pending enrolment token with its first code; on
 * success the recovery codes and a session (as ol_mfa_finish_login). */
int ol_mfa_finish_enrolment(ol_ctx_t *c, const char *mfa_token, const char *code,
                            ol_recovery_code_t *codes, char *username, char *token, char *csrf);

/* ---- the user's own factor ---------------------------------------------------------------- */

typedef struct {
    int active;        /* confirmed and in use */
    int enrolling;     /* a secret was issued and waits for its first code */
    int required;      /* mfa_required covers this user */
    int recovery_left; /* unused recovery codes */
} ol_mfa_status_t;

int ol_mfa_status(ol_ctx_t *c, long long user_id, ol_mfa_status_t *out);

/* Issues a new secret (replacing an unconfirmed one): its base32 form (>= 40 bytes) and the
 * otpauth URI (uri_len >= 512). -OL_ECONFLICT when MFA is already on. Audited (mfa.enrol). */
int ol_mfa_enrol(ol_ctx_t *c, long long user_id, const char *username, char *secret_b32,
                 char *uri, size_t uri_len);
/* Turns the issued secret on with its first code and returns OL_RECOVERY_CODES new recovery
 * codes (shown once; stored as SHA-256). session_hash (or NULL): the session that proved the
 * code is step-up fresh. Audited (mfa.confirm). */
int ol_mfa_confirm(ol_ctx_t *c, long long user_id, const char *username, const char *code,
                   const char *session_hash, ol_recovery_code_t *codes);
/* Turns MFA off after a right code; -OL_EFORBIDDEN when it is mandatory for the user.
 * Audited (mfa.disable). */
int ol_mfa_disable(ol_ctx_t *c, long long user_id, const char *username, const char *code);
/* Administrator recovery: removes the user's factor and recovery codes (the user enrols again;
 * with mandatory MFA at the next login). -OL_ENOTFOUND for no such user. Audited (mfa.reset). */
int ol_mfa_reset(ol_ctx_t *c, const char *username);

/* ---- step-up ------------------------------------------------------------------------------- */

/* Records on the session (session_hash) that its user proved a code now. */
int ol_mfa_step_up(ol_ctx_t *c, long long user_id, const char *username,
                   const char *session_hash, const char *code);

/* For high-sensitivity operations (bulk export, permission changes, deletes): 0 when the
 * principal's session proved a code within step_up_minutes, or when step-up does not apply
 * (mfa_required = none and the user has no MFA). Otherwise -OL_EFORBIDDEN with the reason in
 * c->detail and c->problem_type = OL_MFA_STEP_UP_TYPE: API tokens never pass (they cannot
 * prove a code), nor do users without MFA. */
int ol_mfa_step_up_check(ol_ctx_t *c, const ol_principal_t *p);

#endif
