-- Procura's PostgreSQL roles, least privilege (DESIGN.md §6, issue 13):
--
--   owner role (procura_owner)  owns the database and its schema; `procura
--                               migrate` connects as it and creates the tables;
--   application role (procura_app)
--                               what `procura serve` and the operator commands
--                               connect as: it reads and writes rows, and can
--                               neither create, alter nor drop anything.
--
-- The PostgreSQL image runs it once, on an empty data directory, as the
-- superuser, in the database POSTGRES_DB (docker-entrypoint-initdb.d, with
-- psql); the superuser is used by nothing else. Run it by hand elsewhere:
--
--   DB_OWNER_PASSWORD=… DB_APP_PASSWORD=… psql -U postgres -d procura -f postgres-roles.sql
--
-- Passwords come from the environment (DB_OWNER_PASSWORD, DB_APP_PASSWORD);
-- role names may be changed with DB_OWNER_ROLE and DB_APP_ROLE (the
-- end-to-end tests do, roles being shared by every database of a server).
--
-- The audit journal's own grants (the application role limited to INSERT
-- and SELECT on the journal's tables, DESIGN.md §6) come with the audit
-- work and its `procura admin` command; until then the journal's triggers
-- refuse UPDATE, DELETE and TRUNCATE on it whatever the role.

\set ON_ERROR_STOP on
\getenv owner_password DB_OWNER_PASSWORD
\getenv app_password DB_APP_PASSWORD
\getenv owner_role DB_OWNER_ROLE
\getenv app_role DB_APP_ROLE
\if :{?owner_role}
\else
  \set owner_role procura_owner
\endif
\if :{?app_role}
\else
  \set app_role procura_app
\endif
\if :{?owner_password}
\else
  \echo 'DB_OWNER_PASSWORD is not set'
  SELECT 1/0 AS "DB_OWNER_PASSWORD is not set";
\endif
\if :{?app_password}
\else
  \echo 'DB_APP_PASSWORD is not set'
  SELECT 1/0 AS "DB_APP_PASSWORD is not set";
\endif

CREATE ROLE :"owner_role" LOGIN PASSWORD :'owner_password' NOSUPERUSER NOCREATEDB NOCREATEROLE;
CREATE ROLE :"app_role" LOGIN PASSWORD :'app_password' NOSUPERUSER NOCREATEDB NOCREATEROLE;

SELECT current_database() AS database \gset
ALTER DATABASE :"database" OWNER TO :"owner_role";
REVOKE ALL ON DATABASE :"database" FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE :"database" TO :"app_role";

ALTER SCHEMA public OWNER TO :"owner_role";
REVOKE ALL ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO :"app_role";

-- What the migrations create, the application reads and writes.
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner_role" IN SCHEMA public
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO :"app_role";
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner_role" IN SCHEMA public
    GRANT USAGE, SELECT ON SEQUENCES TO :"app_role";
