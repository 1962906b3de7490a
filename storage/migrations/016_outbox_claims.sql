-- Issue #13: each outbox row is sent at most once. The engine claims a row (a compare-and-set on
-- claimed_at) before sending it; a row still claimed when the engine starts was in flight when the
-- process died, so whether Telegram got it is unknown: it is released to be sent again, and that
-- is counted in unknown_outcomes (as is a send that timed out), the only way a chat can hear twice.
ALTER TABLE outbox ADD COLUMN claimed_at REAL;
ALTER TABLE outbox ADD COLUMN unknown_outcomes INTEGER NOT NULL DEFAULT 0;
