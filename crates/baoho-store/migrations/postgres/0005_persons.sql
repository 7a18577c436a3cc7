-- The person registry. Names as entered (NFC) for display, folded for search (a GIN index on
-- the application's own folding, 'simple' configuration). Restricted fields (contacts, next of
-- kin, notes, document numbers) hold encrypted envelopes; document numbers are found through a
-- keyed blind index.

CREATE TABLE person (
    rid          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id           TEXT NOT NULL UNIQUE,
    version      BIGINT NOT NULL DEFAULT 1,
    full_name    TEXT NOT NULL,
    other_names  TEXT NOT NULL DEFAULT '',
    name_folded  TEXT NOT NULL,
    name_words   TSVECTOR GENERATED ALWAYS AS (to_tsvector('simple', name_folded)) STORED,
    birth_year   BIGINT,
    birth_month  BIGINT,
    birth_day    BIGINT,
    sex          TEXT NOT NULL,
    hometown     TEXT NOT NULL DEFAULT '',
    hometown_province TEXT,
    nationality  TEXT NOT NULL,
    country      TEXT NOT NULL DEFAULT '',
    mission_code TEXT NOT NULL DEFAULT '',
    restricted   TEXT NOT NULL DEFAULT '',
    private_data TEXT,
    created_at   TIMESTAMPTZ NOT NULL,
    created_by   TEXT NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL,
    updated_by   TEXT NOT NULL
);

CREATE INDEX person_mission ON person (mission_code);
CREATE INDEX person_country ON person (country);
CREATE INDEX person_name ON person USING GIN (name_words);

CREATE TABLE person_document (
    id              TEXT PRIMARY KEY,
    person_rid      BIGINT NOT NULL REFERENCES person (rid) ON DELETE CASCADE,
    kind            TEXT NOT NULL,
    number          TEXT NOT NULL,
    number_index    TEXT NOT NULL,
    issuing_country TEXT NOT NULL DEFAULT '',
    issued_by       TEXT NOT NULL DEFAULT '',
    issued_on       TEXT,
    expires_on      TEXT
);

CREATE INDEX person_document_person ON person_document (person_rid);
CREATE INDEX person_document_index ON person_document (number_index);

CREATE TABLE person_assignment (
    person_rid  BIGINT NOT NULL REFERENCES person (rid) ON DELETE CASCADE,
    account_id  TEXT NOT NULL REFERENCES account (id),
    PRIMARY KEY (person_rid, account_id)
);

CREATE INDEX person_assignment_account ON person_assignment (account_id);

CREATE TABLE person_referral (
    person_rid  BIGINT NOT NULL REFERENCES person (rid) ON DELETE CASCADE,
    agency_code TEXT NOT NULL,
    PRIMARY KEY (person_rid, agency_code)
);

CREATE INDEX person_referral_agency ON person_referral (agency_code);

CREATE TABLE break_glass (
    id          TEXT PRIMARY KEY,
    person_rid  BIGINT NOT NULL REFERENCES person (rid) ON DELETE CASCADE,
    account_id  TEXT NOT NULL REFERENCES account (id),
    reason      TEXT NOT NULL,
    at          TIMESTAMPTZ NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL
);

CREATE INDEX break_glass_lookup ON break_glass (person_rid, account_id);
