-- 0019: saved list views (issue 5): a user's named filter sets per record type, kept on the
-- server so they follow the user between browsers; a shared view is offered to everyone who
-- may read the type.
CREATE TABLE saved_views (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id),
    type       TEXT NOT NULL,     -- the record type's API path
    name       TEXT NOT NULL,
    query      TEXT NOT NULL,     -- JSON object of list parameters (filters, sort, q)
    columns    TEXT NOT NULL,     -- JSON array of column names; [] = the type's default
    shared     INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (user_id, type, name)
);
CREATE INDEX saved_views_shared ON saved_views(type, shared);
