-- 0018: the CMDB (K1, K2): a CI's ci_id is unique among CIs (the engine names the field from the
-- index name records_<type>_<field>_key), and typed, directed relationships between CIs,
-- indexed both ways for impact analysis.
CREATE UNIQUE INDEX records_ci_ci_id_key ON records(json_extract(data, '$.ci_id')) WHERE type = 'ci';

CREATE TABLE ci_relations (
    src_id     INTEGER NOT NULL REFERENCES records(id),
    dst_id     INTEGER NOT NULL REFERENCES records(id),
    type       TEXT NOT NULL,        -- hosts | runs_on | depends_on | connects_to | backs_up | uses
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    PRIMARY KEY (src_id, dst_id, type)
) WITHOUT ROWID;
CREATE INDEX ci_relations_dst ON ci_relations(dst_id, src_id, type);

-- K3: the deviations from a baseline that a compliance scan found, each with the incident it
-- opened; at most one open per CI and baseline, closed when a later scan finds the CI compliant.
CREATE TABLE ci_deviations (
    ci_id       INTEGER NOT NULL REFERENCES records(id),
    baseline_id INTEGER NOT NULL REFERENCES records(id),
    incident    TEXT NOT NULL,       -- INC-nnnnnn
    detail      TEXT NOT NULL,       -- JSON: [{"field","expected","actual"}]
    opened_at   TEXT NOT NULL,
    closed_at   TEXT
);
CREATE UNIQUE INDEX ci_deviations_open ON ci_deviations(ci_id, baseline_id) WHERE closed_at IS NULL;
CREATE INDEX ci_deviations_baseline ON ci_deviations(baseline_id, closed_at);

-- K4: the CIs an audit by sampling picked, and what the auditor found for each.
CREATE TABLE ci_audit_items (
    id         INTEGER PRIMARY KEY,
    audit_id   INTEGER NOT NULL REFERENCES records(id),
    ci_id      INTEGER NOT NULL REFERENCES records(id),
    status     TEXT NOT NULL DEFAULT 'unaudited', -- unaudited | matched | mismatched | missing
    note       TEXT,
    corrected  INTEGER NOT NULL DEFAULT 0,         -- 1: the CI was corrected from the finding
    checked_by TEXT,
    checked_at TEXT,
    UNIQUE (audit_id, ci_id)
);
