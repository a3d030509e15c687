-- Usagers, keyed by a pseudonym (see the PostgreSQL migration).
CREATE TABLE usagers (
    id                 TEXT PRIMARY KEY CHECK (length(id) = 43),
    given_name         TEXT NOT NULL CHECK (length(given_name) BETWEEN 1 AND 256),
    family_name        TEXT NOT NULL CHECK (length(family_name) BETWEEN 1 AND 256),
    preferred_username TEXT NOT NULL DEFAULT '',
    birthdate          TEXT NOT NULL CHECK (birthdate GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    gender             TEXT NOT NULL CHECK (gender IN ('female', 'male', 'unspecified')),
    birthplace         TEXT NOT NULL DEFAULT '',
    birthcountry       TEXT NOT NULL CHECK (length(birthcountry) = 5 AND birthcountry NOT GLOB '*[^0-9]*'),
    email              TEXT NOT NULL DEFAULT '',
    created_at         TIMESTAMP NOT NULL,
    updated_at         TIMESTAMP NOT NULL,
    last_identified_at TIMESTAMP NOT NULL
);
CREATE INDEX usagers_family_name ON usagers (lower(family_name));
