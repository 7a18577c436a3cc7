-- Attachments of a case. The bytes live in the object store (local disk by default), always
-- encrypted with the field key (associated data: the attachment id); the file name is an
-- envelope too (names of files often hold names of people).

CREATE TABLE case_attachment (
    id            TEXT PRIMARY KEY,
    case_rid      BIGINT NOT NULL REFERENCES case_file (rid) ON DELETE CASCADE,
    file_name     TEXT NOT NULL,             -- envelope
    content_type  TEXT NOT NULL,
    size          BIGINT NOT NULL,
    sha256        TEXT NOT NULL,
    object_key    TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    created_by    TEXT NOT NULL
);

CREATE INDEX case_attachment_case ON case_attachment (case_rid);
