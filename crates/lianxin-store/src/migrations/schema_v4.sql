-- Lianxin database schema, version 4.
--
-- The one source of truth for the schema: embedded into lianxin-store with include_str!
-- and applied when PRAGMA user_version is 0. Older files are upgraded in place by the
-- numbered migrations in crates/lianxin-store/src/migrations/ (v2.sql: group-call
-- campaigns; v3.sql: requests tracked to the end, visits, work log; v4.sql: automatic return
-- visits); this file always describes a fresh database of the newest version.
--
-- Conventions: times are UTC unix milliseconds in *_ms columns; dates of birth are
-- 'YYYY-MM-DD' text; phone numbers are stored twice, as entered (raw) and normalized
-- (lianxin_store::callerid: '01065123456' for Beijing landlines, '13912345678' for mobiles).

-- Staff users: operators, block captains, committee staff, supervisors, admins.
CREATE TABLE IF NOT EXISTS staff (
    id              INTEGER PRIMARY KEY,
    username        TEXT NOT NULL UNIQUE,
    display_name    TEXT NOT NULL,
    role            TEXT NOT NULL CHECK (role IN ('operator','captain','committee','supervisor','admin')),
    extension       TEXT,                      -- SIP extension of the desk phone, if any
    phone           TEXT,                      -- contact number (captains: their mobile)
    password_hash   TEXT NOT NULL DEFAULT '',  -- argon2 PHC string; '' = cannot log in
    sip_ha1_md5     TEXT NOT NULL DEFAULT '',  -- hex MD5(username:realm:password)
    sip_ha1_sha256  TEXT NOT NULL DEFAULT '',  -- hex SHA-256(username:realm:password)
    active          INTEGER NOT NULL DEFAULT 1,
    created_ms      INTEGER NOT NULL
);

-- Blocks (片区), each with its block captain (包片主任).
CREATE TABLE IF NOT EXISTS blocks (
    id                INTEGER PRIMARY KEY,
    name              TEXT NOT NULL UNIQUE,
    captain_staff_id  INTEGER REFERENCES staff(id),
    captain_name      TEXT,
    captain_phone     TEXT,
    notes             TEXT NOT NULL DEFAULT ''
);

-- Households: one address, several residents, several numbers.
CREATE TABLE IF NOT EXISTS households (
    id          INTEGER PRIMARY KEY,
    code        TEXT NOT NULL UNIQUE,          -- the committee's own household number
    street      TEXT NOT NULL,                 -- 内务部街
    number      TEXT NOT NULL DEFAULT '',      -- 甲42 (号)
    building    TEXT NOT NULL DEFAULT '',      -- 3 (号楼)
    unit        TEXT NOT NULL DEFAULT '',      -- 2 (单元)
    room        TEXT NOT NULL DEFAULT '',      -- 501
    dwelling    TEXT NOT NULL CHECK (dwelling IN ('bungalow','flat')),
    block_id    INTEGER REFERENCES blocks(id),
    notes       TEXT NOT NULL DEFAULT '',
    created_ms  INTEGER NOT NULL,
    no_notices  INTEGER NOT NULL DEFAULT 0,    -- 1: asked for no non-urgent group-call notices
    visit_frequency TEXT                       -- 民生信号灯: how often to visit; NULL = no rhythm
                CHECK (visit_frequency IN ('weekly','monthly','quarterly'))
);
CREATE INDEX IF NOT EXISTS households_block ON households(block_id);

-- Residents (居民), members of a household.
CREATE TABLE IF NOT EXISTS residents (
    id            INTEGER PRIMARY KEY,
    household_id  INTEGER NOT NULL REFERENCES households(id),
    name          TEXT NOT NULL,
    sex           TEXT NOT NULL CHECK (sex IN ('F','M')),
    dob           TEXT,                        -- YYYY-MM-DD or NULL when unknown
    work          TEXT NOT NULL DEFAULT '',
    skills        TEXT NOT NULL DEFAULT '',    -- skills and hobbies
    notes         TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS residents_household ON residents(household_id);
-- No index on name: search is by substring (LIKE '%…%'), which no index serves, and
-- every index slows the million-row import.

-- Phone numbers: owned by a household, optionally by one of its residents.
CREATE TABLE IF NOT EXISTS phones (
    id            INTEGER PRIMARY KEY,
    household_id  INTEGER NOT NULL REFERENCES households(id),
    resident_id   INTEGER REFERENCES residents(id),
    raw           TEXT NOT NULL,
    normalized    TEXT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('landline','mobile','other')),
    created_ms    INTEGER NOT NULL,
    UNIQUE (household_id, normalized)
);
CREATE INDEX IF NOT EXISTS phones_normalized ON phones(normalized, household_id);

