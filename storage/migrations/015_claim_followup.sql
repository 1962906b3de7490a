-- After the claim (issue #9): the claimant's ack timer and their "on my way".
-- ack_due_at: when the next step of the timer fires (seconds since the epoch); ack_stage says which:
-- 0 = remind the claimant ("Still on #N?"), 1 = give the ticket back to the pool. A claim, a
-- "Not yet" back to the claimant, and every word from the claimant (on my way, words relayed to the
-- resident) start it again at stage 0; the scheduler tick advances it with a conditional UPDATE,
-- so each step fires once. A ticket claimed before this migration gets its timer at the first tick.
-- on_way_at: when the resident was told the claimant is on the way (once per claim).

ALTER TABLE tickets ADD COLUMN ack_due_at REAL;
ALTER TABLE tickets ADD COLUMN ack_stage INTEGER NOT NULL DEFAULT 0 CHECK (ack_stage IN (0, 1));
ALTER TABLE tickets ADD COLUMN on_way_at REAL;
CREATE INDEX tickets_ack_due ON tickets(status, ack_due_at);
