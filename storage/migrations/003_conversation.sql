-- Threads and places: a ticket carries where the problem is (which may not be where the
-- reporter lives), and whether it came from words, a voice note or a photo.

ALTER TABLE tickets ADD COLUMN unit TEXT;
ALTER TABLE tickets ADD COLUMN room TEXT;
-- 'resident': the reporter's own flat; 'text': named in the message; 'answer': the reply to "where are you?"
ALTER TABLE tickets ADD COLUMN place_source TEXT;
CREATE INDEX tickets_resolved ON tickets(status, resolved_at);
