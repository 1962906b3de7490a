-- The triage safety net: when the engine is unsure, the desk asks "is someone hurt or in danger
-- right now?" and waits (a timer column the scheduler tick reads); the answer is kept.

ALTER TABLE tickets ADD COLUMN danger_asked_at REAL;      -- when the question went out; NULL: not asked
ALTER TABLE tickets ADD COLUMN danger_answer TEXT;        -- yes | no | silent (no answer in time)
CREATE INDEX tickets_danger ON tickets(danger_answer, danger_asked_at);
