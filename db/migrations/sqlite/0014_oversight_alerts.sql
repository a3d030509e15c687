-- The manager's alerts (issue 11). Same tables as the PostgreSQL migration.
CREATE TABLE oversight_alerts (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    organisation_id TEXT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    kind            TEXT NOT NULL,
    subject         TEXT NOT NULL,
    period          TEXT NOT NULL,
    raised_at       TIMESTAMP NOT NULL,
    details         TEXT NOT NULL DEFAULT '{}',
    acknowledged_at TIMESTAMP,
    acknowledged_by TEXT REFERENCES accounts (id),
    UNIQUE (organisation_id, kind, subject, period),
    CHECK ((acknowledged_at IS NULL) = (acknowledged_by IS NULL))
);
CREATE INDEX oversight_alerts_recent ON oversight_alerts (organisation_id, raised_at);

CREATE TABLE oversight_alert_thresholds (
    organisation_id   TEXT PRIMARY KEY REFERENCES organisations (id) ON DELETE CASCADE,
    volume_factor     INTEGER NOT NULL,
    volume_floor      INTEGER NOT NULL,
    night_start       INTEGER NOT NULL CHECK (night_start BETWEEN 0 AND 23),
    night_end         INTEGER NOT NULL CHECK (night_end BETWEEN 0 AND 23),
    sunday            BOOLEAN NOT NULL,
    usager_aidants    INTEGER NOT NULL,
    refusals          INTEGER NOT NULL,
    habilitation_days INTEGER NOT NULL,
    mandate_days      INTEGER NOT NULL,
    updated_at        TIMESTAMP NOT NULL,
    updated_by        TEXT NOT NULL REFERENCES accounts (id)
);
