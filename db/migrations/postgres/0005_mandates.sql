-- Mandates given by usagers to organisations, and their permissions (one
-- per procedure). A mandate is signed by Procura over its canonical content.

CREATE TABLE mandates (
    id                 UUID PRIMARY KEY,
    organisation_id    UUID NOT NULL REFERENCES organisations (id),
    usager_id          TEXT NOT NULL REFERENCES usagers (id),
    -- The aidant who collected it and confirmed it with their TOTP.
    aidant_id          UUID NOT NULL REFERENCES accounts (id),
    duration_days      INTEGER NOT NULL CHECK (duration_days IN (1, 31, 182, 365)),
    signed_at          TIMESTAMPTZ NOT NULL,
    expires_at         TIMESTAMPTZ NOT NULL CHECK (expires_at > signed_at),
    text_version       TEXT NOT NULL,
    text_sha256        CHAR(64) NOT NULL,
    -- Evidence of the identification: the ID token FranceConnect signed,
    -- and its SHA-256 (covered by the signature). Empty for a renewal,
    -- which points to the mandate it renews.
    fc_id_token        TEXT NOT NULL,
    fc_id_token_sha256 TEXT NOT NULL,
    totp_confirmed_at  TIMESTAMPTZ NOT NULL,
    renews             UUID REFERENCES mandates (id),
    notify_usager      BOOLEAN NOT NULL DEFAULT FALSE,
    signature          TEXT NOT NULL,
    revoked_at         TIMESTAMPTZ,
    revoked_by_kind    TEXT NOT NULL DEFAULT '',
    revoked_by_id      TEXT NOT NULL DEFAULT '',
    -- When the expiry act was recorded (by the periodic job).
    expiry_recorded_at TIMESTAMPTZ,
    created_at         TIMESTAMPTZ NOT NULL,
    CHECK (renews IS NOT NULL OR fc_id_token_sha256 ~ '^[0-9a-f]{64}$')
);
CREATE INDEX mandates_organisation_usager ON mandates (organisation_id, usager_id);
CREATE INDEX mandates_usager ON mandates (usager_id);
CREATE INDEX mandates_expiry_pending ON mandates (expires_at) WHERE expiry_recorded_at IS NULL AND revoked_at IS NULL;

CREATE TABLE permissions (
    id              UUID PRIMARY KEY,
    mandate_id      UUID NOT NULL REFERENCES mandates (id),
    organisation_id UUID NOT NULL REFERENCES organisations (id),
    usager_id       TEXT NOT NULL REFERENCES usagers (id),
    procedure       TEXT NOT NULL CHECK (procedure IN ('papiers', 'famille', 'social', 'travail', 'logement',
                                                        'transports', 'argent', 'justice', 'etranger', 'loisirs')),
    expires_at      TIMESTAMPTZ NOT NULL,
    ended_at        TIMESTAMPTZ,
    end_reason      TEXT CHECK (end_reason IN ('revoked', 'replaced', 'expired')),
    -- Who revoked it (actor kind and id), for the revocation attestation.
    ended_by_kind   TEXT NOT NULL DEFAULT '',
    ended_by_id     TEXT NOT NULL DEFAULT '',
    CHECK ((ended_at IS NULL) = (end_reason IS NULL)),
    UNIQUE (mandate_id, procedure)
);
-- At most one permission not ended per (organisation, usager, procedure):
-- the database holds the rule even under concurrent creations.
CREATE UNIQUE INDEX permissions_one_current ON permissions (organisation_id, usager_id, procedure) WHERE ended_at IS NULL;
CREATE INDEX permissions_mandate ON permissions (mandate_id);

-- What aidants type to find a usager: given and family names, lower case,
-- without accents (usager.SearchKey), so that "elodie" finds "Élodie".
ALTER TABLE usagers ADD COLUMN search_key TEXT NOT NULL DEFAULT '';
CREATE INDEX usagers_search_key ON usagers (search_key);
