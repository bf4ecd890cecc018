-- 0008_accounts.sql (SQLite) - S1 password age and history, S2 lockout, S4 account lifecycle.
ALTER TABLE users ADD COLUMN kind TEXT NOT NULL DEFAULT 'regular';
ALTER TABLE users ADD COLUMN expires_at TEXT;
ALTER TABLE users ADD COLUMN phone TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN disabled_at TEXT;
ALTER TABLE users ADD COLUMN disabled_reason TEXT;
ALTER TABLE users ADD COLUMN password_changed_at TEXT;
ALTER TABLE users ADD COLUMN must_change_password INTEGER NOT NULL DEFAULT 0;
-- S2: consecutive failures, the lock, and failures of the current UTC day (for the alert).
ALTER TABLE users ADD COLUMN failed_logins INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN locked_until TEXT;
ALTER TABLE users ADD COLUMN fail_day TEXT;
ALTER TABLE users ADD COLUMN fail_day_count INTEGER NOT NULL DEFAULT 0;
UPDATE users SET password_changed_at = created_at;

-- S1: the hashes of the last passwords (the current one included), newest last.
CREATE TABLE password_history (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id),
    hash       TEXT NOT NULL,
    changed_at TEXT NOT NULL
);
CREATE INDEX password_history_user ON password_history(user_id, id);
INSERT INTO password_history(user_id, hash, changed_at) SELECT id, password_hash, created_at FROM users;
CREATE INDEX users_expires ON users(expires_at) WHERE expires_at IS NOT NULL;
