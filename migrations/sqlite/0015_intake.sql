-- 0015_intake.sql - I1 monitoring intake: the integrations that may post alerts (each with its
-- own token, stored hashed like API tokens), the alerts received (one row per alert key, so that
-- repeated notifications update one incident), and the alert storms that converged many alerts
-- of one service or CI into one parent incident.
CREATE TABLE integrations (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    kind        TEXT NOT NULL,              -- alertmanager | zabbix | generic
    token_hash  TEXT NOT NULL UNIQUE,       -- hex SHA-256 of the token (shown once)
    mapping     TEXT NOT NULL DEFAULT '{}', -- JSON: labels, severities, group (override policy)
    revoked     INTEGER NOT NULL DEFAULT 0,
    created_at  TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    revoked_at  TEXT,
    last_used_at TEXT
);

CREATE TABLE alerts (
    id             INTEGER PRIMARY KEY,
    integration_id INTEGER NOT NULL REFERENCES integrations(id),
    alert_key      TEXT NOT NULL,           -- fingerprint, dedupe_key or Zabbix event id
    incident       TEXT NOT NULL,           -- number of the incident it is merged into
    storm_id       INTEGER,                 -- the storm whose parent incident it joined
    name           TEXT NOT NULL,           -- alertname, trigger name or summary
    severity       TEXT NOT NULL DEFAULT '',
    service        TEXT NOT NULL DEFAULT '',
    ci             TEXT NOT NULL DEFAULT '',
    scope          TEXT NOT NULL DEFAULT '', -- 'service:X' or 'ci:X' (storm detection), '' none
    status         TEXT NOT NULL,           -- firing | resolved
    count          INTEGER NOT NULL DEFAULT 1, -- notifications received for this incident
    first_seen     TEXT NOT NULL,
    first_epoch    INTEGER NOT NULL,
    last_seen      TEXT NOT NULL,
    resolved_at    TEXT,
    url            TEXT NOT NULL DEFAULT '', -- generatorURL / source link
    labels         TEXT NOT NULL DEFAULT '{}',
    UNIQUE (integration_id, alert_key)
);
CREATE INDEX alerts_incident ON alerts(incident);
CREATE INDEX alerts_scope ON alerts(scope, first_epoch);

CREATE TABLE alert_storms (
    id          INTEGER PRIMARY KEY,
    scope       TEXT NOT NULL,
    incident    TEXT NOT NULL,              -- the parent incident
    alerts      INTEGER NOT NULL,           -- alerts counted in the storm
    started_at  TEXT NOT NULL,
    last_epoch  INTEGER NOT NULL
);
CREATE INDEX alert_storms_scope ON alert_storms(scope, last_epoch);
