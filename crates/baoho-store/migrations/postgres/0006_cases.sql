-- Protection cases, their persons, members, timeline, checklist, and the outbox that carries
-- escalations and other deliveries. The summary and the reporter's details are an encrypted
-- envelope (private_data); timeline bodies too.

CREATE TABLE case_file (
    rid            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id             TEXT NOT NULL UNIQUE,
    reference      TEXT NOT NULL UNIQUE,
    version        BIGINT NOT NULL DEFAULT 1,
    case_type      TEXT NOT NULL,
    priority       TEXT NOT NULL,
    status         TEXT NOT NULL,
    channel        TEXT NOT NULL,
    mission_code   TEXT NOT NULL DEFAULT '',
    country        TEXT NOT NULL DEFAULT '',
    city           TEXT NOT NULL DEFAULT '',
    restricted     TEXT NOT NULL DEFAULT '',
    private_data   TEXT,
    lead_officer   TEXT REFERENCES account (id),
    opened_at      TIMESTAMPTZ NOT NULL,
    due_at         TIMESTAMPTZ NOT NULL,
    escalation     BIGINT NOT NULL DEFAULT 0,
    close_requested_by TEXT,
    closed_at      TIMESTAMPTZ,
    closed_by      TEXT,
    created_by     TEXT NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL,
    updated_by     TEXT NOT NULL
);

CREATE INDEX case_lead ON case_file (lead_officer, status, due_at);
CREATE INDEX case_mission ON case_file (mission_code, status, due_at);
CREATE INDEX case_status_due ON case_file (status, due_at);

CREATE TABLE case_person (
    case_rid    BIGINT NOT NULL REFERENCES case_file (rid) ON DELETE CASCADE,
    person_rid  BIGINT NOT NULL REFERENCES person (rid),
    PRIMARY KEY (case_rid, person_rid)
);

CREATE INDEX case_person_person ON case_person (person_rid);

CREATE TABLE case_member (
    case_rid    BIGINT NOT NULL REFERENCES case_file (rid) ON DELETE CASCADE,
    account_id  TEXT NOT NULL REFERENCES account (id),
    PRIMARY KEY (case_rid, account_id)
);

CREATE INDEX case_member_account ON case_member (account_id);

CREATE TABLE case_event (
    id           TEXT PRIMARY KEY,
    case_rid     BIGINT NOT NULL REFERENCES case_file (rid) ON DELETE CASCADE,
    kind         TEXT NOT NULL,
    at           TIMESTAMPTZ NOT NULL,
    author       TEXT NOT NULL,
    body         TEXT,                      -- envelope
    amount_minor BIGINT,
    currency     TEXT
);

CREATE INDEX case_event_case ON case_event (case_rid, at);

CREATE TABLE case_check (
    case_rid    BIGINT NOT NULL REFERENCES case_file (rid) ON DELETE CASCADE,
    item        BIGINT NOT NULL,
    done_at     TIMESTAMPTZ NOT NULL,
    done_by     TEXT NOT NULL,
    PRIMARY KEY (case_rid, item)
);

-- Deliveries written in the same transaction as the change that causes them; a worker
-- claims, delivers and marks them done (retrying with backoff).
CREATE TABLE outbox (
    id              TEXT PRIMARY KEY,
    kind            TEXT NOT NULL,
    payload         TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ NOT NULL,
    done_at         TIMESTAMPTZ,
    last_error      TEXT
);

CREATE INDEX outbox_pending ON outbox (done_at, next_attempt_at);
