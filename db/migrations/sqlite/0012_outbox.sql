-- The outbox (issue 12). Same tables as the PostgreSQL migration.
CREATE TABLE outbox_messages (
    id              TEXT PRIMARY KEY,
    idempotency_key TEXT NOT NULL UNIQUE CHECK (length(idempotency_key) BETWEEN 1 AND 200),
    kind            TEXT NOT NULL,
    recipient       TEXT NOT NULL,
    recipient_name  TEXT NOT NULL DEFAULT '',
    subject         TEXT NOT NULL,
    text_body       TEXT NOT NULL,
    html_body       TEXT NOT NULL DEFAULT '',
    created_at      TIMESTAMP NOT NULL,
    status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    last_error      TEXT NOT NULL DEFAULT '',
    sent_at         TIMESTAMP
);
CREATE INDEX outbox_messages_due ON outbox_messages (next_attempt_at) WHERE status = 'pending';
CREATE INDEX outbox_messages_created ON outbox_messages (created_at);

CREATE TABLE usager_notices (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    usager_id       TEXT NOT NULL,
    occurred_at     TIMESTAMP NOT NULL,
    organisation_id TEXT NOT NULL,
    service         TEXT NOT NULL,
    procedure       TEXT NOT NULL,
    message_id      TEXT REFERENCES outbox_messages (id) ON DELETE CASCADE
);
CREATE INDEX usager_notices_pending ON usager_notices (usager_id, occurred_at) WHERE message_id IS NULL;

-- Password recovery (issue 12): a single-use link valid one hour, sent by
-- email; only the SHA-256 of its token is kept.
CREATE TABLE password_resets (
    id          TEXT PRIMARY KEY,
    account_id  TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    token_hash  BLOB NOT NULL UNIQUE,
    created_at  TIMESTAMP NOT NULL,
    expires_at  TIMESTAMP NOT NULL CHECK (expires_at > created_at),
    used_at     TIMESTAMP
);
CREATE INDEX password_resets_account ON password_resets (account_id, created_at);
