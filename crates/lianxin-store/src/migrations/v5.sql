-- Migration to version 5 (issue 12, the admins' screens): settings an admin changes in
-- the console, and phone groups that can be retired.
--
-- The step after version 4. Runs inside one transaction like the others; the result must equal a fresh
-- database made from schema.sql (tested in db.rs): the new column is appended, so
-- schema.sql lists it last.

-- A retired phone group keeps its members and its campaigns' history, but is no longer
-- offered for new group calls.
ALTER TABLE phone_groups ADD COLUMN retired INTEGER NOT NULL DEFAULT 0;

-- Settings changed at run time (the hotline's opening hours, 值班时间), one row per key,
-- the value as JSON text. The config file's values seed a key on first start.
CREATE TABLE IF NOT EXISTS settings (
    key         TEXT PRIMARY KEY,
    value       TEXT NOT NULL,
    updated_ms  INTEGER NOT NULL,
    updated_by  INTEGER REFERENCES staff(id)
);
