-- Issue #12: "/import residents" then the file as the next message. The admin's wait is a row, so a
-- restart between the two keeps it; a row past expires_at is no wait at all.
CREATE TABLE import_waits (
    telegram_id INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL,
    expires_at  REAL NOT NULL
);
