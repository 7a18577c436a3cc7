-- The Vienna Convention (art. 36) consular-access clock of arrest and detention cases: when
-- the person was arrested, when the host state notified the mission, when access was asked
-- for and granted. Visits are the case's consular_visit timeline entries.

CREATE TABLE consular_access (
    case_rid      BIGINT PRIMARY KEY REFERENCES case_file (rid) ON DELETE CASCADE,
    arrested_at   TIMESTAMPTZ,
    notified_at   TIMESTAMPTZ,
    requested_at  TIMESTAMPTZ,
    granted_at    TIMESTAMPTZ,
    updated_at    TIMESTAMPTZ NOT NULL,
    updated_by    TEXT NOT NULL
);
