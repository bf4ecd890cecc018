-- 0014_sla.sql - I4 SLA timers and breaches. One timer per record and kind (response,
-- resolution), written in the same transaction as the record. Times are seconds since the epoch
-- (UTC). due_at and warn_at are set only while a warning or a breach is still to fire, so serve's
-- sweep reads them through their partial indexes (WHERE due_at <= now), never all timers;
-- deadline keeps the due time for the "breaching soon" list.
CREATE TABLE sla_timers (
    id             INTEGER PRIMARY KEY,
    record_id      INTEGER NOT NULL REFERENCES records(id),
    record_type    TEXT NOT NULL,
    number         TEXT NOT NULL,
    kind           TEXT NOT NULL,             -- response | resolution
    category       TEXT NOT NULL DEFAULT '',  -- the policy's key when the timer was (re)set
    priority       TEXT NOT NULL DEFAULT '',
    grp            TEXT,
    calendar       TEXT NOT NULL,             -- 7x24 | 5x8
    target_minutes INTEGER NOT NULL,          -- business minutes
    status         TEXT NOT NULL,             -- running | paused | met | cancelled
    started_at     INTEGER NOT NULL,
    run_from       INTEGER,                   -- start of the running stretch (status running)
    used_seconds   INTEGER NOT NULL DEFAULT 0, -- business seconds used before run_from
    paused_seconds INTEGER NOT NULL DEFAULT 0, -- wall-clock seconds spent paused
    paused_at      INTEGER,
    deadline       INTEGER,                   -- when the target runs out (status running)
    warn_at        INTEGER,                   -- the warning still to fire
    due_at         INTEGER,                   -- the breach still to fire
    warned_at      INTEGER,
    breached_at    INTEGER,
    met_at         INTEGER,
    UNIQUE (record_id, kind)
);
CREATE INDEX sla_timers_due ON sla_timers(due_at) WHERE due_at IS NOT NULL;
CREATE INDEX sla_timers_warn ON sla_timers(warn_at) WHERE warn_at IS NOT NULL;
CREATE INDEX sla_timers_deadline ON sla_timers(deadline) WHERE status = 'running';
CREATE INDEX sla_timers_met ON sla_timers(met_at);

-- One row per breach, kept for the monthly SLA report (002 §2.7.5: 违约日志).
CREATE TABLE sla_breaches (
    id             INTEGER PRIMARY KEY,
    timer_id       INTEGER NOT NULL REFERENCES sla_timers(id),
    record_id      INTEGER NOT NULL REFERENCES records(id),
    record_type    TEXT NOT NULL,
    number         TEXT NOT NULL,
    kind           TEXT NOT NULL,
    category       TEXT NOT NULL,
    priority       TEXT NOT NULL,
    grp            TEXT,
    target_minutes INTEGER NOT NULL,
    due_at         INTEGER NOT NULL,
    recorded_at    INTEGER NOT NULL
);
CREATE INDEX sla_breaches_due ON sla_breaches(due_at);

-- When a record is next due to be looked at again though nobody writes it (I3: an incident's next
-- level rise), kept by the record engine in the write's transaction; serve's sweep reads what is
-- due through the index instead of scanning open records. Incidents open at the upgrade are due
-- at once (wake_at 0): the first sweeps settle each to its real next time.
CREATE TABLE record_wakeups (
    record_id   INTEGER PRIMARY KEY REFERENCES records(id),
    record_type TEXT NOT NULL,
    number      TEXT NOT NULL,
    wake_at     INTEGER NOT NULL
);
CREATE INDEX record_wakeups_due ON record_wakeups(record_type, wake_at);
INSERT INTO record_wakeups(record_id, record_type, number, wake_at)
SELECT id, type, number, 0 FROM records
WHERE type = 'incident' AND state IN ('new', 'assigned', 'in_progress', 'awaiting_user');
