-- The organisations' contact details and their data-protection officer's
-- (DPO): the signed mandate text says the legal notice gives them, for the
-- organisation is the data controller for the procedures done in the
-- usager's name. '' until a manager fills them in (account.Contact).
ALTER TABLE organisations ADD COLUMN address TEXT NOT NULL DEFAULT '' CHECK (length(address) <= 300);
ALTER TABLE organisations ADD COLUMN contact_email TEXT NOT NULL DEFAULT '' CHECK (length(contact_email) <= 254);
ALTER TABLE organisations ADD COLUMN dpo_name TEXT NOT NULL DEFAULT '' CHECK (length(dpo_name) <= 200);
ALTER TABLE organisations ADD COLUMN dpo_email TEXT NOT NULL DEFAULT '' CHECK (length(dpo_email) <= 254);
