-- The audit trail: append-only and hash-chained (see crates/baoho-store/src/audit.rs for the
-- canonical encoding). Ids only, never names. `seq` is assigned by the appender (last + 1, under
-- the single writer); `prev_hash` is unique, so the chain cannot fork.

CREATE TABLE audit (
    seq         INTEGER PRIMARY KEY NOT NULL CHECK (seq >= 1),
    at          TEXT NOT NULL,            -- UTC, YYYY-MM-DDTHH:MM:SS.ffffffZ (sorts as text)
    actor       TEXT NOT NULL,            -- account id or 'system'
    role        TEXT NOT NULL,
    agency      TEXT NOT NULL,
    object_kind TEXT NOT NULL,
    object_id   TEXT NOT NULL,
    action      TEXT NOT NULL,
    purpose     TEXT NOT NULL,
    outcome     TEXT NOT NULL CHECK (outcome IN ('allowed', 'denied', 'failed')),
    request_id  TEXT NOT NULL,
    prev_hash   TEXT NOT NULL UNIQUE CHECK (length(prev_hash) = 64),
    hash        TEXT NOT NULL UNIQUE CHECK (length(hash) = 64)
) STRICT;

CREATE INDEX audit_actor ON audit (actor, seq);
CREATE INDEX audit_object ON audit (object_kind, object_id, seq);
CREATE INDEX audit_action ON audit (action, seq);
CREATE INDEX audit_at ON audit (at);

CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN
    SELECT RAISE(ABORT, 'audit rows are append-only');
END;

CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN
    SELECT RAISE(ABORT, 'audit rows are append-only');
END;
