-- The epidemiological record: screening campaigns and rounds, samples and their members,
-- laboratory results and conflicts, retest orders, case proposals, cases (F0) with daily
-- checks, contacts (F1, F2) with their test days, rules as data, and the aggregates that
-- keep coverage and case counts fast at province scale. Mirrors sqlite/0002_epi.sql.

-- Rules versioned by the day they take effect ('quarantine', 'release', 'pool_limits');
-- the body is the rule as JSON. Without rows, the built-in defaults of SPEC 4.5 apply.
CREATE TABLE epi_rules (
    kind           TEXT NOT NULL CHECK (kind IN ('quarantine', 'release', 'pool_limits')),
    effective_from DATE NOT NULL,
    body           TEXT NOT NULL,
    PRIMARY KEY (kind, effective_from)
);

CREATE TABLE campaigns (
    id          BIGSERIAL PRIMARY KEY,
    name        TEXT NOT NULL,
    target_kind TEXT NOT NULL CHECK (target_kind IN ('everyone', 'one-per-household', 'ages', 'workers')),
    age_from    BIGINT,
    age_to      BIGINT,
    business    TEXT,
    created_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE campaign_units (
    campaign_id BIGINT NOT NULL REFERENCES campaigns(id),
    unit_code   TEXT NOT NULL,
    PRIMARY KEY (campaign_id, unit_code)
);

CREATE TABLE rounds (
    id          BIGSERIAL PRIMARY KEY,
    campaign_id BIGINT NOT NULL REFERENCES campaigns(id),
    number      BIGINT NOT NULL,
    start_date  DATE NOT NULL,
    end_date    DATE NOT NULL,
    UNIQUE (campaign_id, number)
);

CREATE TABLE samples (
    id               BIGSERIAL PRIMARY KEY,
    code             TEXT NOT NULL UNIQUE,
    round_id         BIGINT NOT NULL REFERENCES rounds(id),
    method           TEXT NOT NULL CHECK (method IN ('rt-pcr', 'rapid-antigen')),
    pooled           BOOLEAN NOT NULL,
    high_risk        BOOLEAN NOT NULL,
    retest           BOOLEAN NOT NULL,
    retest_order_id  BIGINT,
    collected_at     TIMESTAMPTZ NOT NULL,
    collected_day    DATE NOT NULL,
    collector        TEXT NOT NULL,
    laboratory       TEXT NOT NULL,
    unit_id          BIGINT NOT NULL REFERENCES units(id),
    result           TEXT CHECK (result IN ('negative', 'positive', 'invalid')),
    ct               DOUBLE PRECISION,
    tested_at        TIMESTAMPTZ,
    result_lab       TEXT,
    import_id        BIGINT REFERENCES import_batches(id),
    result_import_id BIGINT REFERENCES import_batches(id),
    created_at       TIMESTAMPTZ NOT NULL
);
CREATE INDEX samples_round_unit ON samples (round_id, unit_id);

-- round_id, unit_id and household_id are copied from the sample and the person so that
-- "a person once per round" is an index and coverage counts need no join.
CREATE TABLE sample_members (
    sample_id    BIGINT NOT NULL REFERENCES samples(id),
    person_id    BIGINT NOT NULL REFERENCES people(id),
    round_id     BIGINT NOT NULL,
    unit_id      BIGINT NOT NULL,
    household_id BIGINT NOT NULL,
    retest       BOOLEAN NOT NULL,
    PRIMARY KEY (sample_id, person_id)
);
CREATE UNIQUE INDEX sample_members_once ON sample_members (round_id, person_id) WHERE NOT retest;
CREATE INDEX sample_members_person ON sample_members (person_id);
CREATE INDEX sample_members_round_unit ON sample_members (round_id, unit_id);

-- Per round and unit holding people (hamlet, or commune without hamlets), maintained on
-- every write that changes them; coverage rolls them up with the units' path range.
CREATE TABLE round_unit_stats (
    round_id           BIGINT NOT NULL REFERENCES rounds(id),
    unit_id            BIGINT NOT NULL REFERENCES units(id),
    targeted           BIGINT NOT NULL DEFAULT 0,
    sampled_people     BIGINT NOT NULL DEFAULT 0,
    sampled_households BIGINT NOT NULL DEFAULT 0,
    samples            BIGINT NOT NULL DEFAULT 0,
    resulted           BIGINT NOT NULL DEFAULT 0,
    positives          BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (round_id, unit_id)
);

CREATE TABLE result_conflicts (
    id          BIGSERIAL PRIMARY KEY,
    sample_id   BIGINT NOT NULL REFERENCES samples(id),
    laboratory  TEXT NOT NULL,
    result      TEXT NOT NULL CHECK (result IN ('negative', 'positive', 'invalid')),
    ct          DOUBLE PRECISION,
    tested_at   TIMESTAMPTZ NOT NULL,
    received_at TIMESTAMPTZ NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('open', 'kept', 'replaced')),
    resolved_by TEXT,
    resolved_at TIMESTAMPTZ,
    import_id   BIGINT REFERENCES import_batches(id),
    UNIQUE (sample_id, laboratory, result, tested_at)
);
CREATE INDEX result_conflicts_status ON result_conflicts (status, id);

