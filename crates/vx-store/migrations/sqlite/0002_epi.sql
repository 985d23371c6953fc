-- The epidemiological record: screening campaigns and rounds, samples and their members,
-- laboratory results and conflicts, retest orders, case proposals, cases (F0) with daily
-- checks, contacts (F1, F2) with their test days, rules as data, and the aggregates that
-- keep coverage and case counts fast at province scale.
-- Days are DATE (ISO text here), instants are UTC (RFC 3339 text here).

-- Rules versioned by the day they take effect ('quarantine', 'release', 'pool_limits');
-- the body is the rule as JSON. Without rows, the built-in defaults of SPEC 4.5 apply.
CREATE TABLE epi_rules (
    kind           TEXT NOT NULL CHECK (kind IN ('quarantine', 'release', 'pool_limits')),
    effective_from TEXT NOT NULL,
    body           TEXT NOT NULL,
    PRIMARY KEY (kind, effective_from)
);

CREATE TABLE campaigns (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    target_kind TEXT NOT NULL CHECK (target_kind IN ('everyone', 'one-per-household', 'ages', 'workers')),
    age_from    INTEGER,
    age_to      INTEGER,
    business    TEXT,
    created_at  TEXT NOT NULL
);

CREATE TABLE campaign_units (
    campaign_id INTEGER NOT NULL REFERENCES campaigns(id),
    unit_code   TEXT NOT NULL,
    PRIMARY KEY (campaign_id, unit_code)
);

CREATE TABLE rounds (
    id          INTEGER PRIMARY KEY,
    campaign_id INTEGER NOT NULL REFERENCES campaigns(id),
    number      INTEGER NOT NULL,
    start_date  TEXT NOT NULL,
    end_date    TEXT NOT NULL,
    UNIQUE (campaign_id, number)
);

CREATE TABLE samples (
    id               INTEGER PRIMARY KEY,
    code             TEXT NOT NULL UNIQUE,
    round_id         INTEGER NOT NULL REFERENCES rounds(id),
    method           TEXT NOT NULL CHECK (method IN ('rt-pcr', 'rapid-antigen')),
    pooled           INTEGER NOT NULL,
    high_risk        INTEGER NOT NULL,
    retest           INTEGER NOT NULL,
    retest_order_id  INTEGER,
    collected_at     TEXT NOT NULL,
    collected_day    TEXT NOT NULL,
    collector        TEXT NOT NULL,
    laboratory       TEXT NOT NULL,
    unit_id          INTEGER NOT NULL REFERENCES units(id),
    result           TEXT CHECK (result IN ('negative', 'positive', 'invalid')),
    ct               REAL,
    tested_at        TEXT,
    result_lab       TEXT,
    import_id        INTEGER REFERENCES import_batches(id),
    result_import_id INTEGER REFERENCES import_batches(id),
    created_at       TEXT NOT NULL
);
CREATE INDEX samples_round_unit ON samples (round_id, unit_id);

-- round_id, unit_id and household_id are copied from the sample and the person so that
-- "a person once per round" is an index and coverage counts need no join.
CREATE TABLE sample_members (
    sample_id    INTEGER NOT NULL REFERENCES samples(id),
    person_id    INTEGER NOT NULL REFERENCES people(id),
    round_id     INTEGER NOT NULL,
    unit_id      INTEGER NOT NULL,
    household_id INTEGER NOT NULL,
    retest       INTEGER NOT NULL,
    PRIMARY KEY (sample_id, person_id)
);
CREATE UNIQUE INDEX sample_members_once ON sample_members (round_id, person_id) WHERE NOT retest;
CREATE INDEX sample_members_person ON sample_members (person_id);
CREATE INDEX sample_members_round_unit ON sample_members (round_id, unit_id);

-- Per round and unit holding people (hamlet, or commune without hamlets), maintained on
-- every write that changes them; coverage rolls them up with the units' path range.
CREATE TABLE round_unit_stats (
    round_id           INTEGER NOT NULL REFERENCES rounds(id),
    unit_id            INTEGER NOT NULL REFERENCES units(id),
    targeted           INTEGER NOT NULL DEFAULT 0,
    sampled_people     INTEGER NOT NULL DEFAULT 0,
    sampled_households INTEGER NOT NULL DEFAULT 0,
    samples            INTEGER NOT NULL DEFAULT 0,
    resulted           INTEGER NOT NULL DEFAULT 0,
    positives          INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (round_id, unit_id)
);

CREATE TABLE result_conflicts (
    id          INTEGER PRIMARY KEY,
    sample_id   INTEGER NOT NULL REFERENCES samples(id),
    laboratory  TEXT NOT NULL,
    result      TEXT NOT NULL CHECK (result IN ('negative', 'positive', 'invalid')),
    ct          REAL,
    tested_at   TEXT NOT NULL,
    received_at TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('open', 'kept', 'replaced')),
    resolved_by TEXT,
    resolved_at TEXT,
    import_id   INTEGER REFERENCES import_batches(id),
    UNIQUE (sample_id, laboratory, result, tested_at)
);
CREATE INDEX result_conflicts_status ON result_conflicts (status, id);

