-- Issue 18: field work offline (docs/field.md).
-- The sync clock: every record a phone may edit takes its version from it, so that a phone
-- pulls what changed since its cursor as one index range, and an edit made on an older
-- version is merged field by field.
CREATE TABLE sync_clock (
    id   BIGINT PRIMARY KEY CHECK (id = 1),
    last BIGINT NOT NULL
);
INSERT INTO sync_clock (id, last) VALUES (1, 0);

-- The day's check of a quarantined F1/F2 at home, one per contact and day.
CREATE TABLE quarantine_checks (
    id                 BIGSERIAL PRIMARY KEY,
    contact_id         BIGINT NOT NULL REFERENCES contacts(id),
    unit_id            BIGINT NOT NULL REFERENCES units(id),
    day                DATE NOT NULL,
    temperature_tenths BIGINT CHECK (temperature_tenths BETWEEN 340 AND 430),
    symptoms           TEXT NOT NULL,
    present            BOOLEAN NOT NULL,
    version            BIGINT NOT NULL,
    changed_by         TEXT NOT NULL,
    changed_at         TIMESTAMPTZ NOT NULL,
    UNIQUE (contact_id, day)
);
CREATE INDEX quarantine_checks_version ON quarantine_checks (version);
CREATE INDEX quarantine_checks_unit_day ON quarantine_checks (unit_id, day);

-- A household visit by a hamlet team.
CREATE TABLE household_visits (
    id           BIGSERIAL PRIMARY KEY,
    household_id BIGINT NOT NULL REFERENCES households(id),
    unit_id      BIGINT NOT NULL REFERENCES units(id),
    day          DATE NOT NULL,
    outcome      TEXT NOT NULL CHECK (outcome IN ('met', 'absent', 'refused')),
    note         TEXT NOT NULL,
    version      BIGINT NOT NULL,
    changed_by   TEXT NOT NULL,
    changed_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX household_visits_version ON household_visits (version);
CREATE INDEX household_visits_unit_day ON household_visits (unit_id, day);
CREATE INDEX household_visits_household ON household_visits (household_id);

-- Each record a phone pushed and the server applied, by the id the phone made: a repeated
-- upload is answered from here, never applied twice.
CREATE TABLE sync_receipts (
    client_id  TEXT PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users(id),
    kind       TEXT NOT NULL,
    answer     TEXT NOT NULL,
    at         TIMESTAMPTZ NOT NULL
);
