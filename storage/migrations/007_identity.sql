-- Identity you can trust, and phone numbers by the book (issue #15, findings 1 and 13).

-- How a resident's number came to be on the record: 'import' (the committee's word), 'contact'
-- (Telegram's proof: the sender's own contact) or 'typed' (a claim, never proof). Numbers given in
-- the bot before this migration cannot be told apart, so they count as typed.
ALTER TABLE residents ADD COLUMN phone_source TEXT;
UPDATE residents SET phone_source = CASE WHEN source = 'import' THEN 'import' ELSE 'typed' END
 WHERE phone IS NOT NULL;

-- A person asks for a record they have not proven is theirs (a typed number, somebody's contact
-- card, a number another account holds, an import that met a typed number); the committee decides.
CREATE TABLE link_requests (
    id                 INTEGER PRIMARY KEY,
    telegram_id        INTEGER NOT NULL,          -- the account that asked
    first_name         TEXT,                      -- its Telegram name when it asked
    resident_id        INTEGER NOT NULL REFERENCES residents(id) ON DELETE CASCADE,  -- the record asked for
    phone              TEXT NOT NULL,             -- E.164, as given
    reason             TEXT NOT NULL CHECK (reason IN ('typed', 'card', 'taken', 'import')),
    holder_telegram_id INTEGER,                   -- the account the record was linked to when asked
    status             TEXT NOT NULL DEFAULT 'pending'
                       CHECK (status IN ('pending', 'approved', 'rejected', 'superseded', 'withdrawn')),
    created_at         REAL NOT NULL,
    announced_at       REAL,                      -- the admins were sent it
    decided_by         INTEGER,
    decided_at         REAL
);
CREATE INDEX link_requests_status ON link_requests(status, announced_at);
CREATE INDEX link_requests_asker ON link_requests(telegram_id, status);

-- What converting the stored numbers to E.164 found: two rows that became one number (the one
-- kept, the other left as it was), and numbers that are not valid. Shown by /links while the row
-- still holds the text found and no admin settled it (/links merge N, /links keep N).
CREATE TABLE phone_report (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('clash', 'invalid')),
    who         TEXT NOT NULL CHECK (who IN ('resident', 'volunteer')),
    row_id      INTEGER NOT NULL,                 -- residents.id or volunteers.id
    stored      TEXT NOT NULL,                    -- the number as the row still holds it
    phone       TEXT,                             -- a clash: the E.164 number it would be
    kept_id     INTEGER,                          -- a clash: the row that has that number
    found_at    REAL NOT NULL,
    settled_by  INTEGER,
    settled_at  REAL                              -- merged into the row kept, or kept apart on purpose
);

-- The numbers themselves are converted by the bot at start-up (bot/services/identity.py,
-- convert_phones: libphonenumber and the committee's PHONE_REGION), once, while this says 'due'.
INSERT INTO settings (key, value) VALUES ('phone_migration', 'due')
    ON CONFLICT(key) DO UPDATE SET value = 'due';
