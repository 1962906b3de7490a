-- Duplicates (issue #12): a new request from the same building with the same category as one
-- still open there (within 6 h) is linked to it rather than alerted again. linked_to is the
-- original's id while the report follows it (NULL: a request of its own; /split sets it back to
-- NULL). The report stays a ticket of its own (its words, its reporter, counted), closed with its
-- original. tickets_duplicates finds the open requests of a building and category at intake;
-- tickets_linked finds the reports linked to an original; tickets_following those still open
-- (the tick looks for any whose original finished).
ALTER TABLE tickets ADD COLUMN linked_to INTEGER REFERENCES tickets (id);
CREATE INDEX tickets_duplicates ON tickets (building, category, created_at) WHERE linked_to IS NULL;
CREATE INDEX tickets_linked ON tickets (linked_to) WHERE linked_to IS NOT NULL;
CREATE INDEX tickets_following ON tickets (status, linked_to) WHERE linked_to IS NOT NULL;
