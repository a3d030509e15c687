-- The manager space (issue 10): habilitation training dates, invitations,
-- physical TOTP cards.

-- When the aidant was trained; habilitated_until is the end of the
-- habilitation that training gives.
ALTER TABLE accounts ADD COLUMN trained_on TIMESTAMPTZ;

-- An invited account has password_hash = '' until the invitation is
-- accepted. The link's token is kept only as its SHA-256.
CREATE TABLE invitations (
    id              UUID PRIMARY KEY,
    organisation_id UUID NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    account_id      UUID NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    token_hash      BYTEA NOT NULL UNIQUE,
    invited_by      UUID NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    expires_at      TIMESTAMPTZ NOT NULL CHECK (expires_at > created_at),
    accepted_at     TIMESTAMPTZ,
    cancelled_at    TIMESTAMPTZ
);
CREATE INDEX invitations_organisation ON invitations (organisation_id);
CREATE INDEX invitations_account ON invitations (account_id);

-- Physical TOTP cards, imported by the operator; the seed is sealed with the
-- master key, bound to the card's id. A linked card's seed is also the
-- account's totp_secret (sealed to the account), so sign-in is unchanged.
CREATE TABLE totp_cards (
    id          UUID PRIMARY KEY,
    serial      TEXT NOT NULL UNIQUE CHECK (length(serial) BETWEEN 1 AND 64),
    seed        BYTEA NOT NULL,
    account_id  UUID UNIQUE REFERENCES accounts (id) ON DELETE SET NULL,
    -- Last accepted time step of the card, across the accounts it served.
    last_step   BIGINT NOT NULL DEFAULT 0,
    imported_at TIMESTAMPTZ NOT NULL,
    linked_at   TIMESTAMPTZ
);
