-- "Who saw whom" (issue #14 defect 10, ADR 0018): an audit row names the persons it returned
-- without opening them (search results, duplicate candidates, an export's persons, a
-- transferred case's persons) in `subjects`: ids, sorted, without repeats, joined by ','.
-- The column is hashed into the chain (encoding version 2, see audit/mod.rs), so the list
-- cannot be edited without breaking the row's hash.
ALTER TABLE audit ADD COLUMN subjects TEXT NOT NULL DEFAULT '';

-- The index the reports read ("every person one account touched", "who saw person X"),
-- filled from the hashed column by the insert itself; `baoho audit verify` checks it against
-- the column row by row. Append-only like the trail (the application role owns neither
-- table, so it cannot disable these triggers).
CREATE TABLE audit_subject (
    seq       BIGINT NOT NULL,
    person_id TEXT NOT NULL,
    PRIMARY KEY (seq, person_id)
);

CREATE INDEX audit_subject_person ON audit_subject (person_id, seq);

-- The touched report reads one account's rows in a period.
CREATE INDEX audit_actor_at ON audit (actor, at);

CREATE FUNCTION audit_subject_fill() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO audit_subject (seq, person_id)
    SELECT NEW.seq, s FROM unnest(string_to_array(NEW.subjects, ',')) AS s;
    RETURN NULL;
END;
$$;

CREATE TRIGGER audit_subject_fill AFTER INSERT ON audit
    FOR EACH ROW WHEN (NEW.subjects <> '') EXECUTE FUNCTION audit_subject_fill();

CREATE TRIGGER audit_subject_append_only BEFORE UPDATE OR DELETE ON audit_subject
    FOR EACH ROW EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_subject_no_truncate BEFORE TRUNCATE ON audit_subject
    FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();

REVOKE UPDATE, DELETE, TRUNCATE, TRIGGER, REFERENCES ON audit_subject FROM PUBLIC;
