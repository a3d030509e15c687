-- organisation_usagers: the usagers who gave an organisation a mandate,
-- with what its aidants' list shows and searches of them (issue 14); see
-- the PostgreSQL migration. SQLite has no INCLUDE: the search scans the
-- organisation's rows through the primary key.
--
-- The database keeps it, not Go: a row is added with an organisation's
-- first mandate from a usager and removed with its last (triggers on
-- mandates: the retention deletes them), and the names follow the usagers
-- row (trigger on usagers: a new identification, the retention erasure).
-- Nobody writes it otherwise.
CREATE TABLE organisation_usagers (
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    usager_id       TEXT NOT NULL REFERENCES usagers (id) ON DELETE CASCADE,
    given_name      TEXT NOT NULL,
    family_name     TEXT NOT NULL,
    birthdate       TEXT NOT NULL,
    search_key      TEXT NOT NULL,
    PRIMARY KEY (organisation_id, usager_id)
);
CREATE INDEX organisation_usagers_usager ON organisation_usagers (usager_id);

INSERT INTO organisation_usagers (organisation_id, usager_id, given_name, family_name, birthdate, search_key)
SELECT DISTINCT m.organisation_id, m.usager_id, u.given_name, u.family_name, u.birthdate, u.search_key
FROM mandates m JOIN usagers u ON u.id = m.usager_id;

CREATE TRIGGER organisation_usagers_on_mandate AFTER INSERT ON mandates
BEGIN
    INSERT OR IGNORE INTO organisation_usagers (organisation_id, usager_id, given_name, family_name, birthdate, search_key)
    SELECT NEW.organisation_id, u.id, u.given_name, u.family_name, u.birthdate, u.search_key FROM usagers u WHERE u.id = NEW.usager_id;
END;

CREATE TRIGGER organisation_usagers_on_usager AFTER UPDATE OF given_name, family_name, birthdate, search_key ON usagers
BEGIN
    UPDATE organisation_usagers
    SET given_name = NEW.given_name, family_name = NEW.family_name, birthdate = NEW.birthdate, search_key = NEW.search_key
    WHERE usager_id = NEW.id;
END;

CREATE TRIGGER organisation_usagers_on_mandate_deleted AFTER DELETE ON mandates
BEGIN
    DELETE FROM organisation_usagers
    WHERE organisation_id = OLD.organisation_id AND usager_id = OLD.usager_id
      AND NOT EXISTS (SELECT 1 FROM mandates m WHERE m.organisation_id = OLD.organisation_id AND m.usager_id = OLD.usager_id);
END;
