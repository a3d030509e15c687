-- Organisations, accounts (aidants and managers), sign-in throttling,
-- server-side web sessions and the audit journal. Same tables as the
-- PostgreSQL migration, in SQLite's types.

CREATE TABLE organisations (
    id         TEXT PRIMARY KEY,
    siret      TEXT NOT NULL UNIQUE CHECK (length(siret) = 14 AND siret NOT GLOB '*[^0-9]*'),
    name       TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE organisation_procedures (
    organisation_id TEXT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    procedure       TEXT NOT NULL CHECK (procedure IN ('papiers', 'famille', 'social', 'travail', 'logement',
                                                        'transports', 'argent', 'justice', 'etranger', 'loisirs')),
    PRIMARY KEY (organisation_id, procedure)
);

CREATE TABLE accounts (
    id                TEXT PRIMARY KEY,
    email             TEXT NOT NULL UNIQUE CHECK (email = lower(email) AND email LIKE '%_@_%'),
    given_name        TEXT NOT NULL CHECK (length(given_name) BETWEEN 1 AND 100),
    family_name       TEXT NOT NULL CHECK (length(family_name) BETWEEN 1 AND 100),
    password_hash     TEXT NOT NULL,
    totp_secret       BLOB,
    totp_last_step    INTEGER NOT NULL DEFAULT 0,
    active            BOOLEAN NOT NULL DEFAULT TRUE,
    habilitated_until TIMESTAMP,
    created_at        TIMESTAMP NOT NULL,
    updated_at        TIMESTAMP NOT NULL
);

CREATE TABLE memberships (
    account_id      TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    organisation_id TEXT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    role            TEXT NOT NULL CHECK (role IN ('aidant', 'manager')),
    created_at      TIMESTAMP NOT NULL,
    PRIMARY KEY (account_id, organisation_id, role)
);
CREATE INDEX memberships_organisation ON memberships (organisation_id);

CREATE TABLE sign_in_throttle (
    key               TEXT PRIMARY KEY,
    failures          INTEGER NOT NULL,
    -- Unix seconds: compared in SQL the same way on both engines.
    locked_until      BIGINT NOT NULL DEFAULT 0,
    last_failure_unix BIGINT NOT NULL
);

CREATE TABLE web_sessions (
    id_hash      BLOB PRIMARY KEY,
    account_id   TEXT REFERENCES accounts (id) ON DELETE CASCADE,
    data         BLOB NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    last_seen_at TIMESTAMP NOT NULL,
    expires_at   TIMESTAMP NOT NULL
);
CREATE INDEX web_sessions_account ON web_sessions (account_id);
CREATE INDEX web_sessions_expires ON web_sessions (expires_at);

CREATE TABLE audit_entries (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    occurred_at     TIMESTAMP NOT NULL,
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
    details         TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_entries_organisation ON audit_entries (organisation_id, id);
CREATE INDEX audit_entries_actor ON audit_entries (actor_id, id);

CREATE TRIGGER audit_entries_no_update BEFORE UPDATE ON audit_entries
BEGIN
    SELECT RAISE(ABORT, 'audit_entries is append-only: UPDATE refused');
END;
CREATE TRIGGER audit_entries_no_delete BEFORE DELETE ON audit_entries
BEGIN
    SELECT RAISE(ABORT, 'audit_entries is append-only: DELETE refused');
END;
