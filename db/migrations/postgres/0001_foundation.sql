-- Organisations, accounts (aidants and managers), sign-in throttling,
-- server-side web sessions and the audit journal.

CREATE TABLE organisations (
    id         UUID PRIMARY KEY,
    siret      CHAR(14) NOT NULL UNIQUE CHECK (siret ~ '^[0-9]{14}$'),
    name       TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    created_at TIMESTAMPTZ NOT NULL
);

-- The procedures an organisation allows its aidants to take mandates for.
CREATE TABLE organisation_procedures (
    organisation_id UUID NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    procedure       TEXT NOT NULL CHECK (procedure IN ('papiers', 'famille', 'social', 'travail', 'logement',
                                                        'transports', 'argent', 'justice', 'etranger', 'loisirs')),
    PRIMARY KEY (organisation_id, procedure)
);

CREATE TABLE accounts (
    id                UUID PRIMARY KEY,
    email             TEXT NOT NULL UNIQUE CHECK (email = lower(email) AND email LIKE '%_@_%'),
    given_name        TEXT NOT NULL CHECK (length(given_name) BETWEEN 1 AND 100),
    family_name       TEXT NOT NULL CHECK (length(family_name) BETWEEN 1 AND 100),
    password_hash     TEXT NOT NULL,
    -- TOTP seed sealed with the master key; NULL until the account enrols.
    totp_secret       BYTEA,
    -- Last accepted TOTP time step: a code of this step or an earlier one is refused.
    totp_last_step    BIGINT NOT NULL DEFAULT 0,
    active            BOOLEAN NOT NULL DEFAULT TRUE,
    -- Habilitation (training) of an aidant: may sign and use mandates until then.
    habilitated_until TIMESTAMPTZ,
    created_at        TIMESTAMPTZ NOT NULL,
    updated_at        TIMESTAMPTZ NOT NULL
);

CREATE TABLE memberships (
    account_id      UUID NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    organisation_id UUID NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    role            TEXT NOT NULL CHECK (role IN ('aidant', 'manager')),
    created_at      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (account_id, organisation_id, role)
);
CREATE INDEX memberships_organisation ON memberships (organisation_id);

-- Failed sign-ins per key ("account:<id>" or "ip:<address>"), for lockout.
CREATE TABLE sign_in_throttle (
    key               TEXT PRIMARY KEY,
    failures          INTEGER NOT NULL,
    -- Unix seconds: compared in SQL the same way on both engines.
    locked_until      BIGINT NOT NULL DEFAULT 0,
    last_failure_unix BIGINT NOT NULL
);

-- Server-side sessions; the cookie holds only the id, the table its SHA-256.
CREATE TABLE web_sessions (
    id_hash      BYTEA PRIMARY KEY,
    account_id   UUID REFERENCES accounts (id) ON DELETE CASCADE,
    data         BYTEA NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    last_seen_at TIMESTAMPTZ NOT NULL,
    expires_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX web_sessions_account ON web_sessions (account_id);
CREATE INDEX web_sessions_expires ON web_sessions (expires_at);

-- The audit journal. No foreign keys: personal data elsewhere may be purged
-- after retention while the journal stays whole. Rows are never changed.
CREATE TABLE audit_entries (
    id              BIGSERIAL PRIMARY KEY,
    occurred_at     TIMESTAMPTZ NOT NULL,
    action          TEXT NOT NULL,
    actor_kind      TEXT NOT NULL,
    actor_id        TEXT NOT NULL,
    organisation_id TEXT NOT NULL DEFAULT '',
    usager_id       TEXT NOT NULL DEFAULT '',
    mandate_id      TEXT NOT NULL DEFAULT '',
    permission_id   TEXT NOT NULL DEFAULT '',
    procedure       TEXT NOT NULL DEFAULT '',
    client_id       TEXT NOT NULL DEFAULT '',
    request_id      TEXT NOT NULL DEFAULT '',
    details         JSONB NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_entries_organisation ON audit_entries (organisation_id, id);
CREATE INDEX audit_entries_actor ON audit_entries (actor_id, id);

CREATE FUNCTION audit_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_entries is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_entries_no_update_delete BEFORE UPDATE OR DELETE ON audit_entries
    FOR EACH ROW EXECUTE FUNCTION audit_entries_append_only();
CREATE TRIGGER audit_entries_no_truncate BEFORE TRUNCATE ON audit_entries
    FOR EACH STATEMENT EXECUTE FUNCTION audit_entries_append_only();
