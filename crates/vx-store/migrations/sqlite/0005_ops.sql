-- Operations (issue 7): permit signing key, checkpoints and crossings, travel permits,
-- businesses and their workers, aid programmes and distributions.

CREATE TABLE ops_keys (
    name       TEXT PRIMARY KEY,
    secret_hex TEXT NOT NULL,
    public_hex TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE checkpoints (
    id         INTEGER PRIMARY KEY,
    unit_id    INTEGER NOT NULL REFERENCES units(id),
    name       TEXT NOT NULL,
    location   TEXT NOT NULL,
    officers   TEXT NOT NULL,
    active     INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL
);
CREATE INDEX checkpoints_unit ON checkpoints (unit_id);

CREATE TABLE permits (
    id             INTEGER PRIMARY KEY,
    issuer_unit_id INTEGER NOT NULL REFERENCES units(id),
    holder_kind    TEXT NOT NULL CHECK (holder_kind IN ('person', 'vehicle')),
    person_id      INTEGER REFERENCES people(id),
    holder_name    TEXT NOT NULL,
    document       TEXT,
    plate          TEXT,
    purpose        TEXT NOT NULL,
    destinations   TEXT NOT NULL,
    valid_from     TEXT NOT NULL,
    valid_to       TEXT NOT NULL,
    test_hours     INTEGER,
    vaccine_doses  INTEGER,
    issued_by      TEXT NOT NULL,
    issued_at      TEXT NOT NULL,
    revoked_at     TEXT,
    revoked_by     TEXT,
    revoke_reason  TEXT
);
CREATE INDEX permits_issuer ON permits (issuer_unit_id);
CREATE INDEX permits_revoked ON permits (revoked_at);

CREATE TABLE crossings (
    id            INTEGER PRIMARY KEY,
    checkpoint_id INTEGER NOT NULL REFERENCES checkpoints(id),
    at            TEXT NOT NULL,
    direction     TEXT NOT NULL CHECK (direction IN ('in', 'out')),
    person_id     INTEGER REFERENCES people(id),
    holder_name   TEXT NOT NULL,
    plate         TEXT,
    permit_id     INTEGER REFERENCES permits(id),
    test_result   TEXT CHECK (test_result IN ('negative', 'positive')),
    test_at       TEXT,
    allowed       INTEGER NOT NULL,
    reason        TEXT NOT NULL,
    recorded_by   TEXT NOT NULL
);
CREATE INDEX crossings_checkpoint_at ON crossings (checkpoint_id, at);
CREATE INDEX crossings_person ON crossings (person_id);

CREATE TABLE businesses (
    id            INTEGER PRIMARY KEY,
    unit_id       INTEGER NOT NULL REFERENCES units(id),
    name          TEXT NOT NULL,
    sector        TEXT NOT NULL,
    household     INTEGER NOT NULL,
    address       TEXT NOT NULL,
    safety_plan   INTEGER NOT NULL,
    three_on_site INTEGER NOT NULL,
    one_route     INTEGER NOT NULL,
    created_at    TEXT NOT NULL
);
CREATE INDEX businesses_unit ON businesses (unit_id);

CREATE TABLE business_workers (
    business_id INTEGER NOT NULL REFERENCES businesses(id),
    person_id   INTEGER NOT NULL REFERENCES people(id),
    PRIMARY KEY (business_id, person_id)
);
CREATE INDEX business_workers_person ON business_workers (person_id);

CREATE TABLE worker_tests (
    id          INTEGER PRIMARY KEY,
    business_id INTEGER NOT NULL REFERENCES businesses(id),
    person_id   INTEGER NOT NULL REFERENCES people(id),
    day         TEXT NOT NULL,
    result      TEXT NOT NULL CHECK (result IN ('negative', 'positive')),
    recorded_by TEXT NOT NULL
);
CREATE INDEX worker_tests_person ON worker_tests (person_id, day);

CREATE TABLE programmes (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('cash', 'goods')),
    amount_vnd INTEGER,
    goods      TEXT NOT NULL,
    unit_id    INTEGER NOT NULL REFERENCES units(id),
    rules      TEXT NOT NULL,
    combine    TEXT NOT NULL CHECK (combine IN ('any', 'all')),
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);

-- One distribution per household and programme: the store refuses a second one, also
-- when two officers enter it at the same time.
CREATE TABLE distributions (
    id           INTEGER PRIMARY KEY,
    programme_id INTEGER NOT NULL REFERENCES programmes(id),
    household_id INTEGER NOT NULL REFERENCES households(id),
    unit_id      INTEGER NOT NULL REFERENCES units(id),
    handed_on    TEXT NOT NULL,
    handed_by    TEXT NOT NULL,
    what         TEXT NOT NULL,
    amount_vnd   INTEGER,
    receipt      TEXT NOT NULL,
    recorded_by  TEXT NOT NULL,
    recorded_at  TEXT NOT NULL,
    UNIQUE (programme_id, household_id)
);
CREATE INDEX distributions_unit ON distributions (programme_id, unit_id);
