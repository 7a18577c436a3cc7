-- Staff accounts, their MFA, and server-side sessions. Passwords are argon2id PHC strings;
-- the TOTP secret is an encrypted envelope (see crypto.rs); session tokens are stored as
-- SHA-256 hashes, so a copy of the database cannot be used to take over a session.

CREATE TABLE account (
    id             TEXT PRIMARY KEY,
    username       TEXT NOT NULL UNIQUE,
    display_name   TEXT NOT NULL,
    role           TEXT NOT NULL,
    agency_kind    TEXT NOT NULL,
    agency_code    TEXT NOT NULL,
    supervisor_id  TEXT REFERENCES account (id),
    password_hash  TEXT NOT NULL,
    totp_secret    TEXT,
    totp_last_step BIGINT,
    disabled       BOOLEAN NOT NULL DEFAULT FALSE,
    failed_logins  BIGINT NOT NULL DEFAULT 0,
    locked_until   TIMESTAMPTZ,
    demo           BOOLEAN NOT NULL DEFAULT FALSE,
    created_at     TIMESTAMPTZ NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL
);

CREATE TABLE recovery_code (
    account_id  TEXT NOT NULL REFERENCES account (id) ON DELETE CASCADE,
    code_hash   TEXT NOT NULL,
    used_at     TIMESTAMPTZ,
    PRIMARY KEY (account_id, code_hash)
);

CREATE TABLE session (
    token_hash   TEXT PRIMARY KEY,
    account_id   TEXT NOT NULL REFERENCES account (id) ON DELETE CASCADE,
    csrf         TEXT NOT NULL,
    mfa_ok       BOOLEAN NOT NULL DEFAULT FALSE,
    created_at   TIMESTAMPTZ NOT NULL,
    last_seen_at TIMESTAMPTZ NOT NULL
);

CREATE INDEX session_account ON session (account_id);

CREATE TABLE notification (
    id           TEXT PRIMARY KEY,
    recipient    TEXT NOT NULL REFERENCES account (id),
    kind         TEXT NOT NULL,
    object_kind  TEXT NOT NULL,
    object_id    TEXT NOT NULL,
    actor        TEXT NOT NULL,
    at           TIMESTAMPTZ NOT NULL,
    read_at      TIMESTAMPTZ
);

CREATE INDEX notification_recipient ON notification (recipient, at);
