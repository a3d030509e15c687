-- The usager space lists every act done on a usager's behalf.
CREATE INDEX audit_entries_usager ON audit_entries (usager_id, id);
