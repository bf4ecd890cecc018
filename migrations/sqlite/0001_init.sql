-- 0001_init.sql (SQLite) - the record engine, accounts and the audit table.
CREATE TABLE ol_meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL DEFAULT '',
    password_hash TEXT NOT NULL,
    disabled      INTEGER NOT NULL DEFAULT 0,
    created_at    TEXT NOT NULL
);

CREATE TABLE user_roles (
    user_id INTEGER NOT NULL REFERENCES users(id),
    role    TEXT NOT NULL,
    PRIMARY KEY (user_id, role)
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id),
    csrf       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);

CREATE TABLE api_tokens (
    id         INTEGER PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    user_id    INTEGER NOT NULL REFERENCES users(id),
    name       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT,
    revoked    INTEGER NOT NULL DEFAULT 0
);

-- Human numbers: one counter per record type (KB-000001).
CREATE TABLE counters (
    type TEXT PRIMARY KEY,
    next INTEGER NOT NULL
);

-- Every record of every type. Shared columns are real, indexed columns; the type's own fields
-- live in data (JSON) and are validated by the declared schema.
CREATE TABLE records (
    id               INTEGER PRIMARY KEY,
    type             TEXT NOT NULL,
    number           TEXT NOT NULL UNIQUE,
    title            TEXT NOT NULL,
    state            TEXT NOT NULL,
    priority         TEXT,
    owner            TEXT,
    grp              TEXT,
    version          INTEGER NOT NULL,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    state_changed_at TEXT NOT NULL,
    created_by       TEXT NOT NULL,
    updated_by       TEXT NOT NULL,
    data             TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX records_type_id ON records(type, id);
CREATE INDEX records_type_state ON records(type, state, id);
CREATE INDEX records_type_updated ON records(type, updated_at, id);
CREATE INDEX records_type_created ON records(type, created_at, id);
CREATE INDEX records_type_owner ON records(type, owner, id);
CREATE INDEX records_type_priority ON records(type, priority, id);
CREATE INDEX records_type_grp ON records(type, grp, id);

-- Field-level history, written in the same transaction as the change.
CREATE TABLE record_history (
    id        INTEGER PRIMARY KEY,
    record_id INTEGER NOT NULL REFERENCES records(id),
    version   INTEGER NOT NULL,
    actor     TEXT NOT NULL,
    at        TEXT NOT NULL,
    action    TEXT NOT NULL,      -- create | update | transition
    field     TEXT,
    old_value TEXT,               -- JSON text
    new_value TEXT,               -- JSON text
    reason    TEXT
);
CREATE INDEX record_history_record ON record_history(record_id, id);

CREATE TABLE comments (
    id        INTEGER PRIMARY KEY,
    record_id INTEGER NOT NULL REFERENCES records(id),
    kind      TEXT NOT NULL,      -- comment | work_note
    author    TEXT NOT NULL,
    at        TEXT NOT NULL,
    body      TEXT NOT NULL
);
CREATE INDEX comments_record ON comments(record_id, id);

CREATE TABLE links (
    id         INTEGER PRIMARY KEY,
    src_id     INTEGER NOT NULL REFERENCES records(id),
    dst_id     INTEGER NOT NULL REFERENCES records(id),
    link_type  TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (src_id, dst_id, link_type)
);
CREATE INDEX links_dst ON links(dst_id, id);

-- Append-only audit trail: who, when, what, from where, result.
CREATE TABLE audit_log (
    id      INTEGER PRIMARY KEY,
    at      TEXT NOT NULL,
    actor   TEXT NOT NULL,
    action  TEXT NOT NULL,
    target  TEXT,
    ip      TEXT,
    result  TEXT NOT NULL,
    detail  TEXT
);
CREATE INDEX audit_log_target ON audit_log(target, id);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;

-- Full-text search (P4): trigram tokens find Chinese substrings. rowid = records.id / comments.id.
CREATE VIRTUAL TABLE record_fts USING fts5(text, tokenize = 'trigram');
CREATE VIRTUAL TABLE comment_fts USING fts5(text, tokenize = 'trigram');
