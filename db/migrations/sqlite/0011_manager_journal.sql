-- The manager's journal (issue 11): every page is "the organisation's
-- entries matching the filters, newest first, below the last id seen". Each
-- equality filter leads an index with the organisation and ending in id, so
-- that a page is a backward range scan stopping at its size. A date range
-- is turned into an id range through (organisation_id, occurred_at, id)
-- (audit.Journal.idBounds), and read backwards from (organisation_id, id).
CREATE INDEX audit_entries_org_actor ON audit_entries (organisation_id, actor_id, id);
CREATE INDEX audit_entries_org_usager ON audit_entries (organisation_id, usager_id, id);
CREATE INDEX audit_entries_org_procedure ON audit_entries (organisation_id, procedure, id);
CREATE INDEX audit_entries_org_client ON audit_entries (organisation_id, client_id, id);
CREATE INDEX audit_entries_org_action ON audit_entries (organisation_id, action, id);
CREATE INDEX audit_entries_org_time ON audit_entries (organisation_id, occurred_at, id);

-- The statistics' counts per day (audit.Journal.RollUp): the entries up to
-- audit_rollup.last_id are counted here, per organisation, action, day
-- (Europe/Paris) and grouping (by_column '' for the total, 'procedure' or
-- 'actor_id' with its value in key). Derived data, rebuilt from the
-- journal if lost: it is not the journal and may be updated.
CREATE TABLE audit_daily_counts (
    organisation_id TEXT NOT NULL,
    action          TEXT NOT NULL,
    by_column       TEXT NOT NULL,
    key             TEXT NOT NULL,
    day             TEXT NOT NULL,
    n               BIGINT NOT NULL,
    PRIMARY KEY (organisation_id, action, by_column, day, key)
);
CREATE TABLE audit_rollup (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    last_id BIGINT NOT NULL
);
