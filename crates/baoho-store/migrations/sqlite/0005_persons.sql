-- The person registry. Names as entered (NFC) for display, folded for search (FTS5 over the
-- application's own folding: FTS5's remove_diacritics does not fold đ). Restricted fields
-- (contacts, next of kin, notes, document numbers) hold encrypted envelopes; document numbers
-- are found through a keyed blind index.

CREATE TABLE person (
    rid          INTEGER PRIMARY KEY,             -- stable row id for the name index
    id           TEXT NOT NULL UNIQUE,            -- public id (UUID v7)
    version      INTEGER NOT NULL DEFAULT 1,
    full_name    TEXT NOT NULL,
    other_names  TEXT NOT NULL DEFAULT '',
    name_folded  TEXT NOT NULL,
    birth_year   INTEGER,
    birth_month  INTEGER,
    birth_day    INTEGER,
    sex          TEXT NOT NULL,
    hometown     TEXT NOT NULL DEFAULT '',
    hometown_province TEXT,
    nationality  TEXT NOT NULL,
    country      TEXT NOT NULL DEFAULT '',
    mission_code TEXT NOT NULL DEFAULT '',
    restricted   TEXT NOT NULL DEFAULT '',
    private_data TEXT,                            -- envelope: contacts, next of kin, notes
    created_at   TEXT NOT NULL,
    created_by   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    updated_by   TEXT NOT NULL
) STRICT;

CREATE INDEX person_mission ON person (mission_code);
CREATE INDEX person_country ON person (country);

CREATE VIRTUAL TABLE person_name USING fts5 (
    name_folded, content = 'person', content_rowid = 'rid',
    tokenize = 'unicode61 remove_diacritics 0', detail = 'none'
);

CREATE TRIGGER person_name_ai AFTER INSERT ON person BEGIN
    INSERT INTO person_name (rowid, name_folded) VALUES (new.rid, new.name_folded);
END;
CREATE TRIGGER person_name_ad AFTER DELETE ON person BEGIN
    INSERT INTO person_name (person_name, rowid, name_folded) VALUES ('delete', old.rid, old.name_folded);
END;
CREATE TRIGGER person_name_au AFTER UPDATE OF name_folded ON person BEGIN
    INSERT INTO person_name (person_name, rowid, name_folded) VALUES ('delete', old.rid, old.name_folded);
    INSERT INTO person_name (rowid, name_folded) VALUES (new.rid, new.name_folded);
END;

CREATE TABLE person_document (
    id              TEXT PRIMARY KEY NOT NULL,
    person_rid      INTEGER NOT NULL REFERENCES person (rid) ON DELETE CASCADE,
    kind            TEXT NOT NULL,
    number          TEXT NOT NULL,                -- envelope
    number_index    TEXT NOT NULL,                -- keyed blind index of the folded number
    issuing_country TEXT NOT NULL DEFAULT '',
    issued_by       TEXT NOT NULL DEFAULT '',
    issued_on       TEXT,
    expires_on      TEXT
) STRICT;

CREATE INDEX person_document_person ON person_document (person_rid);
CREATE INDEX person_document_index ON person_document (number_index);

-- Explicit assignment (needed for restricted categories) and referral to a partner agency.
CREATE TABLE person_assignment (
    person_rid  INTEGER NOT NULL REFERENCES person (rid) ON DELETE CASCADE,
    account_id  TEXT NOT NULL REFERENCES account (id),
    PRIMARY KEY (person_rid, account_id)
) STRICT;

CREATE INDEX person_assignment_account ON person_assignment (account_id);

CREATE TABLE person_referral (
    person_rid  INTEGER NOT NULL REFERENCES person (rid) ON DELETE CASCADE,
    agency_code TEXT NOT NULL,
    PRIMARY KEY (person_rid, agency_code)
) STRICT;

CREATE INDEX person_referral_agency ON person_referral (agency_code);

-- Break-glass grants: a written reason opens one restricted record to one officer for a while.
CREATE TABLE break_glass (
    id          TEXT PRIMARY KEY NOT NULL,
    person_rid  INTEGER NOT NULL REFERENCES person (rid) ON DELETE CASCADE,
    account_id  TEXT NOT NULL REFERENCES account (id),
    reason      TEXT NOT NULL,                    -- envelope
    at          TEXT NOT NULL,
    expires_at  TEXT NOT NULL
) STRICT;

CREATE INDEX break_glass_lookup ON break_glass (person_rid, account_id);
