-- Issue #16: several workers on one PostgreSQL database; one of them sends (Telegram's limits are
-- per bot). The leader holds an advisory lock on a connection of its own (storage/leader.py) and,
-- on taking over, adds one to `epoch` here: the epoch fences out an old leader, since every claim
-- of an outbox row records it (claim_epoch) and every mark after a send (sent, final, rescheduled,
-- released) changes the row only if it still carries the epoch of the writer. A row still claimed
-- by an older epoch was in flight when its leader died: its outcome is unknown, and it alone is sent
-- again (counted in unknown_outcomes). On SQLite the one process is its own leader, epoch by epoch
-- across restarts.
CREATE TABLE sender_leader (
    slot INTEGER PRIMARY KEY CHECK (slot = 1),   -- one row
    epoch INTEGER NOT NULL,
    holder TEXT,                 -- host:pid of the leader of this epoch
    since REAL
);
INSERT INTO sender_leader (slot, epoch) VALUES (1, 0);
ALTER TABLE outbox ADD COLUMN claim_epoch INTEGER;
-- Several workers handle the inbox a chat at a time (bot/updates.py): the chat is known when the
-- update is stored, and each chat's oldest unhandled update is found by this index.
CREATE INDEX inbox_unhandled_chat ON inbox (chat_id, update_id) WHERE handled_at IS NULL;
