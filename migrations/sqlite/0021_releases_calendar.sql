-- 0021: releases and the operations calendar (issue 7: R2, P5).
-- R2: the gray-release log of a release: each stage started, each gate reading (the metrics
-- entered by an operator or posted by monitoring, and whether they met the stage's gates),
-- the stage advanced, the circuit breaker tripped. Append-only; the release record mirrors
-- its current stage and gate status from here.
CREATE TABLE release_rollout (
    id         INTEGER PRIMARY KEY,
    release    TEXT NOT NULL,     -- the release's number (REL-...)
    stage      INTEGER NOT NULL,  -- 1-based stage of the release's plan
    event      TEXT NOT NULL,     -- start, reading, trip, complete
    percent    INTEGER NOT NULL,  -- the stage's share of traffic
    passed     INTEGER,           -- reading: 1 when every gate was met
    metrics    TEXT,              -- reading: JSON object of metric values
    detail     TEXT,              -- the gates that failed, or the reason
    source     TEXT,              -- reading: operator or monitoring
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX release_rollout_release ON release_rollout(release, id);
-- P5: iCalendar feeds: a user's secret feed address (per user, or per team: the records of
-- one group), stored as a hash; revoked feeds stay for the audit trail.
CREATE TABLE calendar_feeds (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users(id),
    token_hash   TEXT NOT NULL UNIQUE,
    name         TEXT NOT NULL,
    team         TEXT,            -- NULL: everything the user may read; else one group
    created_at   TEXT NOT NULL,
    revoked_at   TEXT,
    last_used_at TEXT
);
CREATE INDEX calendar_feeds_user ON calendar_feeds(user_id);
