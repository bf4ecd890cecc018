-- S7 sensitive data: every field-encryption key id that has sealed a value. A server refuses to
-- start when the key file lacks one of them (unless `opsledger keys rotate` retired it: no value
-- uses it any more). The keys themselves never enter the database.
CREATE TABLE field_keys (
    key_id     TEXT PRIMARY KEY,
    added_at   TEXT NOT NULL,
    retired_at TEXT
);
