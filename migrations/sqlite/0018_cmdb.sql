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
