-- The audit trail: append-only and hash-chained (see crates/baoho-store/src/audit.rs for the
-- canonical encoding). Ids only, never names. `seq` is assigned by the appender (last + 1, under
-- pg_advisory_xact_lock); `prev_hash` is unique, so the chain cannot fork.

CREATE TABLE audit (
    seq         BIGINT PRIMARY KEY CHECK (seq >= 1),
    at          TIMESTAMPTZ NOT NULL,
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
);

CREATE INDEX audit_actor ON audit (actor, seq);
CREATE INDEX audit_object ON audit (object_kind, object_id, seq);
CREATE INDEX audit_action ON audit (action, seq);
CREATE INDEX audit_at ON audit (at);

-- Nobody rewrites history: not the application's role, not the table's owner, not a superuser
-- (short of disabling the trigger, which `baoho audit verify` would then expose).
CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit rows are append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON audit
    FOR EACH ROW EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit
    FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();

REVOKE UPDATE, DELETE, TRUNCATE ON audit FROM PUBLIC;
