-- The committee's own triage words and its corrections of the engine's verdicts.

-- Terms added from the chat (/keyword add): dialect, local names. They join the shipped
-- lexicon at once; every change bumps settings.keywords_version so each process reloads.
CREATE TABLE keywords (
    id         INTEGER PRIMARY KEY,
    lang       TEXT NOT NULL CHECK (lang IN ('zh', 'en')),
    term       TEXT NOT NULL,
    urgency    TEXT NOT NULL CHECK (urgency IN ('emergency', 'urgent', 'routine', 'info')),
    category   TEXT NOT NULL,
    added_by   INTEGER,
    added_at   REAL NOT NULL,
    UNIQUE (lang, term)
);

-- Every admin correction of a ticket's urgency or category (/triage N urgency category):
-- a labelled example for the lexicon or a model (frontdesk triage corrections).
CREATE TABLE triage_corrections (
    id            INTEGER PRIMARY KEY,
    ticket_id     INTEGER NOT NULL REFERENCES tickets(id),
    text          TEXT NOT NULL,
    lang          TEXT NOT NULL,
    from_urgency  TEXT NOT NULL,
    from_category TEXT NOT NULL,
    urgency       TEXT NOT NULL CHECK (urgency IN ('emergency', 'urgent', 'routine', 'info')),
    category      TEXT NOT NULL,
    by_id         INTEGER,
    by_name       TEXT,
    at            REAL NOT NULL
);
CREATE INDEX triage_corrections_ticket ON triage_corrections(ticket_id);
