-- The delegated login in fewer statements (issue 8).

-- aidant_facts is the account package's published read model of who may act
-- as an aidant where: one row per (account, organisation) where the account
-- holds the aidant role, with the facts that decide whether they may act
-- now (account.AidantFacts). Other packages join this view on their hot
-- paths (the permission check, the delegated-login choice) instead of
-- reading accounts, memberships and organisations themselves.
CREATE VIEW aidant_facts AS
SELECT a.id AS account_id,
       m.organisation_id,
       o.siret,
       o.name AS organisation_name,
       a.given_name,
       a.family_name,
       a.active,
       a.habilitated_until,
       a.totp_secret IS NOT NULL AS has_totp
FROM accounts a
JOIN memberships m ON m.account_id = a.id AND m.role = 'aidant'
JOIN organisations o ON o.id = m.organisation_id;

-- Nothing looks codes and tokens up by aidant, usager or organisation:
-- three index writes fewer per stored code or token.
DROP INDEX oauth_requests_aidant;
DROP INDEX oauth_requests_usager;
DROP INDEX oauth_requests_organisation;

-- Retention (issue 13): when a usager's identity was erased, their mandates'
-- FranceConnect ID tokens too (the hashes stay, signed).
ALTER TABLE usagers ADD COLUMN erased_at TIMESTAMP;
CREATE INDEX usagers_last_identified ON usagers (last_identified_at) WHERE erased_at IS NULL;
