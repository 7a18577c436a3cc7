-- A money advance's repayment undertaking: 'signed' (the citizen signed an undertaking to
-- repay), 'pending' (to be signed) or 'waived' (a grant). NULL for other timeline entries.
ALTER TABLE case_event ADD COLUMN repayment TEXT CHECK (repayment IN ('signed', 'pending', 'waived'));
