-- The core loop: people, teams, tickets and their audit trail, the inbox and the outbox.
-- Times are seconds since the epoch (UTC), as REAL.

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- Which grid a building belongs to (filled by the residents import).
CREATE TABLE buildings (
    name TEXT PRIMARY KEY COLLATE NOCASE,
    grid TEXT NOT NULL
);

-- Everyone who talks to the bot: chosen language and the step of an unfinished conversation.
CREATE TABLE users (
    telegram_id INTEGER PRIMARY KEY,
    first_name  TEXT,
    language    TEXT,
    step        TEXT,
    step_data   TEXT NOT NULL DEFAULT '{}',
    updated_at  REAL NOT NULL
);

CREATE TABLE residents (
    id                            INTEGER PRIMARY KEY,
    telegram_id                   INTEGER UNIQUE,
    name                          TEXT,
    phone                         TEXT UNIQUE,
    building                      TEXT,
    unit                          TEXT,
    room                          TEXT,
    grid                          TEXT,
    language                      TEXT,
    lives_alone                   INTEGER NOT NULL DEFAULT 0,
    birth_year                    INTEGER,
    emergency_contact_name        TEXT,
    emergency_contact_phone       TEXT,
    emergency_contact_telegram_id INTEGER,
    source                        TEXT NOT NULL DEFAULT 'bot',   -- bot | import
    registered_at                 REAL,                          -- set when the profile is complete
    created_at                    REAL NOT NULL,
    updated_at                    REAL NOT NULL
);

CREATE TABLE teams (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE COLLATE NOCASE,
    created_at REAL NOT NULL
);

CREATE TABLE team_grids (
    team_id INTEGER NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
    grid    TEXT NOT NULL,
    PRIMARY KEY (team_id, grid)
);
CREATE INDEX team_grids_grid ON team_grids(grid);

CREATE TABLE volunteers (
    id          INTEGER PRIMARY KEY,
    telegram_id INTEGER UNIQUE,
    name        TEXT NOT NULL,
    phone       TEXT UNIQUE,
    language    TEXT,
    active      INTEGER NOT NULL DEFAULT 1,
    created_at  REAL NOT NULL,
    updated_at  REAL NOT NULL
);

CREATE TABLE memberships (
    team_id      INTEGER NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
    volunteer_id INTEGER NOT NULL REFERENCES volunteers(id) ON DELETE CASCADE,
    role         TEXT NOT NULL DEFAULT 'member' CHECK (role IN ('member', 'leader')),
    active       INTEGER NOT NULL DEFAULT 1,
    joined_at    REAL NOT NULL,
    PRIMARY KEY (team_id, volunteer_id)
);

CREATE TABLE invites (
    code       TEXT PRIMARY KEY,
    team_id    INTEGER NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
    created_by INTEGER NOT NULL,
    created_at REAL NOT NULL,
    expires_at REAL NOT NULL,
    uses       INTEGER NOT NULL DEFAULT 0
);

-- Every update we accepted, keyed by Telegram's update_id: a replayed update is dropped.
CREATE TABLE inbox (
    update_id   INTEGER PRIMARY KEY,
    chat_id     INTEGER,
    user_id     INTEGER,
    kind        TEXT NOT NULL,
    text        TEXT,
    received_at REAL NOT NULL
);

CREATE TABLE tickets (
    id               INTEGER PRIMARY KEY,
    status           TEXT NOT NULL CHECK (status IN ('open', 'claimed', 'resolved', 'closed', 'cancelled')),
    urgency          TEXT NOT NULL CHECK (urgency IN ('emergency', 'urgent', 'routine', 'info')),
    category         TEXT NOT NULL,
    triage_reasons   TEXT NOT NULL DEFAULT '[]',
    lang             TEXT NOT NULL,
    text             TEXT NOT NULL,
    grid             TEXT NOT NULL,
    building         TEXT,
    location         TEXT,              -- free-text address from an unregistered reporter
    resident_id      INTEGER REFERENCES residents(id),
    reporter_chat_id INTEGER NOT NULL,
    reporter_name    TEXT,
    source           TEXT NOT NULL DEFAULT 'message',
    source_update_id INTEGER UNIQUE,    -- a replayed update never makes a second ticket
    source_message_id INTEGER,          -- so an edit of that message finds its ticket
    alert_round      INTEGER NOT NULL DEFAULT 0,
    claimed_by       INTEGER REFERENCES volunteers(id),
    claimed_at       REAL,
    resolved_at      REAL,
    closed_at        REAL,
    rating           INTEGER CHECK (rating BETWEEN 1 AND 5),
    rating_comment   TEXT,
    created_at       REAL NOT NULL,
    updated_at       REAL NOT NULL
);
CREATE INDEX tickets_status ON tickets(status);
CREATE INDEX tickets_reporter ON tickets(reporter_chat_id, status);
CREATE INDEX tickets_claimed_by ON tickets(claimed_by, status);

-- The audit trail: every change of a ticket, who made it and when.
CREATE TABLE ticket_events (
    id        INTEGER PRIMARY KEY,
    ticket_id INTEGER NOT NULL REFERENCES tickets(id),
    at        REAL NOT NULL,
    actor_id  INTEGER,                  -- Telegram user id, NULL for the system
    actor     TEXT,                     -- display name at the time
    kind      TEXT NOT NULL,
    detail    TEXT
);
CREATE INDEX ticket_events_ticket ON ticket_events(ticket_id, id);

CREATE TABLE attachments (
    id         INTEGER PRIMARY KEY,
    ticket_id  INTEGER NOT NULL REFERENCES tickets(id),
    kind       TEXT NOT NULL,           -- photo | voice | video | document | location
    file_id    TEXT NOT NULL,
    created_at REAL NOT NULL
);

-- The delivery engine's queue. Lower priority number goes first.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    chat_id         INTEGER NOT NULL,
    method          TEXT NOT NULL CHECK (method IN ('send', 'edit', 'photo', 'voice', 'video', 'document')),
    text            TEXT,
    reply_markup    TEXT,
    file_id         TEXT,
    ref_id          INTEGER REFERENCES outbox(id),   -- for 'edit': the queued message to edit
    target_message_id INTEGER,                       -- for 'edit': a message we know the id of
    priority        INTEGER NOT NULL,
    purpose         TEXT NOT NULL,
    ticket_id       INTEGER REFERENCES tickets(id),
    dedupe_key      TEXT UNIQUE,
    status          TEXT NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'sent', 'failed', 'unreachable', 'cancelled')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL,
    message_id      INTEGER,
    last_error      TEXT,
    created_at      REAL NOT NULL,
    sent_at         REAL
);
CREATE INDEX outbox_due ON outbox(status, priority, next_attempt_at);
CREATE INDEX outbox_ticket ON outbox(ticket_id, purpose);

-- Chats that blocked the bot (403): their senders' logic can route around them.
CREATE TABLE unreachable_chats (
    chat_id INTEGER PRIMARY KEY,
    since   REAL NOT NULL,
    reason  TEXT
);
