-- Issue #12: announcements (/broadcast). A broadcast is a row from its preview to its summary, so
-- one being sent survives a restart: `cursor` says which residents are queued already (by id), and
-- each recipient's message is an outbox row under the dedupe key bc:<broadcast>:<chat>, so queuing
-- a batch again after a crash never sends anyone a second copy. Progress is counted from those rows.
CREATE TABLE broadcasts (
    id                INTEGER PRIMARY KEY,
    created_by        INTEGER NOT NULL,              -- the admin's Telegram id
    chat_id           INTEGER NOT NULL,              -- where the preview and the progress are shown
    lang              TEXT NOT NULL,                 -- the admin's language (the progress, the summary)
    audience          TEXT NOT NULL CHECK (audience IN ('all', 'grid', 'building')),
    target            TEXT,                          -- the grid or building, as stored
    text              TEXT NOT NULL,                 -- the admin's words, as typed
    photo_file_id     TEXT,                          -- a photo with the text as its caption
    status            TEXT NOT NULL DEFAULT 'preview'
                      CHECK (status IN ('preview', 'cancelled', 'sending', 'done', 'stopped')),
    confirm_outbox_id INTEGER,                       -- the message with Send / Cancel, edited with the progress
    progress_outbox_id INTEGER,                      -- the last progress edit queued
    total             INTEGER NOT NULL DEFAULT 0,    -- the audience when Send was pressed
    cursor            INTEGER NOT NULL DEFAULT 0,    -- residents.id queued through
    queued_all        INTEGER NOT NULL DEFAULT 0,
    skipped           INTEGER NOT NULL DEFAULT 0,    -- known unreachable when their turn came: not queued
    created_at        REAL NOT NULL,
    sent_at           REAL,                          -- Send pressed
    finished_at       REAL
);
CREATE INDEX broadcasts_status ON broadcasts (status);
