-- The work queue's referral lists: referrals awaiting a supervisor's approval, oldest first
-- (status = 'awaiting_approval', in creation order), and partners' answers since an officer's
-- last look (the four answered statuses, each a range of answer times). Both read a few index
-- entries and join each to its case by rid, whatever the number of cases.

CREATE INDEX case_referral_status_created ON case_referral (status, created_at);
CREATE INDEX case_referral_status_updated ON case_referral (status, updated_at);
