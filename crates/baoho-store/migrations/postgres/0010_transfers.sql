-- Transfers of a case between missions: requested by the holding mission, accepted or
-- rejected by the receiving one. The reason is an encrypted envelope.

CREATE TABLE case_transfer (
    id            TEXT PRIMARY KEY,
    case_rid      BIGINT NOT NULL REFERENCES case_file (rid) ON DELETE CASCADE,
    from_mission  TEXT NOT NULL,
    to_mission    TEXT NOT NULL,
    reason        TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('requested', 'accepted', 'rejected')),
    requested_by  TEXT NOT NULL,
    decided_by    TEXT,
    created_at    TIMESTAMPTZ NOT NULL,
    decided_at    TIMESTAMPTZ
);

CREATE INDEX case_transfer_to ON case_transfer (to_mission, status);
CREATE INDEX case_transfer_case ON case_transfer (case_rid);
