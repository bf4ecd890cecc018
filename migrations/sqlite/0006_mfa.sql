-- 0006_mfa.sql (SQLite) - S3 multi-factor authentication: TOTP secrets, recovery codes, pending
-- logins waiting for their second factor, and when a session last proved one (step-up).
CREATE TABLE user_mfa (
    user_id      INTEGER PRIMARY KEY REFERENCES users(id),
    secret_enc   TEXT NOT NULL,              -- the TOTP secret, sealed (auth/mfa_seal.c)
    active       INTEGER NOT NULL DEFAULT 0, -- 0 = enrolled, waiting for the first code
    last_step    INTEGER NOT NULL DEFAULT 0, -- the last 30 s step accepted: replays are refused
    failures     INTEGER NOT NULL DEFAULT 0, -- wrong codes in a row
    failed_at    TEXT,
    created_at   TEXT NOT NULL,
    confirmed_at TEXT
);

CREATE TABLE mfa_recovery_codes (
    id        INTEGER PRIMARY KEY,
    user_id   INTEGER NOT NULL REFERENCES users(id),
    code_hash TEXT NOT NULL,                 -- SHA-256 of the code (80 random bits)
    used_at   TEXT
);
CREATE INDEX mfa_recovery_codes_user ON mfa_recovery_codes(user_id, code_hash);

-- A password was right but a second factor is due: login (code) or enrol (mandatory MFA).
CREATE TABLE mfa_pending (
    token_hash TEXT PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id),
    purpose    TEXT NOT NULL,
    attempts   INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);

ALTER TABLE sessions ADD COLUMN mfa_at TEXT;
