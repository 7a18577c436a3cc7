-- When each account last looked at its work queue, and the newest case it could have seen
-- then: the queue's "new since I last looked" lists the cases opened after it.

CREATE TABLE queue_seen (
    account_id  TEXT PRIMARY KEY REFERENCES account (id) ON DELETE CASCADE,
    seen_at     TIMESTAMPTZ NOT NULL,
    seen_rid    BIGINT NOT NULL
);
