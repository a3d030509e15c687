-- The outbox (issue 12): a message is written in the transaction of the act
-- that causes it and delivered later by the outbox worker. A row is never
-- deleted by the worker: sent and failed messages stay for the operator.
CREATE TABLE outbox_messages (
    id              UUID PRIMARY KEY,
    -- The caller's idempotency key: a second Enqueue with the same key adds
    -- nothing. The Message-ID header is derived from it.
    idempotency_key TEXT NOT NULL UNIQUE CHECK (length(idempotency_key) BETWEEN 1 AND 200),
    kind            TEXT NOT NULL,
    recipient       TEXT NOT NULL,
    recipient_name  TEXT NOT NULL DEFAULT '',
    subject         TEXT NOT NULL,
    text_body       TEXT NOT NULL,
    html_body       TEXT NOT NULL DEFAULT '',
    created_at      TIMESTAMPTZ NOT NULL,
    status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    -- When a pending message is next due. A worker that claims it moves it
    -- forward by its lease, so no other worker takes it meanwhile.
    next_attempt_at TIMESTAMPTZ NOT NULL,
    last_error      TEXT NOT NULL DEFAULT '',
    sent_at         TIMESTAMPTZ
);
CREATE INDEX outbox_messages_due ON outbox_messages (next_attempt_at) WHERE status = 'pending';
CREATE INDEX outbox_messages_created ON outbox_messages (created_at);

-- Acts a usager who opted in is told of by email (delegated logins), waiting
-- to be listed in their next notice: at most one notice per usager per hour.
CREATE TABLE usager_notices (
    id              BIGSERIAL PRIMARY KEY,
    usager_id       TEXT NOT NULL,
    occurred_at     TIMESTAMPTZ NOT NULL,
    organisation_id UUID NOT NULL,
    -- The service's name when the act was done, and the procedure's id.
    service         TEXT NOT NULL,
    procedure       TEXT NOT NULL,
    -- The outbox message that listed this act; NULL while pending.
    message_id      UUID REFERENCES outbox_messages (id) ON DELETE CASCADE
);
CREATE INDEX usager_notices_pending ON usager_notices (usager_id, occurred_at) WHERE message_id IS NULL;

-- Password recovery (issue 12): a single-use link valid one hour, sent by
-- email; only the SHA-256 of its token is kept.
CREATE TABLE password_resets (
    id          UUID PRIMARY KEY,
    account_id  UUID NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    token_hash  BYTEA NOT NULL UNIQUE,
    created_at  TIMESTAMPTZ NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL CHECK (expires_at > created_at),
    used_at     TIMESTAMPTZ
);
CREATE INDEX password_resets_account ON password_resets (account_id, created_at);
