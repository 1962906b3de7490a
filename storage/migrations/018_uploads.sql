-- Issue #12: files the bot makes (a chart, a spreadsheet) go through the outbox like every
-- message, so a crash between "make it" and "send it" loses nothing. The bytes wait here, apart
-- from the outbox rows the sender scans, and are deleted once their message is sent or given up.
CREATE TABLE uploads (
    outbox_id INTEGER PRIMARY KEY REFERENCES outbox (id) ON DELETE CASCADE,
    filename TEXT NOT NULL,
    data BLOB NOT NULL
);
