-- Four eyes on accounts with file access (issue #14 defect 5, ADR 0017). An administrator's
-- creation of an account whose role reads person or case files (or of another administrator),
-- and a reset of such an account's password and second factor, wait here until a second,
-- different administrator approves or refuses them. The requester never decides: the CHECK
-- says so whatever path writes. The password hash asked for is kept only while the request is
-- pending.
CREATE TABLE account_request (
    id            TEXT PRIMARY KEY NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('create', 'reset')),
    -- reset: the account; create: the account made on approval
    account_id    TEXT REFERENCES account (id),
    username      TEXT NOT NULL,
    display_name  TEXT NOT NULL,
    role          TEXT NOT NULL,
    agency_kind   TEXT NOT NULL,
    agency_code   TEXT NOT NULL,
    supervisor_id TEXT REFERENCES account (id),
    password_hash TEXT,
    status        TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'refused')),
    requested_by  TEXT NOT NULL REFERENCES account (id),
    requested_at  TEXT NOT NULL,
    decided_by    TEXT REFERENCES account (id),
    decided_at    TEXT,
    CHECK (decided_by IS NULL OR decided_by <> requested_by),
    CHECK ((status = 'pending') = (decided_by IS NULL)),
    CHECK (status = 'pending' OR password_hash IS NULL),
    CHECK (kind = 'create' OR account_id IS NOT NULL)
) STRICT;

-- One pending request per username to create, and per account to reset.
CREATE UNIQUE INDEX account_request_one_create ON account_request (username)
    WHERE status = 'pending' AND kind = 'create';
CREATE UNIQUE INDEX account_request_one_reset ON account_request (account_id)
    WHERE status = 'pending' AND kind = 'reset';
CREATE INDEX account_request_status ON account_request (status, requested_at);
