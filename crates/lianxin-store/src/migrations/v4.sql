-- Migration 3 → 4: automatic return visits (回访, issue 11).
--
-- Runs inside one transaction with foreign keys off, like v3.sql; the result must equal
-- a fresh database made from schema.sql (tested in db.rs): new columns are appended, so
-- schema.sql lists them last, in this order.

-- A campaign is a group call ('notice') or the return visit of one request
-- ('return_visit': one household, kept out of the staff's group-call lists).
ALTER TABLE campaigns ADD COLUMN kind TEXT NOT NULL DEFAULT 'notice'
    CHECK (kind IN ('notice','return_visit'));

-- The one number a campaign calls for a household (a return visit calls the number the
-- request came from); NULL: the household's phones, as before.
ALTER TABLE campaign_households ADD COLUMN number TEXT;

-- One automatic return visit per resolution of a request, queued in the transaction
-- that resolves it.
CREATE TABLE IF NOT EXISTS return_visits (
    id           INTEGER PRIMARY KEY,
    request_id   INTEGER NOT NULL REFERENCES requests(id),
    due_ms       INTEGER NOT NULL,
    state        TEXT NOT NULL DEFAULT 'pending'
                 CHECK (state IN ('pending','calling','done','skipped','cancelled')),
    campaign_id  INTEGER REFERENCES campaigns(id),
    outcome      TEXT,
    note         TEXT NOT NULL DEFAULT '',
    created_ms   INTEGER NOT NULL,
    done_ms      INTEGER
);
CREATE INDEX IF NOT EXISTS return_visits_state ON return_visits(state, due_ms);
CREATE INDEX IF NOT EXISTS return_visits_request ON return_visits(request_id);
