-- Mandate evidence that outlives FranceConnect's key rotations. Same tables
-- as the PostgreSQL migration, in SQLite's types; see there.
CREATE TABLE mandate_provider_keys (
    sha256      TEXT PRIMARY KEY CHECK (length(sha256) = 64 AND sha256 NOT GLOB '*[^0-9a-f]*'),
    jwks        BLOB NOT NULL,
    archived_at TIMESTAMP NOT NULL
);
CREATE TRIGGER mandate_provider_keys_no_update BEFORE UPDATE ON mandate_provider_keys
BEGIN SELECT RAISE(ABORT, 'mandate_provider_keys is append-only: UPDATE refused'); END;
CREATE TRIGGER mandate_provider_keys_no_delete BEFORE DELETE ON mandate_provider_keys
BEGIN SELECT RAISE(ABORT, 'mandate_provider_keys is append-only: DELETE refused'); END;

ALTER TABLE mandates ADD COLUMN fc_jwks_sha256 TEXT NOT NULL DEFAULT ''
    CHECK (fc_jwks_sha256 = '' OR (length(fc_jwks_sha256) = 64 AND fc_jwks_sha256 NOT GLOB '*[^0-9a-f]*'));
