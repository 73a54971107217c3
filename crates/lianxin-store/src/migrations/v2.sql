-- Migration 1 → 2: group-call campaigns (issue 9).
--
-- Runs inside one transaction with foreign keys off (SQLite's procedure for changing a
-- table's constraints: create the new table, copy, drop the old one, rename); db.rs runs
-- `PRAGMA foreign_key_check` before committing. The result must equal a fresh database
-- made from schema.sql (tested in db.rs).

-- A household can ask for no non-urgent notices.
ALTER TABLE households ADD COLUMN no_notices INTEGER NOT NULL DEFAULT 0;

-- Campaigns: options as columns, a 'paused' state, 'done' becomes 'finished'.
CREATE TABLE campaigns_v2 (
    id               INTEGER PRIMARY KEY,
    name             TEXT NOT NULL,
    prompt           TEXT NOT NULL,            -- the notice: a prompt name or an audio file
    created_by       INTEGER REFERENCES staff(id),
    created_ms       INTEGER NOT NULL,
    status           TEXT NOT NULL DEFAULT 'draft'
                     CHECK (status IN ('draft','running','paused','finished','cancelled')),
    started_ms       INTEGER,
    finished_ms      INTEGER,
    caller_id        TEXT NOT NULL DEFAULT '', -- number presented to households
    max_calls        INTEGER NOT NULL DEFAULT 100,
    calls_per_second REAL NOT NULL DEFAULT 0,  -- new calls per second; 0 = unlimited
    ring_timeout_ms  INTEGER NOT NULL DEFAULT 30000,
    retries          INTEGER NOT NULL DEFAULT 2,
    retry_pause_ms   INTEGER NOT NULL DEFAULT 300000,
    number_strategy  TEXT NOT NULL DEFAULT 'first' CHECK (number_strategy IN ('first','each')),
    window_open      TEXT,                     -- 'HH:MM' Asia/Shanghai; NULL = any time
    window_close     TEXT,
    urgent           INTEGER NOT NULL DEFAULT 0,
    confirm_key      INTEGER NOT NULL DEFAULT 0 -- 1: the notice ends with "press 1"
);
INSERT INTO campaigns_v2 (id, name, prompt, created_by, created_ms, status, started_ms, finished_ms)
    SELECT id, name, prompt, created_by, created_ms,
           CASE status WHEN 'done' THEN 'finished' ELSE status END, started_ms, finished_ms
    FROM campaigns;
DROP TABLE campaigns;
ALTER TABLE campaigns_v2 RENAME TO campaigns;
CREATE INDEX IF NOT EXISTS campaigns_status ON campaigns(status);

-- Attempts: the new states, SIP code, reason, confirmation, one row per household and
-- attempt. Version 1 rows keep their order; 'answered' was a heard notice, and rows
-- still pending or dialling were never finished, so they were interrupted.
CREATE TABLE campaign_calls_v2 (
    id             INTEGER PRIMARY KEY,
    campaign_id    INTEGER NOT NULL REFERENCES campaigns(id),
    household_id   INTEGER NOT NULL REFERENCES households(id),
    attempt        INTEGER NOT NULL,
    number         TEXT NOT NULL,              -- normalized, as stored for the household
    dialled        TEXT NOT NULL DEFAULT '',   -- as sent to the trunk (after the dial rule)
    state          TEXT NOT NULL DEFAULT 'dialing'
                   CHECK (state IN ('dialing','heard','hung_up_early','no_answer','busy','declined',
                       'invalid_number','failed','interrupted','cancelled')),
    created_ms     INTEGER NOT NULL,           -- attempt started (row written)
    dialed_ms      INTEGER,
    answered_ms    INTEGER,                    -- 200 OK
    ended_ms       INTEGER,
    sip_code       INTEGER,                    -- final response code, if any
    reason         TEXT NOT NULL DEFAULT '',
    heard_seconds  REAL,
    confirm_key    TEXT,
    call_id        INTEGER REFERENCES calls(id),
    UNIQUE (campaign_id, household_id, attempt)
);
INSERT INTO campaign_calls_v2 (id, campaign_id, household_id, attempt, number, dialled, state,
                               created_ms, dialed_ms, answered_ms, ended_ms, heard_seconds, call_id)
    SELECT id, campaign_id, household_id,
           row_number() OVER (PARTITION BY campaign_id, household_id ORDER BY attempt, id),
           number, number,
           CASE state WHEN 'answered' THEN 'heard'
                      WHEN 'pending' THEN 'interrupted'
                      WHEN 'dialing' THEN 'interrupted'
                      ELSE state END,
           created_ms, dialed_ms, answered_ms, ended_ms, heard_seconds, call_id
    FROM campaign_calls;
DROP TABLE campaign_calls;
ALTER TABLE campaign_calls_v2 RENAME TO campaign_calls;
CREATE INDEX IF NOT EXISTS campaign_calls_campaign ON campaign_calls(campaign_id, state);
CREATE INDEX IF NOT EXISTS campaign_calls_household ON campaign_calls(household_id, created_ms);

-- The households of each campaign, with the outcome of its last attempt (reached when
-- any attempt was heard).
CREATE TABLE IF NOT EXISTS campaign_households (
    campaign_id    INTEGER NOT NULL REFERENCES campaigns(id),
    household_id   INTEGER NOT NULL REFERENCES households(id),
    opted_out      INTEGER NOT NULL DEFAULT 0, -- no non-urgent notices, so not called
    outcome        TEXT CHECK (outcome IN ('heard','hung_up_early','no_answer','busy','declined',
                       'invalid_number','failed','interrupted','cancelled','opted_out','no_number')),
    reached        INTEGER,                    -- 1 是 / 0 否; NULL until final
    attempts       INTEGER NOT NULL DEFAULT 0,
    seconds_heard  REAL,
    confirmed      TEXT,                       -- key pressed to confirm hearing it
    finished_ms    INTEGER,
    PRIMARY KEY (campaign_id, household_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS campaign_households_household ON campaign_households(household_id);
CREATE INDEX IF NOT EXISTS campaign_households_household ON campaign_households(household_id);
INSERT INTO campaign_households (campaign_id, household_id, outcome, reached, attempts,
                                 seconds_heard, finished_ms)
    SELECT k.campaign_id, k.household_id,
           CASE WHEN max(k.state = 'heard') = 1 THEN 'heard'
                ELSE (SELECT l.state FROM campaign_calls l
                      WHERE l.campaign_id = k.campaign_id AND l.household_id = k.household_id
                      ORDER BY l.attempt DESC LIMIT 1) END,
           max(k.state = 'heard'), count(*), max(k.heard_seconds), max(k.ended_ms)
    FROM campaign_calls k GROUP BY k.campaign_id, k.household_id;

-- Follow-up lists of block captains (not back-filled for campaigns of version 1).
CREATE TABLE IF NOT EXISTS follow_ups (
    id                INTEGER PRIMARY KEY,
    campaign_id       INTEGER NOT NULL REFERENCES campaigns(id),
    household_id      INTEGER NOT NULL REFERENCES households(id),
    captain_staff_id  INTEGER REFERENCES staff(id), -- NULL: the block has no captain account
    created_ms        INTEGER NOT NULL,
    status            TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open','done')),
    done_ms           INTEGER,
    done_by           INTEGER REFERENCES staff(id),
    note              TEXT NOT NULL DEFAULT '',
    UNIQUE (campaign_id, household_id)
);
CREATE INDEX IF NOT EXISTS follow_ups_captain ON follow_ups(captain_staff_id, status);
