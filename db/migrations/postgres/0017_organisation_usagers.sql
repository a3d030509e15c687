-- organisation_usagers: the usagers who gave an organisation a mandate,
-- with what its aidants' list shows and searches of them (issue 14). One
-- row per (organisation, usager), clustered by organisation in its primary
-- key, which carries the other columns: an aidant's search of their
-- organisation (mandate.Registry.UsagersOf) is one index-only range scan of
-- that organisation's usagers, filtered by the search, whatever the number
-- of usagers in the whole table (≤ 20 ms p95 with 1 M usagers, DESIGN.md
-- §10; BENCHMARKS.md).
--
-- The database keeps it, not Go: a row is added with an organisation's
-- first mandate from a usager and removed with its last (triggers on
-- mandates: the retention deletes them), and the names follow the usagers
-- row (trigger on usagers: a new identification, the retention erasure).
-- Nobody writes it otherwise.
CREATE TABLE organisation_usagers (
    organisation_id UUID NOT NULL REFERENCES organisations (id),
    usager_id       TEXT NOT NULL REFERENCES usagers (id) ON DELETE CASCADE,
    given_name      TEXT NOT NULL,
    family_name     TEXT NOT NULL,
    birthdate       TEXT NOT NULL,
    search_key      TEXT NOT NULL,
    PRIMARY KEY (organisation_id, usager_id) INCLUDE (given_name, family_name, birthdate, search_key)
);
CREATE INDEX organisation_usagers_usager ON organisation_usagers (usager_id);

INSERT INTO organisation_usagers (organisation_id, usager_id, given_name, family_name, birthdate, search_key)
SELECT DISTINCT m.organisation_id, m.usager_id, u.given_name, u.family_name, u.birthdate, u.search_key
FROM mandates m JOIN usagers u ON u.id = m.usager_id;

CREATE FUNCTION organisation_usagers_add() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO organisation_usagers (organisation_id, usager_id, given_name, family_name, birthdate, search_key)
    SELECT NEW.organisation_id, u.id, u.given_name, u.family_name, u.birthdate, u.search_key FROM usagers u WHERE u.id = NEW.usager_id
    ON CONFLICT (organisation_id, usager_id) DO NOTHING;
    RETURN NULL;
END $$;
CREATE TRIGGER organisation_usagers_on_mandate AFTER INSERT ON mandates
    FOR EACH ROW EXECUTE FUNCTION organisation_usagers_add();

CREATE FUNCTION organisation_usagers_follow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE organisation_usagers
    SET given_name = NEW.given_name, family_name = NEW.family_name, birthdate = NEW.birthdate, search_key = NEW.search_key
    WHERE usager_id = NEW.id;
    RETURN NULL;
END $$;
CREATE TRIGGER organisation_usagers_on_usager AFTER UPDATE OF given_name, family_name, birthdate, search_key ON usagers
    FOR EACH ROW WHEN (OLD.given_name IS DISTINCT FROM NEW.given_name OR OLD.family_name IS DISTINCT FROM NEW.family_name
        OR OLD.birthdate IS DISTINCT FROM NEW.birthdate OR OLD.search_key IS DISTINCT FROM NEW.search_key)
    EXECUTE FUNCTION organisation_usagers_follow();

CREATE FUNCTION organisation_usagers_remove() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM organisation_usagers o
    WHERE o.organisation_id = OLD.organisation_id AND o.usager_id = OLD.usager_id
      AND NOT EXISTS (SELECT 1 FROM mandates m WHERE m.organisation_id = OLD.organisation_id AND m.usager_id = OLD.usager_id);
    RETURN NULL;
END $$;
CREATE TRIGGER organisation_usagers_on_mandate_deleted AFTER DELETE ON mandates
    FOR EACH ROW EXECUTE FUNCTION organisation_usagers_remove();
