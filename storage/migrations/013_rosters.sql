-- Rosters (issue #9): who is on duty. A team without any shift stays on duty always.

-- A team's shift: weekdays (digits, Monday = 0) and start/end minutes of the day on the
-- committee's clock; an end before the start crosses midnight (the occurrence belongs to its start day).
CREATE TABLE shifts (
    id           INTEGER PRIMARY KEY,
    team_id      INTEGER NOT NULL REFERENCES teams(id),
    days         TEXT NOT NULL,
    start_minute INTEGER NOT NULL CHECK (start_minute BETWEEN 0 AND 1439),
    end_minute   INTEGER NOT NULL CHECK (end_minute BETWEEN 0 AND 1439),
    created_by   INTEGER,
    created_at   REAL NOT NULL,
    CHECK (start_minute <> end_minute)
);
CREATE INDEX shifts_team ON shifts(team_id);
CREATE INDEX shifts_start ON shifts(start_minute);

CREATE TABLE shift_volunteers (
    shift_id     INTEGER NOT NULL REFERENCES shifts(id) ON DELETE CASCADE,
    volunteer_id INTEGER NOT NULL REFERENCES volunteers(id),
    PRIMARY KEY (shift_id, volunteer_id)
);
CREATE INDEX shift_volunteers_volunteer ON shift_volunteers(volunteer_id);

-- 'off': a volunteer off duty (/duty off; ends_at NULL until /duty on).
-- 'cover': an admin puts a volunteer on duty for a grid until ends_at (/cover).
CREATE TABLE duty_overrides (
    id           INTEGER PRIMARY KEY,
    kind         TEXT NOT NULL CHECK (kind IN ('off', 'cover')),
    volunteer_id INTEGER NOT NULL REFERENCES volunteers(id),
    grid         TEXT,
    starts_at    REAL NOT NULL,
    ends_at      REAL,
    created_by   INTEGER,
    created_at   REAL NOT NULL,
    CHECK (kind = 'off' OR (grid IS NOT NULL AND ends_at IS NOT NULL))
);
CREATE INDEX duty_overrides_volunteer ON duty_overrides(volunteer_id, ends_at);
CREATE INDEX duty_overrides_grid ON duty_overrides(grid, ends_at);

-- /swap DATE WHO: the asker (giver) asks a teammate (taker) to take the occurrence of a shift
-- that starts on local `day`; accepted, the roster follows for that one occurrence.
CREATE TABLE shift_swaps (
    id           INTEGER PRIMARY KEY,
    shift_id     INTEGER NOT NULL REFERENCES shifts(id) ON DELETE CASCADE,
    day          TEXT NOT NULL,
    giver        INTEGER NOT NULL REFERENCES volunteers(id),
    taker        INTEGER NOT NULL REFERENCES volunteers(id),
    status       TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'accepted', 'declined')),
    created_at   REAL NOT NULL,
    decided_at   REAL
);
CREATE INDEX shift_swaps_shift ON shift_swaps(shift_id, day);
