-- Messages that wait for another message's fate (issue #15, finding 7). A sensitive answer asked
-- for in a group (a ticket's details, an invite) goes to the admin's private chat; only once
-- Telegram has taken it is the group told "I sent it to you privately", and if Telegram refused it
-- (the admin never opened a private chat with the bot, or blocked it) the group is asked instead
-- to open one first. Both are rendered when the answer is queued and wait here; the outbox moves
-- the one that fits into its queue, in the transaction that records the answer's end.

CREATE TABLE outbox_followups (
    id        INTEGER PRIMARY KEY,
    after_id  INTEGER NOT NULL REFERENCES outbox(id) ON DELETE CASCADE,
    outcome   TEXT NOT NULL CHECK (outcome IN ('sent', 'undelivered')),
    chat_id   INTEGER NOT NULL,
    text      TEXT NOT NULL,
    priority  INTEGER NOT NULL,
    purpose   TEXT NOT NULL
);
CREATE INDEX outbox_followups_after ON outbox_followups(after_id);
