-- Procura's signing keys (package keyring): the OpenID Provider's keys
-- (purpose 'oidc': ID tokens, signed UserInfo) and the keys that sign
-- mandates (purpose 'mandate').
--
-- kid is the key's RFC 7638 thumbprint (SHA-256, base64url). The private key
-- is never stored in clear: private_key is its PKCS #8 form sealed with the
-- master key (package seal, purpose 'signing-key'), bound to the key's
-- purpose, alg and kid, so a sealed key copied to another row does not open.
-- public_jwk is informational: the application derives the published and
-- verifying key from the sealed private key, so a row written without the
-- master key can neither sign nor verify.
--
-- The newest activated, non-retired key of a purpose and alg signs; every
-- non-retired key is published and verifies. Rows are never deleted by the
-- application: a key leaves service by being retired.
CREATE TABLE signing_keys (
    kid          TEXT PRIMARY KEY CHECK (kid ~ '^[A-Za-z0-9_-]{43}$'),
    purpose      TEXT NOT NULL,
    alg          TEXT NOT NULL,
    -- 1 for the first key of a purpose and alg, one more at each rotation.
    generation   INTEGER NOT NULL CHECK (generation >= 1),
    private_key  BYTEA NOT NULL CHECK (length(private_key) > 28),
    public_jwk   JSONB NOT NULL CHECK (public_jwk->'d' IS NULL),
    created_at   TIMESTAMPTZ NOT NULL,
    activated_at TIMESTAMPTZ NOT NULL CHECK (activated_at >= created_at),
    retired_at   TIMESTAMPTZ CHECK (retired_at IS NULL OR retired_at >= created_at),
    CHECK ((purpose = 'oidc' AND alg IN ('ES256', 'RS256')) OR (purpose = 'mandate' AND alg IN ('ES256', 'EdDSA'))),
    -- Serves the lookups by purpose (and alg) and orders rotations.
    UNIQUE (purpose, alg, generation)
);
