-- 0002_access.sql (SQLite) - access control (S4-S6): organisation units, groups (support teams)
-- with members and roles, per-role grants beyond the record types' declared defaults, data scope,
-- time-bound role grants (temporary elevation) and access-review items.
CREATE TABLE org_units (
    name       TEXT PRIMARY KEY,
    label      TEXT NOT NULL DEFAULT '',
    parent     TEXT REFERENCES org_units(name),
    created_at TEXT NOT NULL
);

CREATE TABLE groups (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    label      TEXT NOT NULL DEFAULT '',
    org_unit   TEXT REFERENCES org_units(name),
    created_at TEXT NOT NULL
);

CREATE TABLE group_members (
    group_id INTEGER NOT NULL REFERENCES groups(id),
    user_id  INTEGER NOT NULL REFERENCES users(id),
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX group_members_user ON group_members(user_id);

CREATE TABLE group_roles (
    group_id INTEGER NOT NULL REFERENCES groups(id),
    role     TEXT NOT NULL,
    PRIMARY KEY (group_id, role)
);

-- Grants added by administrators: role may do action on resource ("*" = any).
CREATE TABLE role_grants (
    role       TEXT NOT NULL,
    resource   TEXT NOT NULL,
    action     TEXT NOT NULL,
    granted_by TEXT NOT NULL,
    granted_at TEXT NOT NULL,
    PRIMARY KEY (role, resource, action)
);

ALTER TABLE users ADD COLUMN org_unit TEXT REFERENCES org_units(name);
ALTER TABLE users ADD COLUMN data_scope TEXT NOT NULL DEFAULT 'all';
ALTER TABLE user_roles ADD COLUMN expires_at TEXT;
ALTER TABLE user_roles ADD COLUMN granted_by TEXT;
ALTER TABLE user_roles ADD COLUMN granted_at TEXT;

-- The transition a state change came from, for separation-of-duty rules (S6).
ALTER TABLE record_history ADD COLUMN transition TEXT;

-- Access reviews (S4): each right held when a review started, attested or revoked by a reviewer.
CREATE TABLE access_review_items (
    id         INTEGER PRIMARY KEY,
    review_id  INTEGER NOT NULL REFERENCES records(id),
    username   TEXT NOT NULL,
    role       TEXT NOT NULL,
    source     TEXT NOT NULL,      -- direct | elevation | group:NAME
    privileged INTEGER NOT NULL,
    decision   TEXT,               -- attest | revoke, NULL while undecided
    note       TEXT,
    decided_by TEXT,
    decided_at TEXT
);
CREATE INDEX access_review_items_review ON access_review_items(review_id, id);
