-- Mandates and permissions (see the PostgreSQL migration).

CREATE TABLE mandates (
    id                 TEXT PRIMARY KEY,
    organisation_id    TEXT NOT NULL REFERENCES organisations (id),
    usager_id          TEXT NOT NULL REFERENCES usagers (id),
    aidant_id          TEXT NOT NULL REFERENCES accounts (id),
    duration_days      INTEGER NOT NULL CHECK (duration_days IN (1, 31, 182, 365)),
    signed_at          TIMESTAMP NOT NULL,
    expires_at         TIMESTAMP NOT NULL,
    text_version       TEXT NOT NULL,
    text_sha256        TEXT NOT NULL CHECK (length(text_sha256) = 64),
    fc_id_token        TEXT NOT NULL,
    fc_id_token_sha256 TEXT NOT NULL,
    totp_confirmed_at  TIMESTAMP NOT NULL,
    renews             TEXT REFERENCES mandates (id),
    notify_usager      BOOLEAN NOT NULL DEFAULT FALSE,
    signature          TEXT NOT NULL,
    revoked_at         TIMESTAMP,
    revoked_by_kind    TEXT NOT NULL DEFAULT '',
    revoked_by_id      TEXT NOT NULL DEFAULT '',
    expiry_recorded_at TIMESTAMP,
    created_at         TIMESTAMP NOT NULL,
    CHECK (renews IS NOT NULL OR length(fc_id_token_sha256) = 64)
);
CREATE INDEX mandates_organisation_usager ON mandates (organisation_id, usager_id);
CREATE INDEX mandates_usager ON mandates (usager_id);
CREATE INDEX mandates_expiry_pending ON mandates (expires_at) WHERE expiry_recorded_at IS NULL AND revoked_at IS NULL;

CREATE TABLE permissions (
    id              TEXT PRIMARY KEY,
    mandate_id      TEXT NOT NULL REFERENCES mandates (id),
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    usager_id       TEXT NOT NULL REFERENCES usagers (id),
    procedure       TEXT NOT NULL CHECK (procedure IN ('papiers', 'famille', 'social', 'travail', 'logement',
                                                        'transports', 'argent', 'justice', 'etranger', 'loisirs')),
    expires_at      TIMESTAMP NOT NULL,
    ended_at        TIMESTAMP,
    end_reason      TEXT CHECK (end_reason IN ('revoked', 'replaced', 'expired')),
    -- Who revoked it (actor kind and id), for the revocation attestation.
    ended_by_kind   TEXT NOT NULL DEFAULT '',
    ended_by_id     TEXT NOT NULL DEFAULT '',
    CHECK ((ended_at IS NULL) = (end_reason IS NULL)),
    UNIQUE (mandate_id, procedure)
);
CREATE UNIQUE INDEX permissions_one_current ON permissions (organisation_id, usager_id, procedure) WHERE ended_at IS NULL;
CREATE INDEX permissions_mandate ON permissions (mandate_id);

-- What aidants type to find a usager: given and family names, lower case,
-- without accents (usager.SearchKey), so that "elodie" finds "Élodie".
ALTER TABLE usagers ADD COLUMN search_key TEXT NOT NULL DEFAULT '';
CREATE INDEX usagers_search_key ON usagers (search_key);
