-- Usagers, keyed by a pseudonym: HMAC(server key, FranceConnect issuer + sub).
-- Their identity is kept for display and for passing on to services; the
-- audit journal names them only by the pseudonym.
CREATE TABLE usagers (
    id                 TEXT PRIMARY KEY CHECK (length(id) = 43),
    given_name         TEXT NOT NULL CHECK (length(given_name) BETWEEN 1 AND 256),
    family_name        TEXT NOT NULL CHECK (length(family_name) BETWEEN 1 AND 256),
    preferred_username TEXT NOT NULL DEFAULT '',
    birthdate          TEXT NOT NULL CHECK (birthdate ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'),
    gender             TEXT NOT NULL CHECK (gender IN ('female', 'male', 'unspecified')),
    birthplace         TEXT NOT NULL DEFAULT '',
    birthcountry       TEXT NOT NULL CHECK (birthcountry ~ '^[0-9]{5}$'),
    email              TEXT NOT NULL DEFAULT '',
    created_at         TIMESTAMPTZ NOT NULL,
    updated_at         TIMESTAMPTZ NOT NULL,
    last_identified_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX usagers_family_name ON usagers (lower(family_name));