-- Phone groups (电话组) for group-call notices, and household membership.
CREATE TABLE IF NOT EXISTS phone_groups (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL UNIQUE,
    description  TEXT NOT NULL DEFAULT '',
    created_by   INTEGER REFERENCES staff(id),
    created_ms   INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS group_members (
    group_id      INTEGER NOT NULL REFERENCES phone_groups(id),
    household_id  INTEGER NOT NULL REFERENCES households(id),
    PRIMARY KEY (group_id, household_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS group_members_household ON group_members(household_id, group_id);

-- Resident units (驻区单位).
CREATE TABLE IF NOT EXISTS units (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    address     TEXT NOT NULL DEFAULT '',
    contact     TEXT NOT NULL DEFAULT '',
    phone       TEXT NOT NULL DEFAULT '',
    phone_normalized TEXT,
    jobs        TEXT NOT NULL DEFAULT '',      -- open jobs
    notes       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS units_phone ON units(phone_normalized);

-- Calls: hotline calls in and operator/notice calls out.
CREATE TABLE IF NOT EXISTS calls (
    id                 INTEGER PRIMARY KEY,
    sip_call_id        TEXT NOT NULL,
    direction          TEXT NOT NULL CHECK (direction IN ('in','out')),
    caller_raw         TEXT NOT NULL DEFAULT '',
    caller_normalized  TEXT,
    household_id       INTEGER REFERENCES households(id),
    arrived_ms         INTEGER NOT NULL,
    answered_ms        INTEGER,
    ended_ms           INTEGER,
    operator_staff_id  INTEGER REFERENCES staff(id),
    outcome            TEXT CHECK (outcome IN ('answered','abandoned','voice_message','rejected','failed')),
    rtp_sent           INTEGER NOT NULL DEFAULT 0,
    rtp_received       INTEGER NOT NULL DEFAULT 0,
    rtp_lost           INTEGER NOT NULL DEFAULT 0,
    jitter_ms          REAL,
    recording_path     TEXT,
    desk_call_id       TEXT                    -- the consoles' id of the call (call.ringing's call_id)
);
CREATE INDEX IF NOT EXISTS calls_desk ON calls(desk_call_id);
CREATE INDEX IF NOT EXISTS calls_household ON calls(household_id, arrived_ms);
CREATE INDEX IF NOT EXISTS calls_arrived ON calls(arrived_ms);
CREATE INDEX IF NOT EXISTS calls_sip ON calls(sip_call_id);

-- Service requests (诉求): intake by phone, walk-in or home visit, tracked to the end.
CREATE TABLE IF NOT EXISTS requests (
    id                   INTEGER PRIMARY KEY,
    household_id         INTEGER REFERENCES households(id),
    resident_id          INTEGER REFERENCES residents(id),
    channel              TEXT NOT NULL CHECK (channel IN ('phone','walk_in','visit')),
    call_id              INTEGER REFERENCES calls(id),
    category_item        TEXT NOT NULL,        -- 某一项, e.g. 职业介绍
    category_class       TEXT NOT NULL DEFAULT '', -- 某一类, e.g. 就业
    grade                INTEGER NOT NULL DEFAULT 1,
    content              TEXT NOT NULL,
    responsible_staff_id INTEGER REFERENCES staff(id),
    captain_staff_id     INTEGER REFERENCES staff(id),
    created_by           INTEGER REFERENCES staff(id),
    created_ms           INTEGER NOT NULL,
    level1_ms            INTEGER NOT NULL,     -- green until here, then orange
    deadline_ms          INTEGER NOT NULL,     -- orange until here, then red
    status               TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open','closed')),
    result               TEXT NOT NULL DEFAULT '',
    closed_ms            INTEGER,
    closed_by            INTEGER REFERENCES staff(id),
    feedback_by          INTEGER REFERENCES staff(id),
    feedback_ms          INTEGER,
    feedback_how         TEXT,                 -- phone, visit, ...
    feedback_satisfied   INTEGER,              -- 1 satisfied, 0 not, NULL not asked / not reached
    -- Workflow stage; status is 'closed' exactly when the stage is resolved or feedback_given.
    stage                TEXT NOT NULL DEFAULT 'new'
                         CHECK (stage IN ('new','assigned','in_progress','escalated','resolved','feedback_given','reopened')),
    department_id        INTEGER REFERENCES departments(id),
    escalation_level     INTEGER NOT NULL DEFAULT 0, -- 0 block, 1 committee, 2 street office
    department_due_ms    INTEGER,              -- the department must answer by then
    caller_name          TEXT NOT NULL DEFAULT '',   -- unknown caller
    caller_number        TEXT NOT NULL DEFAULT '',
    feedback_result      TEXT CHECK (feedback_result IN ('satisfied','not_satisfied','not_reached')),
    desk_call_id         TEXT                  -- the consoles' id of the call it came from
);
CREATE INDEX IF NOT EXISTS requests_household ON requests(household_id, created_ms);
CREATE INDEX IF NOT EXISTS requests_open ON requests(status, deadline_ms);
CREATE INDEX IF NOT EXISTS requests_created ON requests(created_ms);
CREATE INDEX IF NOT EXISTS requests_responsible ON requests(responsible_staff_id, status);
CREATE INDEX IF NOT EXISTS requests_captain ON requests(captain_staff_id, status);

-- Departments of the street office a request can be escalated to (seed 003: they must
-- answer within 3 days).
CREATE TABLE IF NOT EXISTS departments (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL UNIQUE,
    answer_days  INTEGER NOT NULL DEFAULT 3 CHECK (answer_days > 0),
    active       INTEGER NOT NULL DEFAULT 1
);

-- Request categories, "某一项.某一类" (item.class), with their default alarm thresholds
-- (the default list: src/migrations/categories.sql).
CREATE TABLE IF NOT EXISTS request_categories (
    id             INTEGER PRIMARY KEY,
    item           TEXT NOT NULL,
    class          TEXT NOT NULL DEFAULT '',
    level1_days    INTEGER NOT NULL DEFAULT 5 CHECK (level1_days > 0),
    deadline_days  INTEGER NOT NULL DEFAULT 8 CHECK (deadline_days >= level1_days),
    active         INTEGER NOT NULL DEFAULT 1,
    UNIQUE (item, class)
);

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

-- Voice messages left on the hotline.
CREATE TABLE IF NOT EXISTS voice_messages (
    id                 INTEGER PRIMARY KEY,
    call_id            INTEGER REFERENCES calls(id),
    household_id       INTEGER REFERENCES households(id),
    caller_raw         TEXT NOT NULL DEFAULT '',
    caller_normalized  TEXT,
    created_ms         INTEGER NOT NULL,
    duration_ms        INTEGER NOT NULL DEFAULT 0,
    path               TEXT NOT NULL,
    status             TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open','handled')),
    handled_by         INTEGER REFERENCES staff(id),
    handled_ms         INTEGER,
    request_id         INTEGER REFERENCES requests(id)
);
CREATE INDEX IF NOT EXISTS voice_messages_household ON voice_messages(household_id, created_ms);
CREATE INDEX IF NOT EXISTS voice_messages_status ON voice_messages(status, created_ms);

-- Group-call notice campaigns (电话群拨). Options are columns so a restarted server
-- resumes a campaign exactly as it was started.
CREATE TABLE IF NOT EXISTS campaigns (
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
    confirm_key      INTEGER NOT NULL DEFAULT 0, -- 1: the notice ends with "press 1"
    kind             TEXT NOT NULL DEFAULT 'notice'
                     CHECK (kind IN ('notice','return_visit')) -- return_visit: one request's 回访
);
CREATE INDEX IF NOT EXISTS campaigns_status ON campaigns(status);
CREATE TABLE IF NOT EXISTS campaign_groups (
    campaign_id  INTEGER NOT NULL REFERENCES campaigns(id),
    group_id     INTEGER NOT NULL REFERENCES phone_groups(id),
    PRIMARY KEY (campaign_id, group_id)
) WITHOUT ROWID;
-- The households of a campaign (each once, however many chosen groups it is in), fixed
-- when the campaign is created, with the final outcome once there is one.
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
    number         TEXT,                       -- the one number to call; NULL: the household's phones
    PRIMARY KEY (campaign_id, household_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS campaign_households_household ON campaign_households(household_id);
-- One row per household and attempt, written before the INVITE leaves ('dialing') and
-- when the attempt ends, so the per-household log survives a crash mid-campaign.
CREATE TABLE IF NOT EXISTS campaign_calls (
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
CREATE INDEX IF NOT EXISTS campaign_calls_campaign ON campaign_calls(campaign_id, state);
CREATE INDEX IF NOT EXISTS campaign_calls_household ON campaign_calls(household_id, created_ms);
-- Households a finished campaign did not reach, on their block captain's list.
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
-- Automatic return visits (回访): one per resolution of a request, queued in the
-- transaction that resolves it, called through a one-household campaign of kind
-- 'return_visit', and finished with the feedback in one transaction.
CREATE TABLE IF NOT EXISTS return_visits (
    id           INTEGER PRIMARY KEY,
    request_id   INTEGER NOT NULL REFERENCES requests(id),
    due_ms       INTEGER NOT NULL,             -- resolved then (the server adds its delay)
    state        TEXT NOT NULL DEFAULT 'pending'
                 CHECK (state IN ('pending','calling','done','skipped','cancelled')),
    campaign_id  INTEGER REFERENCES campaigns(id),
    outcome      TEXT,                         -- satisfied / not_satisfied / not_reached / superseded
    note         TEXT NOT NULL DEFAULT '',
    created_ms   INTEGER NOT NULL,
    done_ms      INTEGER
);
CREATE INDEX IF NOT EXISTS return_visits_state ON return_visits(state, due_ms);
CREATE INDEX IF NOT EXISTS return_visits_request ON return_visits(request_id);

-- Who changed what: written by every mutating staff action (staff_id NULL = command line).
CREATE TABLE IF NOT EXISTS audit (
    id         INTEGER PRIMARY KEY,
    staff_id   INTEGER REFERENCES staff(id),
    at_ms      INTEGER NOT NULL,
    action     TEXT NOT NULL,
    entity     TEXT NOT NULL,
    detail     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS audit_at ON audit(at_ms);
