-- 0023: P7 "who is notified of what is configurable per team": each rule sends the notices of
-- one event (or a family: "sla.*", or "*") about the records of one team (grp; '' = any team)
-- to a channel as well, beside the channel the event's own policy names.
CREATE TABLE notify_rules (
    id         INTEGER PRIMARY KEY,
    event      TEXT NOT NULL,     -- "sla.breach", "sla.*" or "*"
    grp        TEXT NOT NULL DEFAULT '',  -- the records' group (team); '' = every team
    channel    TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    UNIQUE (event, grp, channel)
);
