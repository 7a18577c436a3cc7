-- Attachments of a case. The bytes live in the object store (local disk by default), always
-- encrypted with the field key (associated data: the attachment id); the file name is an
-- envelope too (names of files often hold names of people).

CREATE TABLE case_attachment (
    id            TEXT PRIMARY KEY NOT NULL,
    case_rid      INTEGER NOT NULL REFERENCES case_file (rid) ON DELETE CASCADE,
    file_name     TEXT NOT NULL,             -- envelope
    content_type  TEXT NOT NULL,
    size          INTEGER NOT NULL,
    sha256        TEXT NOT NULL,
    object_key    TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    created_by    TEXT NOT NULL
) STRICT;

CREATE INDEX case_attachment_case ON case_attachment (case_rid);
