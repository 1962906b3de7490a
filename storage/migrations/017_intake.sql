-- Nothing lost at intake (#13): an update is stored, raw, before its offset is confirmed to
-- Telegram, and handled from here. `raw` is the update as Telegram sent it (kept only until it is
-- handled), `handled_at` is set in the same transaction as everything the handling wrote, so an
-- update is handled exactly once across crashes. Updates stored before this migration were handled.
ALTER TABLE inbox ADD COLUMN raw TEXT;
ALTER TABLE inbox ADD COLUMN handled_at REAL;
UPDATE inbox SET handled_at = received_at;
CREATE INDEX inbox_unhandled ON inbox (update_id) WHERE handled_at IS NULL;
