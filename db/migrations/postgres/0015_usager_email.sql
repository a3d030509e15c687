-- Email that keeps its promises (issue 12, second part).

-- Why a mandate was revoked as a whole: '' for an ordinary revocation,
-- 'not_me' when its usager suspended it from the "Ce n'était pas moi" link
-- of a message. A suspended mandate is a revoked one: every check that
-- reads revoked_at treats it as ended, and nothing can make it active again.
ALTER TABLE mandates ADD COLUMN revoked_reason TEXT NOT NULL DEFAULT ''
    CHECK (revoked_reason IN ('', 'not_me'));

-- Where a usager's messages go, and whether they want them: the address
-- given at signature ('' = the one FranceConnect gave), the address a mail
-- server refused for good and when, and when the usager stopped them.
CREATE TABLE usager_email_settings (
    usager_id       TEXT PRIMARY KEY REFERENCES usagers (id) ON DELETE CASCADE,
    address         TEXT NOT NULL DEFAULT '',
    bounced_address TEXT NOT NULL DEFAULT '',
    bounced_at      TIMESTAMPTZ,
    stopped_at      TIMESTAMPTZ,
    updated_at      TIMESTAMPTZ NOT NULL
);

-- A message to a usager names them, so that a permanent refusal of its
-- address marks that address; and carries its one-click unsubscribe link
-- (RFC 8058), sent as List-Unsubscribe.
ALTER TABLE outbox_messages ADD COLUMN usager_id TEXT NOT NULL DEFAULT '';
ALTER TABLE outbox_messages ADD COLUMN list_unsubscribe TEXT NOT NULL DEFAULT '';

-- Expiry reminders written, one per subject, end date and threshold: the
-- primary key makes the maintenance job idempotent across instances. One
-- table per owner: package mandate writes the mandates', package account
-- the habilitations'.
CREATE TABLE mandate_reminders (
    mandate_id     TEXT NOT NULL,
    ends_at        TIMESTAMPTZ NOT NULL,
    threshold_days INTEGER NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (mandate_id, ends_at, threshold_days)
);
CREATE TABLE habilitation_reminders (
    account_id     TEXT NOT NULL,
    ends_at        TIMESTAMPTZ NOT NULL,
    threshold_days INTEGER NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (account_id, ends_at, threshold_days)
);

-- "Mot de passe oublié" requests waiting for the outbox worker: the page
-- writes one row whether the address has an account or not (the same work,
-- the same time), and the worker looks the address up, sends the link if
-- any, and deletes the row.
CREATE TABLE password_reset_requests (
    id         UUID PRIMARY KEY,
    email      TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX password_reset_requests_created ON password_reset_requests (created_at);
