-- The manager space (issue 10): habilitation training dates, invitations,
-- physical TOTP cards. Same tables as the PostgreSQL migration.

ALTER TABLE accounts ADD COLUMN trained_on TIMESTAMP;

CREATE TABLE invitations (
    id              TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    account_id      TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    token_hash      BLOB NOT NULL UNIQUE,
    invited_by      TEXT NOT NULL,
    created_at      TIMESTAMP NOT NULL,
    expires_at      TIMESTAMP NOT NULL CHECK (expires_at > created_at),
    accepted_at     TIMESTAMP,
    cancelled_at    TIMESTAMP
);
CREATE INDEX invitations_organisation ON invitations (organisation_id);
CREATE INDEX invitations_account ON invitations (account_id);

CREATE TABLE totp_cards (
    id          TEXT PRIMARY KEY,
    serial      TEXT NOT NULL UNIQUE CHECK (length(serial) BETWEEN 1 AND 64),
    seed        BLOB NOT NULL,
    account_id  TEXT UNIQUE REFERENCES accounts (id) ON DELETE SET NULL,
    last_step   INTEGER NOT NULL DEFAULT 0,
    imported_at TIMESTAMP NOT NULL,
    linked_at   TIMESTAMP
);
