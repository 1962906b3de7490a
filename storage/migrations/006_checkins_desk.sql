-- The check-ins desk (issue #10, part two): the family's daily "all well today" and a resident's
-- request for other check-in times, decided by an admin.

CREATE TABLE allwell (
    resident_id   INTEGER NOT NULL REFERENCES residents(id) ON DELETE CASCADE,
    telegram_id   INTEGER NOT NULL,        -- the family contact who opted in (must still be the contact)
    created_at    REAL NOT NULL,
    last_sent_day TEXT,                    -- "2026-09-22": the day's message was queued (once a day)
    PRIMARY KEY (resident_id, telegram_id)
);
CREATE INDEX allwell_day ON allwell(last_sent_day);

CREATE TABLE checkin_requests (
    id          INTEGER PRIMARY KEY,
    resident_id INTEGER NOT NULL REFERENCES residents(id) ON DELETE CASCADE,
    times       TEXT NOT NULL,             -- "08:30,18:00", as the plan stores them
    status      TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'declined', 'superseded')),
    created_at  REAL NOT NULL,
    decided_by  INTEGER,
    decided_at  REAL
);
CREATE INDEX checkin_requests_resident ON checkin_requests(resident_id, status);
