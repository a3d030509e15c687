-- Placeholder on branch email: version 0010 is reserved for a migration of
-- another branch; versions must be contiguous and 0011 needs a 0010.
-- Delete this file when that migration is merged.
SELECT 1;
