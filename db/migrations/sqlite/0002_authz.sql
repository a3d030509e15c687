-- The OpenID Provider's store (package authz): registered clients
-- (services), the requests fosite stores with each authorization code and
-- token, and the client-assertion ids already used. Same tables as the
-- PostgreSQL migration, in SQLite's types.

CREATE TABLE oauth_clients (
    id                              TEXT PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 200 AND id NOT GLOB '*[^A-Za-z0-9._:-]*' AND id NOT GLOB '[._:-]*'),
    name                            TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    -- SHA-256 of the client secret; NULL for private_key_jwt (no secret).
    secret_hash                     BLOB CHECK (secret_hash IS NULL OR length(secret_hash) = 32),
    -- JSON arrays of strings.
    redirect_uris                   TEXT NOT NULL,
    post_logout_redirect_uris       TEXT NOT NULL DEFAULT '[]',
    grant_types                     TEXT NOT NULL,
    response_types                  TEXT NOT NULL,
    scopes                          TEXT NOT NULL,
    procedures                      TEXT NOT NULL,
    token_endpoint_auth_method      TEXT NOT NULL
        CHECK (token_endpoint_auth_method IN ('client_secret_basic', 'client_secret_post', 'private_key_jwt')),
    token_endpoint_auth_signing_alg TEXT NOT NULL DEFAULT '' CHECK (token_endpoint_auth_signing_alg IN ('', 'ES256', 'RS256', 'PS256')),
    -- The client's public keys for private_key_jwt: a JWKS, or its URL.
    jwks                            TEXT NOT NULL DEFAULT '',
    jwks_uri                        TEXT NOT NULL DEFAULT '',
    id_token_signed_response_alg    TEXT NOT NULL DEFAULT 'ES256' CHECK (id_token_signed_response_alg IN ('ES256', 'RS256')),
    -- '' answers UserInfo in plain JSON.
    userinfo_signed_response_alg    TEXT NOT NULL DEFAULT '' CHECK (userinfo_signed_response_alg IN ('', 'ES256', 'RS256')),
    pkce_required                   BOOLEAN NOT NULL DEFAULT TRUE,
    -- FranceConnect-compatibility mode: no act claim in ID tokens.
    franceconnect_compat            BOOLEAN NOT NULL DEFAULT FALSE,
    disabled                        BOOLEAN NOT NULL DEFAULT FALSE,
    created_at                      TIMESTAMP NOT NULL,
    -- A secret exactly when the client authenticates with one; keys exactly
    -- when it authenticates with private_key_jwt.
    CHECK ((secret_hash IS NULL) = (token_endpoint_auth_method = 'private_key_jwt')),
    CHECK ((token_endpoint_auth_method = 'private_key_jwt') = (jwks <> '' OR jwks_uri <> ''))
);

-- One row per stored fosite request, whatever it is stored for (kind): an
-- authorization code, an access or refresh token, the PKCE or OpenID Connect
-- state of a code. One table because every kind stores the same request,
-- and because revoking by request, permission or mandate and purging
-- expired rows are then one statement each.
--
-- Never a raw token: the key is SHA-256(kind, 0x00, fosite signature) (for
-- the OpenID Connect state, of the raw code, which fosite uses as its key).
CREATE TABLE oauth_requests (
    signature_hash     BLOB PRIMARY KEY CHECK (length(signature_hash) = 32),
    kind               TEXT NOT NULL CHECK (kind IN ('authorize_code', 'access_token', 'refresh_token', 'pkce', 'oidc')),
    request_id         TEXT NOT NULL,
    requested_at       TIMESTAMP NOT NULL,
    client_id          TEXT NOT NULL REFERENCES oauth_clients (id) ON DELETE CASCADE,
    -- JSON arrays of strings.
    requested_scopes   TEXT NOT NULL,
    granted_scopes     TEXT NOT NULL,
    requested_audience TEXT NOT NULL,
    granted_audience   TEXT NOT NULL,
    -- The request's form, URL-encoded, secrets removed.
    form               TEXT NOT NULL,
    -- The authz.Session, JSON.
    session            TEXT NOT NULL,
    -- FALSE once a code is used, a token revoked or a refresh token rotated.
    active             BOOLEAN NOT NULL DEFAULT TRUE,
    -- NULL for a token that does not expire; purged after it otherwise.
    expires_at         TIMESTAMP,
    -- Copied from the session, for revocation and for the usager's view.
    permission_id      TEXT NOT NULL DEFAULT '',
    mandate_id         TEXT NOT NULL DEFAULT '',
    aidant_id          TEXT NOT NULL DEFAULT '',
    usager_id          TEXT NOT NULL DEFAULT '',
    organisation_id    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX oauth_requests_request ON oauth_requests (request_id);
CREATE INDEX oauth_requests_permission ON oauth_requests (permission_id);
CREATE INDEX oauth_requests_mandate ON oauth_requests (mandate_id);
CREATE INDEX oauth_requests_aidant ON oauth_requests (aidant_id);
CREATE INDEX oauth_requests_usager ON oauth_requests (usager_id);
CREATE INDEX oauth_requests_organisation ON oauth_requests (organisation_id);
CREATE INDEX oauth_requests_client ON oauth_requests (client_id);
CREATE INDEX oauth_requests_expires ON oauth_requests (expires_at);

-- jti of the private_key_jwt assertions already used, until they expire
-- (RFC 7523 §3, item 7): SHA-256 of the jti, which the client chooses.
CREATE TABLE oauth_client_assertion_jtis (
    jti_hash   BLOB PRIMARY KEY CHECK (length(jti_hash) = 32),
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX oauth_client_assertion_jtis_expires ON oauth_client_assertion_jtis (expires_at);
