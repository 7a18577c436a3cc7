-- Referrals (issue #14, defect 11; ADR 0019): a consent record instead of a bare yes/no, and
-- an override (no consent) that waits for a second person, who approves or refuses it.
-- Referrals made before have no record (NULL): the page says so.

-- Who consented: the person themself, their guardian, or a representative (named).
ALTER TABLE case_referral ADD COLUMN consent_by TEXT
    CHECK (consent_by IN ('person', 'guardian', 'representative'));
ALTER TABLE case_referral ADD COLUMN consent_by_name TEXT;       -- envelope: the guardian's or representative's name
ALTER TABLE case_referral ADD COLUMN consent_purpose TEXT;       -- one of the fixed list (ConsentPurpose)
ALTER TABLE case_referral ADD COLUMN consent_on DATE;            -- the day consent was given (YYYY-MM-DD)
ALTER TABLE case_referral ADD COLUMN consent_method TEXT
    CHECK (consent_method IN ('in_person', 'phone', 'written'));
ALTER TABLE case_referral ADD COLUMN consent_recorded_by TEXT;   -- the account that recorded it

-- The second person's decision on an override: approved (approved_by, which existed) or
-- refused (refused_by, with the reason), and when.
ALTER TABLE case_referral ADD COLUMN decided_at TIMESTAMPTZ;
ALTER TABLE case_referral ADD COLUMN refused_by TEXT;
ALTER TABLE case_referral ADD COLUMN refusal_reason TEXT;        -- envelope

-- Person-level referrals (`person_referral`) granted a partner the live person record. They
-- grant nothing now (a partner reads only the snapshots referred to it); the rows stay as the
-- record of what was disclosed before.
