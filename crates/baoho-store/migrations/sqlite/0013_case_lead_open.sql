-- The work queue's "my open cases": the open cases an officer leads, in deadline order, read
-- from this index (a page is its first 50 entries that are in the reader's places, the capped
-- count its first 1,001; the place columns are in the index, so neither reads the table).

CREATE INDEX case_lead_open ON case_file (lead_officer, due_at, mission_code, country, restricted)
    WHERE status NOT IN ('resolved', 'closed');
