-- The escalation chain (issue #9): each open ticket's next step is a timer in its row. The
-- scheduler tick asks for `status = 'open' AND next_action_at <= now` and fires a step with a
-- compare-and-set on (escalation_step, next_action_at), so two racing ticks fire it once.
-- Policies the admins changed are rows of `settings` (key 'escalation:URGENCY').

ALTER TABLE tickets ADD COLUMN next_action_at REAL;                          -- NULL: nothing due
ALTER TABLE tickets ADD COLUMN escalation_step INTEGER NOT NULL DEFAULT 0;    -- steps fired in this chain
ALTER TABLE tickets ADD COLUMN escalation_since INTEGER;                      -- ticket_events id the chain started after
ALTER TABLE tickets ADD COLUMN escalation_exclude TEXT NOT NULL DEFAULT '';   -- volunteer ids left out (who released it)
CREATE INDEX tickets_next_action ON tickets(status, next_action_at);
