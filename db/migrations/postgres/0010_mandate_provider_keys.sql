-- Mandate evidence that outlives FranceConnect's key rotations (package
-- mandate, evidence.go): each distinct key set (JWKS document, as served)
-- that verified a usager's ID token, stored once, named by its SHA-256, and
-- referenced by the mandates it verified. Never changed nor deleted.
CREATE TABLE mandate_provider_keys (
    sha256      TEXT PRIMARY KEY CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    jwks        BYTEA NOT NULL,
    archived_at TIMESTAMPTZ NOT NULL
);
CREATE TRIGGER mandate_provider_keys_no_update_delete BEFORE UPDATE OR DELETE ON mandate_provider_keys
    FOR EACH ROW EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER mandate_provider_keys_no_truncate BEFORE TRUNCATE ON mandate_provider_keys
    FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();

-- '' for the mandates signed before the archive existed.
ALTER TABLE mandates ADD COLUMN fc_jwks_sha256 TEXT NOT NULL DEFAULT ''
    CHECK (fc_jwks_sha256 = '' OR fc_jwks_sha256 ~ '^[0-9a-f]{64}$');
