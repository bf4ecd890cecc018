-- 0011_outbox.sql - P7 notifications: the channels administrators configure and the durable
-- outbox. A notice is inserted in the same transaction as the change that caused it; the
-- delivery worker claims due notices (state 'sending' with next_attempt_at as the lease end),
-- so a notice whose sender died becomes due again when its lease runs out.
CREATE TABLE notification_channels (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    kind        TEXT NOT NULL,            -- webhook | email
    format      TEXT NOT NULL DEFAULT '', -- webhook: dingtalk | wecom | feishu | slack | generic
    url         TEXT NOT NULL,            -- http(s):// or smtp(s)://
    lang        TEXT NOT NULL DEFAULT 'en',
    secret_enc  TEXT,                     -- webhook signing secret or SMTP password, sealed (S7)
    smtp_user   TEXT NOT NULL DEFAULT '',
    starttls    INTEGER NOT NULL DEFAULT 0,
    mail_from   TEXT NOT NULL DEFAULT '',
    mail_to     TEXT NOT NULL DEFAULT '', -- comma-separated addresses
    disabled    INTEGER NOT NULL DEFAULT 0,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    channel         TEXT NOT NULL,
    event           TEXT NOT NULL,
    record          TEXT,
    dedupe_key      TEXT NOT NULL UNIQUE,
    subject_en      TEXT NOT NULL,
    body_en         TEXT NOT NULL,
    subject_zh      TEXT NOT NULL,
    body_zh         TEXT NOT NULL,
    state           TEXT NOT NULL DEFAULT 'pending', -- pending | sending | sent | dead
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,                -- epoch seconds; the lease end while sending
    last_error      TEXT,
    created_at      TEXT NOT NULL,
    sent_at         TEXT,
    created_by      TEXT                             -- who caused it (the actor of the change)
);
CREATE INDEX outbox_due ON outbox(next_attempt_at) WHERE state IN ('pending', 'sending');
CREATE INDEX outbox_state ON outbox(state, id);