CREATE TABLE retest_orders (
    id             INTEGER PRIMARY KEY,
    pool_sample_id INTEGER NOT NULL REFERENCES samples(id),
    person_id      INTEGER NOT NULL REFERENCES people(id),
    round_id       INTEGER NOT NULL REFERENCES rounds(id),
    unit_id        INTEGER NOT NULL REFERENCES units(id),
    created_at     TEXT NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('open', 'done')),
    done_sample_id INTEGER REFERENCES samples(id),
    UNIQUE (pool_sample_id, person_id)
);
CREATE INDEX retest_orders_unit ON retest_orders (unit_id, status);
CREATE INDEX retest_orders_person ON retest_orders (person_id);

CREATE TABLE case_proposals (
    id         INTEGER PRIMARY KEY,
    person_id  INTEGER NOT NULL REFERENCES people(id),
    sample_id  INTEGER NOT NULL UNIQUE REFERENCES samples(id),
    created_at TEXT NOT NULL,
    status     TEXT NOT NULL CHECK (status IN ('proposed', 'confirmed', 'rejected')),
    case_id    INTEGER,
    decided_by TEXT,
    decided_at TEXT
);
CREATE INDEX case_proposals_status ON case_proposals (status, id);
CREATE INDEX case_proposals_person ON case_proposals (person_id);

-- chain_path: "/C000000000000001/K000000000000004/C000000000000009/", the chain from its
-- root case; ordering by it lists a chain depth-first, a subtree is one index range.
CREATE TABLE cases (
    id                INTEGER PRIMARY KEY,
    person_id         INTEGER NOT NULL REFERENCES people(id),
    unit_id           INTEGER NOT NULL REFERENCES units(id),
    confirmed_on      TEXT NOT NULL,
    source            TEXT NOT NULL CHECK (source IN ('community', 'in-quarantine', 'imported')),
    severity          TEXT NOT NULL,
    place             TEXT NOT NULL CHECK (place IN ('home', 'facility', 'hospital')),
    isolation_start   TEXT NOT NULL,
    release_due       TEXT NOT NULL,
    released_on       TEXT,
    negative_test_on  TEXT,
    outcome           TEXT CHECK (outcome IN ('recovered', 'transferred', 'died')),
    outcome_on        TEXT,
    proposal_id       INTEGER REFERENCES case_proposals(id),
    sample_id         INTEGER REFERENCES samples(id),
    source_contact_id INTEGER,
    chain_path        TEXT NOT NULL,
    created_at        TEXT NOT NULL
);
CREATE INDEX cases_person ON cases (person_id);
CREATE INDEX cases_unit_day ON cases (unit_id, confirmed_on);
CREATE INDEX cases_chain ON cases (chain_path);

-- New cases per unit, day and source, maintained on confirmation: the rule engine's input.
CREATE TABLE case_day_counts (
    unit_id       INTEGER NOT NULL REFERENCES units(id),
    day           TEXT NOT NULL,
    community     INTEGER NOT NULL DEFAULT 0,
    in_quarantine INTEGER NOT NULL DEFAULT 0,
    imported      INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (unit_id, day)
);

CREATE TABLE daily_checks (
    case_id    INTEGER NOT NULL REFERENCES cases(id),
    day        TEXT NOT NULL,
    symptoms   TEXT NOT NULL,
    spo2       INTEGER,
    checked_by TEXT NOT NULL,
    at         TEXT NOT NULL,
    PRIMARY KEY (case_id, day)
);

CREATE TABLE contacts (
    id                INTEGER PRIMARY KEY,
    person_id         INTEGER NOT NULL REFERENCES people(id),
    unit_id           INTEGER NOT NULL REFERENCES units(id),
    level             TEXT NOT NULL CHECK (level IN ('f1', 'f2')),
    source_case_id    INTEGER REFERENCES cases(id),
    source_contact_id INTEGER REFERENCES contacts(id),
    exposure_date     TEXT NOT NULL,
    place             TEXT NOT NULL CHECK (place IN ('home', 'facility')),
    vaccinated        INTEGER NOT NULL,
    start_date        TEXT NOT NULL,
    end_date          TEXT NOT NULL,
    monitoring_end    TEXT,
    test_days         TEXT NOT NULL,
    rule_from         TEXT NOT NULL,
    status            TEXT NOT NULL CHECK (status IN ('open', 'released', 'became-case')),
    closed_on         TEXT,
    chain_path        TEXT NOT NULL,
    created_at        TEXT NOT NULL,
    CHECK ((source_case_id IS NULL) <> (source_contact_id IS NULL))
);
CREATE INDEX contacts_person ON contacts (person_id, status);
CREATE INDEX contacts_unit_end ON contacts (unit_id, status, end_date);
CREATE INDEX contacts_chain ON contacts (chain_path);

-- The test days of each quarantine, for the work lists; sample_id once a sample of the
-- person was taken that day.
CREATE TABLE contact_tests (
    contact_id INTEGER NOT NULL REFERENCES contacts(id),
    day        TEXT NOT NULL,
    person_id  INTEGER NOT NULL REFERENCES people(id),
    unit_id    INTEGER NOT NULL REFERENCES units(id),
    sample_id  INTEGER REFERENCES samples(id),
    PRIMARY KEY (contact_id, day)
);
CREATE INDEX contact_tests_unit_day ON contact_tests (unit_id, day);
CREATE INDEX contact_tests_person ON contact_tests (person_id, day);
CREATE INDEX contact_tests_day ON contact_tests (day);