CREATE TABLE retest_orders (
    id             BIGSERIAL PRIMARY KEY,
    pool_sample_id BIGINT NOT NULL REFERENCES samples(id),
    person_id      BIGINT NOT NULL REFERENCES people(id),
    round_id       BIGINT NOT NULL REFERENCES rounds(id),
    unit_id        BIGINT NOT NULL REFERENCES units(id),
    created_at     TIMESTAMPTZ NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('open', 'done')),
    done_sample_id BIGINT REFERENCES samples(id),
    UNIQUE (pool_sample_id, person_id)
);
CREATE INDEX retest_orders_unit ON retest_orders (unit_id, status);
CREATE INDEX retest_orders_person ON retest_orders (person_id);

CREATE TABLE case_proposals (
    id         BIGSERIAL PRIMARY KEY,
    person_id  BIGINT NOT NULL REFERENCES people(id),
    sample_id  BIGINT NOT NULL UNIQUE REFERENCES samples(id),
    created_at TIMESTAMPTZ NOT NULL,
    status     TEXT NOT NULL CHECK (status IN ('proposed', 'confirmed', 'rejected')),
    case_id    BIGINT,
    decided_by TEXT,
    decided_at TIMESTAMPTZ
);
CREATE INDEX case_proposals_status ON case_proposals (status, id);
CREATE INDEX case_proposals_person ON case_proposals (person_id);

-- chain_path: "/C000000000000001/K000000000000004/C000000000000009/", the chain from its
-- root case; ordering by it lists a chain depth-first, a subtree is one index range.
CREATE TABLE cases (
    id                BIGSERIAL PRIMARY KEY,
    person_id         BIGINT NOT NULL REFERENCES people(id),
    unit_id           BIGINT NOT NULL REFERENCES units(id),
    confirmed_on      DATE NOT NULL,
    source            TEXT NOT NULL CHECK (source IN ('community', 'in-quarantine', 'imported')),
    severity          TEXT NOT NULL,
    place             TEXT NOT NULL CHECK (place IN ('home', 'facility', 'hospital')),
    isolation_start   DATE NOT NULL,
    release_due       DATE NOT NULL,
    released_on       DATE,
    negative_test_on  DATE,
    outcome           TEXT CHECK (outcome IN ('recovered', 'transferred', 'died')),
    outcome_on        DATE,
    proposal_id       BIGINT REFERENCES case_proposals(id),
    sample_id         BIGINT REFERENCES samples(id),
    source_contact_id BIGINT,
    chain_path        TEXT COLLATE "C" NOT NULL,
    created_at        TIMESTAMPTZ NOT NULL
);
CREATE INDEX cases_person ON cases (person_id);
CREATE INDEX cases_unit_day ON cases (unit_id, confirmed_on);
CREATE INDEX cases_chain ON cases (chain_path);

-- New cases per unit, day and source, maintained on confirmation: the rule engine's input.
CREATE TABLE case_day_counts (
    unit_id       BIGINT NOT NULL REFERENCES units(id),
    day           DATE NOT NULL,
    community     BIGINT NOT NULL DEFAULT 0,
    in_quarantine BIGINT NOT NULL DEFAULT 0,
    imported      BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (unit_id, day)
);

CREATE TABLE daily_checks (
    case_id    BIGINT NOT NULL REFERENCES cases(id),
    day        DATE NOT NULL,
    symptoms   TEXT NOT NULL,
    spo2       BIGINT,
    checked_by TEXT NOT NULL,
    at         TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (case_id, day)
);

CREATE TABLE contacts (
    id                BIGSERIAL PRIMARY KEY,
    person_id         BIGINT NOT NULL REFERENCES people(id),
    unit_id           BIGINT NOT NULL REFERENCES units(id),
    level             TEXT NOT NULL CHECK (level IN ('f1', 'f2')),
    source_case_id    BIGINT REFERENCES cases(id),
    source_contact_id BIGINT REFERENCES contacts(id),
    exposure_date     DATE NOT NULL,
    place             TEXT NOT NULL CHECK (place IN ('home', 'facility')),
    vaccinated        BOOLEAN NOT NULL,
    start_date        DATE NOT NULL,
    end_date          DATE NOT NULL,
    monitoring_end    DATE,
    test_days         TEXT NOT NULL,
    rule_from         DATE NOT NULL,
    status            TEXT NOT NULL CHECK (status IN ('open', 'released', 'became-case')),
    closed_on         DATE,
    chain_path        TEXT COLLATE "C" NOT NULL,
    created_at        TIMESTAMPTZ NOT NULL,
    CHECK ((source_case_id IS NULL) <> (source_contact_id IS NULL))
);
CREATE INDEX contacts_person ON contacts (person_id, status);
CREATE INDEX contacts_unit_end ON contacts (unit_id, status, end_date);
CREATE INDEX contacts_chain ON contacts (chain_path);

-- The test days of each quarantine, for the work lists; sample_id once a sample of the
-- person was taken that day.
CREATE TABLE contact_tests (
    contact_id BIGINT NOT NULL REFERENCES contacts(id),
    day        DATE NOT NULL,
    person_id  BIGINT NOT NULL REFERENCES people(id),
    unit_id    BIGINT NOT NULL REFERENCES units(id),
    sample_id  BIGINT REFERENCES samples(id),
    PRIMARY KEY (contact_id, day)
);
CREATE INDEX contact_tests_unit_day ON contact_tests (unit_id, day);
CREATE INDEX contact_tests_person ON contact_tests (person_id, day);
CREATE INDEX contact_tests_day ON contact_tests (day);
