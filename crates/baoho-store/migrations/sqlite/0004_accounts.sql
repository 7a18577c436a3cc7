-- Staff accounts, their MFA, and server-side sessions. Passwords are argon2id PHC strings;
-- the TOTP secret is an encrypted envelope (see crypto.rs); session tokens are stored as
-- SHA-256 hashes, so a copy of the database cannot be used to take over a session.

CREATE TABLE account (
    id             TEXT PRIMARY KEY NOT NULL,
    username       TEXT NOT NULL UNIQUE,          -- lower case
    display_name   TEXT NOT NULL,
    role           TEXT NOT NULL,
    agency_kind    TEXT NOT NULL,
    agency_code    TEXT NOT NULL,
    supervisor_id  TEXT REFERENCES account (id),
    password_hash  TEXT NOT NULL,
    totp_secret    TEXT,                          -- envelope; NULL until enrolled
    totp_last_step INTEGER,                       -- last accepted time step (no replay)
    disabled       INTEGER NOT NULL DEFAULT 0,
    failed_logins  INTEGER NOT NULL DEFAULT 0,
    locked_until   TEXT,
    demo           INTEGER NOT NULL DEFAULT 0,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
) STRICT;

CREATE TABLE recovery_code (
    account_id  TEXT NOT NULL REFERENCES account (id) ON DELETE CASCADE,
    code_hash   TEXT NOT NULL,
    used_at     TEXT,
    PRIMARY KEY (account_id, code_hash)
) STRICT;

CREATE TABLE session (
    token_hash   TEXT PRIMARY KEY NOT NULL,
    account_id   TEXT NOT NULL REFERENCES account (id) ON DELETE CASCADE,
    csrf         TEXT NOT NULL,
    mfa_ok       INTEGER NOT NULL DEFAULT 0,
    created_at   TEXT NOT NULL,
    last_seen_at TEXT NOT NULL
) STRICT;

CREATE INDEX session_account ON session (account_id);

CREATE TABLE notification (
    id           TEXT PRIMARY KEY NOT NULL,
    recipient    TEXT NOT NULL REFERENCES account (id),
    kind         TEXT NOT NULL,
    object_kind  TEXT NOT NULL,
    object_id    TEXT NOT NULL,
    actor        TEXT NOT NULL,
    at           TEXT NOT NULL,
    read_at      TEXT
) STRICT;

CREATE INDEX notification_recipient ON notification (recipient, at);
