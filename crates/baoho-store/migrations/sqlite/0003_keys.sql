-- The key-check value: a constant encrypted under the field-encryption key, so a server
-- started with another key file refuses to start. The keys themselves never enter the database.

CREATE TABLE key_check (
    id          INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    envelope    TEXT NOT NULL,
    created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
) STRICT;
