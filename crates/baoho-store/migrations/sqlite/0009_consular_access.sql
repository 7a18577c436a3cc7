-- The Vienna Convention (art. 36) consular-access clock of arrest and detention cases: when
-- the person was arrested, when the host state notified the mission, when access was asked
-- for and granted. Visits are the case's consular_visit timeline entries.

CREATE TABLE consular_access (
    case_rid      INTEGER PRIMARY KEY REFERENCES case_file (rid) ON DELETE CASCADE,
    arrested_at   TEXT,
    notified_at   TEXT,
    requested_at  TEXT,
    granted_at    TEXT,
    updated_at    TEXT NOT NULL,
    updated_by    TEXT NOT NULL
) STRICT;
