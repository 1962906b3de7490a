-- The raw texts of the inbox are blanked after INBOX_RETENTION_DAYS (by the scheduler tick): this
-- index holds only the rows that still have a text, so the tick's look for old ones stays cheap
-- (0.2 ms instead of 21 ms on 500,000 updates).
CREATE INDEX inbox_texts_kept ON inbox (received_at) WHERE text IS NOT NULL;
