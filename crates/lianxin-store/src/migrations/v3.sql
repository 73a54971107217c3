-- Migration 2 → 3: requests tracked to the end (issue 11).
--
-- Runs inside one transaction with foreign keys off, like v2.sql; db.rs runs
-- `PRAGMA foreign_key_check` before committing. The result must equal a fresh database
-- made from schema.sql (tested in db.rs): new columns are appended (ALTER TABLE … ADD
-- COLUMN), so schema.sql lists them last, in this order.

-- The console's id of a hotline call (`call.ringing`'s `call_id`, e.g.
-- '20260105093000-17'), so a request or a voice message made from a pop finds its row.
ALTER TABLE calls ADD COLUMN desk_call_id TEXT;
CREATE INDEX IF NOT EXISTS calls_desk ON calls(desk_call_id);

-- How often a household should be visited (民生信号灯); NULL = no fixed rhythm.
ALTER TABLE households ADD COLUMN visit_frequency TEXT
    CHECK (visit_frequency IN ('weekly','monthly','quarterly'));

-- Departments of the street office a request can be escalated to (seed 003: they must
-- answer within 3 days).
CREATE TABLE IF NOT EXISTS departments (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL UNIQUE,
    answer_days  INTEGER NOT NULL DEFAULT 3 CHECK (answer_days > 0),
    active       INTEGER NOT NULL DEFAULT 1
);

-- Request categories, "某一项.某一类" (item.class), with their default alarm thresholds.
CREATE TABLE IF NOT EXISTS request_categories (
    id             INTEGER PRIMARY KEY,
    item           TEXT NOT NULL,
    class          TEXT NOT NULL DEFAULT '',
    level1_days    INTEGER NOT NULL DEFAULT 5 CHECK (level1_days > 0),
    deadline_days  INTEGER NOT NULL DEFAULT 8 CHECK (deadline_days >= level1_days),
    active         INTEGER NOT NULL DEFAULT 1,
    UNIQUE (item, class)
);
-- (The default list is seeded by categories.sql, for fresh and upgraded files alike.)

-- Requests: the workflow stage (status open/closed stays, in step: closed exactly when
-- resolved or feedback given), escalation, the unknown caller, the feedback result and
-- the console's id of the call they came from.
ALTER TABLE requests ADD COLUMN stage TEXT NOT NULL DEFAULT 'new'
    CHECK (stage IN ('new','assigned','in_progress','escalated','resolved','feedback_given','reopened'));
ALTER TABLE requests ADD COLUMN department_id INTEGER REFERENCES departments(id);
ALTER TABLE requests ADD COLUMN escalation_level INTEGER NOT NULL DEFAULT 0; -- 0 block, 1 committee, 2 street office
ALTER TABLE requests ADD COLUMN department_due_ms INTEGER;
ALTER TABLE requests ADD COLUMN caller_name TEXT NOT NULL DEFAULT '';   -- unknown caller
ALTER TABLE requests ADD COLUMN caller_number TEXT NOT NULL DEFAULT '';
ALTER TABLE requests ADD COLUMN feedback_result TEXT
    CHECK (feedback_result IN ('satisfied','not_satisfied','not_reached'));
ALTER TABLE requests ADD COLUMN desk_call_id TEXT;
UPDATE requests SET
    stage = CASE
        WHEN status = 'closed' AND feedback_ms IS NOT NULL THEN 'feedback_given'
        WHEN status = 'closed' THEN 'resolved'
        WHEN responsible_staff_id IS NOT NULL THEN 'assigned'
        ELSE 'new' END,
    feedback_result = CASE feedback_satisfied WHEN 1 THEN 'satisfied' WHEN 0 THEN 'not_satisfied' END;
CREATE INDEX IF NOT EXISTS requests_responsible ON requests(responsible_staff_id, status);
CREATE INDEX IF NOT EXISTS requests_captain ON requests(captain_staff_id, status);

-- Each request's timeline: who did what when, what changed (a JSON object of
-- field → [old, new]) and a note.
CREATE TABLE IF NOT EXISTS request_events (
    id          INTEGER PRIMARY KEY,
    request_id  INTEGER NOT NULL REFERENCES requests(id),
    staff_id    INTEGER REFERENCES staff(id),  -- NULL: the command line
    at_ms       INTEGER NOT NULL,
    kind        TEXT NOT NULL,
    changes     TEXT NOT NULL DEFAULT '{}',
    note        TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS request_events_request ON request_events(request_id, at_ms);

-- Home visits (入户走访) and the requests raised on them.
CREATE TABLE IF NOT EXISTS visits (
    id            INTEGER PRIMARY KEY,
    household_id  INTEGER NOT NULL REFERENCES households(id),
    staff_id      INTEGER REFERENCES staff(id),
    visited_ms    INTEGER NOT NULL,
    notes         TEXT NOT NULL DEFAULT '',
    created_ms    INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS visits_household ON visits(household_id, visited_ms);
CREATE INDEX IF NOT EXISTS visits_staff ON visits(staff_id, visited_ms);
CREATE TABLE IF NOT EXISTS visit_requests (
    visit_id    INTEGER NOT NULL REFERENCES visits(id),
    request_id  INTEGER NOT NULL REFERENCES requests(id),
    PRIMARY KEY (visit_id, request_id)
) WITHOUT ROWID;

-- Daily work log (日常工作记录): meetings, activities, other work.
CREATE TABLE IF NOT EXISTS work_log (
    id          INTEGER PRIMARY KEY,
    staff_id    INTEGER REFERENCES staff(id),
    at_ms       INTEGER NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('meeting','activity','other')),
    text        TEXT NOT NULL,
    created_ms  INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS work_log_staff ON work_log(staff_id, at_ms);
