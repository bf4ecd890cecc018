/* auth/account.h - S1 password age and history, S2 lockout, S4 account lifecycle: the account
 * row, administration (list, show, change, disable, enable, reset) and the expiry sweep. */
#ifndef OL_ACCOUNT_H
#define OL_ACCOUNT_H
#include <time.h>

#include "auth/auth.h"
#include "core/db.h"
#include "records/ctx.h"

/* One account as login and the rules see it. */
typedef struct {
    int found;
    long long id;
    char username[65];
    char hash[160];
    char display_name[256];
    char phone[128];               /* clear text (ol_user_phone_load applied) */
    char kind[16];
    time_t expires_at;             /* 0 = never */
    int disabled;
    time_t locked_until;           /* 0 = not locked */
    int failed_logins;
    time_t password_changed_at;
    int must_change;
    int privileged;                /* holds a privileged role (effective roles) */
    int directory;                 /* auth_source 'ldap': the directory checks the password */
} ol_account_t;

/* Loads the account named username into a (a->found = 0 when there is none). */
int ol_account_load(ol_conn_t *conn, const char *username, ol_account_t *a);
/* When the account's password expires (0 = never): changed + the role's maximum age. */
time_t ol_account_password_expiry(const ol_account_t *a);

/* S1: adds "password_expires_at" and "password_warning" (from password_warn_days before) to
 * out when the password expires at all. */
void ol_account_expiry_json(const ol_account_t *a, json_t *out);
/* The same for the account named username (nothing for none): for the login answers that a
 * second factor completes (api/mfa_api.c). Returns 0 or a database error. */
int ol_account_login_info(ol_db_t *db, const char *username, json_t *out);

/* "2026-11-22T10:00:00.000Z": the form every account time is stored in (buf >= 32). */
const char *ol_iso_ms(time_t t, char *buf);

/* ol_login_gate flags. */
#define OL_GATE_EXPIRED_OK 1 /* a password past its age (or to be changed) does not stop it */
#define OL_GATE_AUDITED 2    /* the failure was audited already (by the directory) */

/* S2: decides a login (or a self-service change) once the password was checked (ok). Records
 * the failure or the success, locks the account after lockout_threshold failures, raises the
 * high-risk alert after more than lockout_alert_failures in one UTC day, and audits. Returns 0
 * when it may go on; else fails c, with {"type": "account-locked", ...} in c->result when the
 * answer has a problem type. Directory accounts: lockout applies, password age does not. */
int ol_login_gate(ol_ctx_t *c, const char *username, const ol_account_t *a, int ok, int flags);

/* Verifies pw against an argon2id hash; with hash NULL, against a dummy of the same cost so that
 * an unknown user takes as long as a known one. Returns 1 when it matches. */
int ol_password_verify(const char *hash, const char *pw);
/* Hashes pw (argon2id) into out (>= 128 bytes). Returns 0 or -OL_EINTERNAL. */
int ol_password_hash(const char *pw, char *out);
/* Stores hash as the account's password (changed now), keeps it in the history and trims the
 * history to the policy. must_change: the next login must change it. Ends the user's sessions. */
int ol_password_store(ol_conn_t *conn, long long user_id, const char *hash, int must_change);

/* The fields of a new or changed account (NULL = not given). */
typedef struct {
    const char *username, *display_name, *email, *phone, *kind, *expires_at;
} ol_user_fields_t;

/* Creates a user with the S4 fields; like ol_user_create otherwise. */
int ol_user_create_ex(ol_ctx_t *c, const ol_user_fields_t *f, const char *password,
                      const char *const *roles);
/* c->result = the account as JSON (no secrets). -OL_ENOTFOUND when there is none. */
int ol_user_get(ol_ctx_t *c, const char *username);
/* c->result = [accounts]; kind NULL = any, disabled -1 = any. */
int ol_user_list(ol_ctx_t *c, const char *kind, int disabled);
/* PATCH: display_name, email, phone, kind, expires_at (validated as a whole). Audited. */
int ol_user_update(ol_ctx_t *c, const char *username, const json_t *changes);
/* S4 leavers: disables the account and revokes every session and API token in the same
 * transaction; enable undoes the disabling (not the revocations). Audited. */
int ol_user_disable(ol_ctx_t *c, const char *username, const char *reason);
int ol_user_enable(ol_ctx_t *c, const char *username);
/* Administrator reset: the policy applies, the user must change it at the next login, their
 * sessions end. Audited (never the password). */
int ol_password_reset(ol_ctx_t *c, const char *username, const char *password);
/* Self-service change with the old password (works when the password expired). Lockout
 * applies to old_password. Audited. */
int ol_password_change(ol_ctx_t *c, const char *username, const char *old_password,
                       const char *new_password);
/* S4: disables every account past its expires_at and revokes its sessions and tokens (audited
 * as user.expire). Returns how many, or a negative error. */
int ol_accounts_sweep(ol_db_t *db);

/* The stored form of a phone number and back. S7 field encryption plugs in here. */
const char *ol_user_phone_store(const char *phone, char *buf, size_t len);
const char *ol_user_phone_load(const char *stored, char *buf, size_t len);

#endif
