-- The manager's journal (issue 11): every page is "the organisation's
-- entries matching the filters, newest first, below the last id seen". Each
-- equality filter leads an index with the organisation and ending in id, so
-- that a page is a backward range scan stopping at its size; the date range
-- has its own index for a narrow range of a busy organisation.
CREATE INDEX audit_entries_org_actor ON audit_entries (organisation_id, actor_id, id);
CREATE INDEX audit_entries_org_usager ON audit_entries (organisation_id, usager_id, id);
CREATE INDEX audit_entries_org_procedure ON audit_entries (organisation_id, procedure, id);
CREATE INDEX audit_entries_org_client ON audit_entries (organisation_id, client_id, id);
CREATE INDEX audit_entries_org_action ON audit_entries (organisation_id, action, id);
CREATE INDEX audit_entries_org_time ON audit_entries (organisation_id, occurred_at);
-- The statistics count an organisation's acts of some kinds by hour, by
-- procedure and by aidant: an index-only scan of this one.
CREATE INDEX audit_entries_org_action_time ON audit_entries (organisation_id, action, occurred_at) INCLUDE (procedure, actor_id);
