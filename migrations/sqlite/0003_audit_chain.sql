-- 0003_audit_chain.sql (SQLite) - S8: the audit trail becomes a hash chain with a severity,
-- retention purges leave checkpoints, and only those two maintenance paths may change rows.
ALTER TABLE audit_log ADD COLUMN seq INTEGER;
ALTER TABLE audit_log ADD COLUMN severity TEXT NOT NULL DEFAULT 'info';
ALTER TABLE audit_log ADD COLUMN prev_hash TEXT;
ALTER TABLE audit_log ADD COLUMN hash TEXT;
CREATE UNIQUE INDEX audit_log_seq ON audit_log(seq);
CREATE INDEX audit_log_unsealed ON audit_log(id) WHERE hash IS NULL;
CREATE INDEX audit_log_actor ON audit_log(actor, seq);
CREATE INDEX audit_log_action ON audit_log(action, seq);
CREATE INDEX audit_log_target_seq ON audit_log(target, seq);
CREATE INDEX audit_log_at ON audit_log(at);

-- The last entry of the chain: appends read and advance this one row.
CREATE TABLE audit_chain_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  INTEGER NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_chain_head(id, seq, hash)
    VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

-- One row per retention purge: the seq and hash of the last entry removed, so the remaining
-- chain verifies from here.
CREATE TABLE audit_checkpoints (
    id     INTEGER PRIMARY KEY,
    seq    INTEGER NOT NULL,
    hash   TEXT NOT NULL,
    at     TEXT NOT NULL,
    actor  TEXT NOT NULL,
    purged INTEGER NOT NULL,
    before TEXT NOT NULL
);
CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints
BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only'); END;
CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints
BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only'); END;

-- A marker row that exists only inside the transaction of `opsledger audit purge` (op 'purge',
-- entries up to seq upto) or of sealing entries written before this migration (op 'seal').
CREATE TABLE audit_maintenance (
    op   TEXT NOT NULL,
    upto INTEGER NOT NULL
);

DROP TRIGGER audit_log_no_update;
DROP TRIGGER audit_log_no_delete;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
WHEN OLD.hash IS NOT NULL OR NOT EXISTS (SELECT 1 FROM audit_maintenance WHERE op = 'seal')
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
WHEN NOT EXISTS (SELECT 1 FROM audit_maintenance WHERE op = 'purge' AND OLD.seq <= upto)
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only (only opsledger audit purge removes entries past retention)'); END;

-- Entries written before the chain existed are sealed by `opsledger migrate` (in id order).
INSERT INTO ol_meta(key, value) SELECT 'audit_unsealed_upto', COALESCE(MAX(id), 0) FROM audit_log;
