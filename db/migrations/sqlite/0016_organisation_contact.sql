-- The organisations' contact details and their DPO's. Same columns as the
-- PostgreSQL migration; see there.
ALTER TABLE organisations ADD COLUMN address TEXT NOT NULL DEFAULT '' CHECK (length(address) <= 300);
ALTER TABLE organisations ADD COLUMN contact_email TEXT NOT NULL DEFAULT '' CHECK (length(contact_email) <= 254);
ALTER TABLE organisations ADD COLUMN dpo_name TEXT NOT NULL DEFAULT '' CHECK (length(dpo_name) <= 200);
ALTER TABLE organisations ADD COLUMN dpo_email TEXT NOT NULL DEFAULT '' CHECK (length(dpo_email) <= 254);
