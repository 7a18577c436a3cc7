-- "Who saw whom" (issue #14 defect 10, ADR 0018): an audit row names the persons it returned
-- without opening them (search results, duplicate candidates, an export's persons, a
-- transferred case's persons) in `subjects`: ids, sorted, without repeats, joined by ','.
-- The column is hashed into the chain (encoding version 2, see audit/mod.rs), so the list
-- cannot be edited without breaking the row's hash.
ALTER TABLE audit ADD COLUMN subjects TEXT NOT NULL DEFAULT '';

-- The index the reports read ("every person one account touched", "who saw person X"),
-- filled from the hashed column by the insert itself; `baoho audit verify` checks it against
-- the column row by row. Append-only like the trail.
CREATE TABLE audit_subject (
    seq       INTEGER NOT NULL,
    person_id TEXT NOT NULL,
    PRIMARY KEY (seq, person_id)
) STRICT, WITHOUT ROWID;

CREATE INDEX audit_subject_person ON audit_subject (person_id, seq);

-- The touched report reads one account's rows in a period.
CREATE INDEX audit_actor_at ON audit (actor, at);

-- Ids hold only ASCII letters, digits and - _ . : @ (validated before any insert), so the
-- list is turned into a JSON array by quoting it.
CREATE TRIGGER audit_subject_fill AFTER INSERT ON audit WHEN NEW.subjects <> ''
BEGIN
    INSERT INTO audit_subject (seq, person_id)
    SELECT NEW.seq, value FROM json_each('["' || replace(NEW.subjects, ',', '","') || '"]');
END;

CREATE TRIGGER audit_subject_no_update BEFORE UPDATE ON audit_subject
BEGIN
    SELECT RAISE(ABORT, 'audit rows are append-only');
END;

CREATE TRIGGER audit_subject_no_delete BEFORE DELETE ON audit_subject
BEGIN
    SELECT RAISE(ABORT, 'audit rows are append-only');
END;
