-- Zone status (issue 4): rule sets as data, assignments, adjacency, capacity flags,
-- vaccination doses and the daily levels with their reasons.

CREATE TABLE rule_sets (
    id             TEXT NOT NULL,
    version        BIGINT NOT NULL,
    name           TEXT NOT NULL,
    kind           TEXT NOT NULL,
    effective_from DATE NOT NULL,
    effective_to   DATE,
    source         TEXT NOT NULL,
    body           TEXT NOT NULL,
    builtin        BOOLEAN NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (id, version)
);

CREATE TABLE rule_assignments (
    unit_code   TEXT NOT NULL COLLATE "C",
    rule_set_id TEXT NOT NULL,
    from_date   DATE NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (unit_code, from_date)
);

CREATE TABLE unit_adjacency (
    code_a TEXT NOT NULL COLLATE "C",
    code_b TEXT NOT NULL COLLATE "C",
    PRIMARY KEY (code_a, code_b),
    CHECK (code_a < code_b)
);
CREATE INDEX unit_adjacency_b ON unit_adjacency (code_b);

CREATE TABLE capacity_flags (
    unit_id BIGINT NOT NULL REFERENCES units(id),
    day     DATE NOT NULL,
    met     BOOLEAN NOT NULL,
    note    TEXT NOT NULL,
    PRIMARY KEY (unit_id, day)
);

CREATE TABLE vaccinations (
    person_id BIGINT NOT NULL REFERENCES people(id),
    dose      BIGINT NOT NULL CHECK (dose >= 1),
    day       DATE NOT NULL,
    import_id BIGINT REFERENCES import_batches(id),
    PRIMARY KEY (person_id, dose)
);

CREATE TABLE zone_levels (
    unit_id          BIGINT NOT NULL REFERENCES units(id),
    day              DATE NOT NULL,
    rule_set_id      TEXT NOT NULL,
    rule_set_version BIGINT NOT NULL,
    level            BIGINT NOT NULL CHECK (level BETWEEN 1 AND 4),
    in_force         BIGINT NOT NULL CHECK (in_force BETWEEN 1 AND 4),
    announced_level  BIGINT,
    announced_on     DATE,
    announced_from   DATE,
    method           TEXT NOT NULL CHECK (method IN ('criteria', 'rollup')),
    incomplete       BOOLEAN NOT NULL,
    reasons          TEXT NOT NULL,
    computed_at      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (unit_id, day)
);
CREATE INDEX zone_levels_day ON zone_levels (day);
