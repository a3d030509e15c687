-- Placeholder on branch journal: version 0007 is reserved for a migration of
-- another branch. Delete this file when that migration is merged.
SELECT 1;
