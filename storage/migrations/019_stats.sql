-- Issue #12, statistics: /stats reads a period's tickets by when they were made. A covering index
-- over the columns the summary groups and counts answers it from the index alone (100,000
-- tickets: bench/run.py); a grid leader's /stats starts from the grid.
CREATE INDEX tickets_stats ON tickets(created_at, urgency, category, grid, escalation_step, rating,
                                      claimed_at, resolved_at, claimed_by);
CREATE INDEX tickets_grid_created ON tickets(grid, created_at);
-- the latest comments, newest first, without reading the tickets that have none
CREATE INDEX tickets_commented ON tickets(created_at) WHERE rating_comment IS NOT NULL;
-- the check-in answer rate of a period (a leader's: of their grids' residents)
CREATE INDEX checkins_due ON checkins(due_at);
CREATE INDEX residents_grid ON residents(grid);

-- Reports the bot sends by itself on a schedule (the weekly report): the next time each is due,
-- and the setting it was worked out from (a changed WEEKLY_REPORT_AT is worked out again). The
-- tick sends a due report and moves next_due_at on in one transaction, with a compare-and-set on
-- the value it read: sent once, also across a restart.
CREATE TABLE report_schedule (
    name        TEXT PRIMARY KEY,
    spec        TEXT NOT NULL,
    next_due_at REAL NOT NULL,
    last_sent_at REAL
);
