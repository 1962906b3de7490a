-- Issue #15: one person's flood is throttled by counters kept here (so a restart forgets none),
-- and an edited message finds the ticket it belongs to.

-- One row per person who writes (their private chat): the throttle's counters (bot/core/throttle.py).
CREATE TABLE throttle (
    chat_id       INTEGER PRIMARY KEY,
    recent        TEXT NOT NULL DEFAULT '[]',   -- times of their latest messages (the burst window)
    burst_since   REAL,                         -- when the burst going on (or the last one) began
    burst_last    REAL,                         -- the last message that came in a burst
    burst_count   INTEGER NOT NULL DEFAULT 0,   -- messages in that burst
    waited_at     REAL,                         -- told to wait (once per burst)
    flood_told_at REAL                          -- the admins heard of their flood (once an hour)
);

-- Messages added to a ticket after the one that made it (tickets.source_message_id): an edit of
-- any of them is triaged again against that ticket.
CREATE TABLE ticket_messages (
    chat_id    INTEGER NOT NULL,
    message_id INTEGER NOT NULL,
    ticket_id  INTEGER NOT NULL REFERENCES tickets(id),
    PRIMARY KEY (chat_id, message_id)
);

-- The hourly cap counts a person's new tickets by the time they were made.
CREATE INDEX tickets_reporter_created ON tickets(reporter_chat_id, created_at);
