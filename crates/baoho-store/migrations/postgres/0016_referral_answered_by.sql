-- Who recorded a referral's answer (the partner's liaison in its inbox, or the case's officer
-- for a partner state's answer): the work queue does not tell an officer about an answer they
-- recorded themselves. NULL for referrals not answered yet and for answers recorded before.
ALTER TABLE case_referral ADD COLUMN answered_by TEXT;
