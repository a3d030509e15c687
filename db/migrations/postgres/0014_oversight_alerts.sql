-- The manager's alerts (issue 11, point 4): what the maintenance loop found
-- unusual in an organisation's acts, or about to end. An alert is raised
-- once per (kind, subject, period): the unique key makes the computation
-- idempotent across runs and across instances. Derived from the journal
-- and the registries; raising and acknowledging one are acts in the journal.
CREATE TABLE oversight_alerts (
    id              BIGSERIAL PRIMARY KEY,
    organisation_id UUID NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    kind            TEXT NOT NULL,
    -- The account or usager pseudonym the alert is about; '' for the
    -- organisation itself.
    subject         TEXT NOT NULL,
    -- The day (YYYY-MM-DD, Paris time) or the week (its Monday) concerned.
    period          TEXT NOT NULL,
    raised_at       TIMESTAMPTZ NOT NULL,
    -- Small JSON of figures (counts, the usual volume, the threshold).
    details         TEXT NOT NULL DEFAULT '{}',
    acknowledged_at TIMESTAMPTZ,
    acknowledged_by UUID REFERENCES accounts (id),
    UNIQUE (organisation_id, kind, subject, period),
    CHECK ((acknowledged_at IS NULL) = (acknowledged_by IS NULL))
);
CREATE INDEX oversight_alerts_recent ON oversight_alerts (organisation_id, raised_at);

-- Each organisation's thresholds; an organisation without a row has the
-- defaults (oversight.DefaultThresholds).
CREATE TABLE oversight_alert_thresholds (
    organisation_id   UUID PRIMARY KEY REFERENCES organisations (id) ON DELETE CASCADE,
    volume_factor     INTEGER NOT NULL,
    volume_floor      INTEGER NOT NULL,
    night_start       INTEGER NOT NULL CHECK (night_start BETWEEN 0 AND 23),
    night_end         INTEGER NOT NULL CHECK (night_end BETWEEN 0 AND 23),
    sunday            BOOLEAN NOT NULL,
    usager_aidants    INTEGER NOT NULL,
    refusals          INTEGER NOT NULL,
    habilitation_days INTEGER NOT NULL,
    mandate_days      INTEGER NOT NULL,
    updated_at        TIMESTAMPTZ NOT NULL,
    updated_by        UUID NOT NULL REFERENCES accounts (id)
);
