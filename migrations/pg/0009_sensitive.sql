-- S7 sensitive data: every field-encryption key id that has sealed a value, with a fingerprint
-- of the key (a keyed hash that does not reveal it). A server refuses to start when its key file
-- lacks one of these keys or holds another key under the same id, unless `opsledger keys rotate`
-- retired it (no value uses it any more). The keys themselves never enter the database.
CREATE TABLE field_keys (
    key_id      TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    added_at    TEXT NOT NULL,
    retired_at  TEXT
);
