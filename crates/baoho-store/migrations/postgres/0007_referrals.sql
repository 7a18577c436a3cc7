-- Referrals of a case to a partner agency (police, defence, a province, a partner state).
-- The referral carries a snapshot of only the fields chosen for the receiver (encrypted),
-- the consent basis, and a status both sides see. Partners see referrals, never the case.

CREATE TABLE case_referral (
    rid           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id            TEXT NOT NULL UNIQUE,
    case_rid      BIGINT NOT NULL REFERENCES case_file (rid) ON DELETE CASCADE,
    agency_code   TEXT NOT NULL,
    purpose       TEXT NOT NULL,
    consent       TEXT NOT NULL CHECK (consent IN ('given', 'override')),
    override_reason TEXT,                    -- envelope
    status        TEXT NOT NULL,
    snapshot      TEXT NOT NULL,             -- envelope: the fields sent
    response      TEXT,                      -- envelope: the partner's answer
    created_at    TIMESTAMPTZ NOT NULL,
    created_by    TEXT NOT NULL,
    approved_by   TEXT,
    updated_at    TIMESTAMPTZ NOT NULL
);

CREATE INDEX case_referral_agency ON case_referral (agency_code, status, created_at);
CREATE INDEX case_referral_case ON case_referral (case_rid);
