-- Procura's signing keys (package keyring). Same table as the PostgreSQL
-- migration, in SQLite's types; see there for the contract.
CREATE TABLE signing_keys (
    kid          TEXT PRIMARY KEY CHECK (length(kid) = 43 AND kid NOT GLOB '*[^A-Za-z0-9_-]*'),
    purpose      TEXT NOT NULL,
    alg          TEXT NOT NULL,
    generation   INTEGER NOT NULL CHECK (generation >= 1),
    private_key  BLOB NOT NULL CHECK (length(private_key) > 28),
    public_jwk   TEXT NOT NULL CHECK (json_valid(public_jwk) AND json_extract(public_jwk, '$.d') IS NULL),
    created_at   TIMESTAMP NOT NULL,
    activated_at TIMESTAMP NOT NULL,
    retired_at   TIMESTAMP,
    CHECK ((purpose = 'oidc' AND alg IN ('ES256', 'RS256')) OR (purpose = 'mandate' AND alg IN ('ES256', 'EdDSA'))),
    UNIQUE (purpose, alg, generation)
);
