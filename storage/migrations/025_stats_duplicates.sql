-- Issue #12 review: /stats tells a duplicate (a report linked to an earlier request, migration 023)
-- from a request of its own, so the covering index of migration 019 carries linked_to too: the
-- summary is still read from the index alone.
DROP INDEX tickets_stats;
CREATE INDEX tickets_stats ON tickets(created_at, urgency, category, grid, escalation_step, rating,
                                      claimed_at, resolved_at, claimed_by, linked_to);
