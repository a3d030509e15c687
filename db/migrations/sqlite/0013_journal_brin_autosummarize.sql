-- PostgreSQL only (its BRIN index on the journal's xid): SQLite's sequencer
-- reads entries by id. The version is kept so that both dialects number
-- their migrations alike.
SELECT 1;
