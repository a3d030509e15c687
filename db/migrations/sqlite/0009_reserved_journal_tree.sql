-- Placeholder on branch email: version 0009 is reserved for a migration of
-- another branch (issue 9's journal tree); versions must be contiguous and
-- 0011 needs a 0009. Delete this file when that migration is merged.
SELECT 1;
