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
