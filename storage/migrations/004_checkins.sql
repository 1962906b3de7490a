-- Check-ins for elderly people who live alone: each resident's plan, and one row per question
-- asked (or visit recorded). Every step of the day is a timer column the scheduler tick advances.

CREATE TABLE checkin_plans (
    resident_id   INTEGER PRIMARY KEY REFERENCES residents(id) ON DELETE CASCADE,
    times         TEXT NOT NULL,                     -- "09:00,18:00" on the committee's clock
    days          TEXT NOT NULL DEFAULT '0123456',   -- weekdays, Monday = 0
    grace_seconds INTEGER NOT NULL DEFAULT 7200,
    paused_until  REAL,                              -- away until then; resumes by itself
    away_reason   TEXT,
    next_due_at   REAL,                              -- timer: the next question (NULL: work it out at the next tick)
    created_by    INTEGER,
    created_at    REAL NOT NULL,
    updated_at    REAL NOT NULL
);
CREATE INDEX checkin_plans_due ON checkin_plans(next_due_at);

CREATE TABLE checkins (
    id                 INTEGER PRIMARY KEY,
    resident_id        INTEGER NOT NULL REFERENCES residents(id) ON DELETE CASCADE,
    slot               TEXT NOT NULL,               -- "2026-09-22 09:00" (local), or "2026-09-22 visit"
    day                TEXT NOT NULL,               -- "2026-09-22" (local)
    chat_id            INTEGER,
    state              TEXT NOT NULL,               -- see bot/core/checkins.py
    due_at             REAL NOT NULL,               -- when it was scheduled
    question_outbox_id INTEGER REFERENCES outbox(id),
    reminder_outbox_id INTEGER REFERENCES outbox(id),
    delivered_at       REAL,                        -- the question's sent_at: the grace counts from here
    next_action_at     REAL,                        -- timer: reminder, ticket, emergency
    ticket_id          INTEGER REFERENCES tickets(id),
    missed             INTEGER NOT NULL DEFAULT 0,  -- a ticket was raised for it
    answered_at        REAL,
    answer             TEXT,                        -- ok | help | text | visit
    answered_by        INTEGER,
    note               TEXT,
    created_at         REAL NOT NULL,
    updated_at         REAL NOT NULL,
    UNIQUE (resident_id, slot)
);
CREATE INDEX checkins_next ON checkins(next_action_at);
CREATE INDEX checkins_state ON checkins(state);
CREATE INDEX checkins_resident_day ON checkins(resident_id, day);
CREATE INDEX checkins_ticket ON checkins(ticket_id);
