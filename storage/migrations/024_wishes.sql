-- Issue #12: micro-wishes (微心愿). A resident's small wish waits for the committee's approval,
-- then a volunteer (or a local unit an admin records) adopts it, fulfils it, and the resident
-- confirms and thanks them. The status is the state machine of bot/core/wishes.py; every move is
-- a compare-and-set on it, so two Adopt presses at once have one winner.
CREATE TABLE wishes (
    id INTEGER PRIMARY KEY,
    status TEXT NOT NULL,
    text TEXT NOT NULL,
    lang TEXT,
    resident_id INTEGER REFERENCES residents (id) ON DELETE SET NULL,
    resident_chat_id INTEGER NOT NULL,
    resident_name TEXT,
    grid TEXT,
    source_update_id INTEGER UNIQUE,        -- a replayed update makes no second wish
    created_at REAL NOT NULL,
    approved_at REAL,
    decided_by TEXT,
    decline_reason TEXT,
    declined_at REAL,
    adopted_at REAL,
    adopter_volunteer_id INTEGER REFERENCES volunteers (id) ON DELETE SET NULL,
    adopter_telegram_id INTEGER,
    adopter_name TEXT,
    adopter_unit TEXT,                      -- a local unit (a shop, a company) an admin recorded
    fulfilled_at REAL,
    confirmed_at REAL,
    thanks TEXT,
    withdrawn_at REAL,
    updated_at REAL NOT NULL
);
CREATE INDEX wishes_by_status ON wishes (status, created_at);
CREATE INDEX wishes_by_resident ON wishes (resident_chat_id, status);
CREATE INDEX wishes_by_adopter ON wishes (adopter_telegram_id, status);
-- /stats counts by the time of each step
CREATE INDEX wishes_created ON wishes (created_at);
CREATE INDEX wishes_approved ON wishes (approved_at);
CREATE INDEX wishes_adopted ON wishes (adopted_at);
CREATE INDEX wishes_fulfilled ON wishes (fulfilled_at);

CREATE TABLE wish_events (
    id INTEGER PRIMARY KEY,
    wish_id INTEGER NOT NULL REFERENCES wishes (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    at REAL NOT NULL,
    actor_telegram_id INTEGER,
    actor_name TEXT,
    detail TEXT
);
CREATE INDEX wish_events_by_wish ON wish_events (wish_id, id);
