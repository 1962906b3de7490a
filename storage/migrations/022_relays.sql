-- Issue #12 (D): 💬 Message through the bot. A person who pressed 💬 Message (the claimant) or
-- 💬 Reply (the resident) has one row here: their next text goes to the other side of that
-- ticket. A row, not the user's step, so it never fights a question the conversation is waiting
-- on; it survives a restart, and it is read as ended once expires_at is past or the ticket is finished.
CREATE TABLE relays (
    chat_id    INTEGER PRIMARY KEY,
    ticket_id  INTEGER NOT NULL REFERENCES tickets (id),
    side       TEXT NOT NULL CHECK (side IN ('claimant', 'resident')),
    expires_at REAL NOT NULL,
    created_at REAL NOT NULL
);
CREATE INDEX relays_ticket ON relays (ticket_id);
