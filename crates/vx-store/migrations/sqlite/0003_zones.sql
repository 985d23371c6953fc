-- Zone status (issue 4): rule sets as data, assignments, adjacency, capacity flags,
-- vaccination doses and the daily levels with their reasons.

CREATE TABLE rule_sets (
    id             TEXT NOT NULL,
    version        INTEGER NOT NULL,
    name           TEXT NOT NULL,
    kind           TEXT NOT NULL,
    effective_from TEXT NOT NULL,
    effective_to   TEXT,
    source         TEXT NOT NULL,
    body           TEXT NOT NULL,
    builtin        INTEGER NOT NULL,
    created_at     TEXT NOT NULL,
    PRIMARY KEY (id, version)
);

CREATE TABLE rule_assignments (
    unit_code   TEXT NOT NULL,
    rule_set_id TEXT NOT NULL,
    from_date   TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    PRIMARY KEY (unit_code, from_date)
);

CREATE TABLE unit_adjacency (
    code_a TEXT NOT NULL,
    code_b TEXT NOT NULL,
    PRIMARY KEY (code_a, code_b),
    CHECK (code_a < code_b)
);
CREATE INDEX unit_adjacency_b ON unit_adjacency (code_b);

CREATE TABLE capacity_flags (
    unit_id INTEGER NOT NULL REFERENCES units(id),
    day     TEXT NOT NULL,
    met     INTEGER NOT NULL,
    note    TEXT NOT NULL,
    PRIMARY KEY (unit_id, day)
);

CREATE TABLE vaccinations (
    person_id INTEGER NOT NULL REFERENCES people(id),
    dose      INTEGER NOT NULL CHECK (dose >= 1),
    day       TEXT NOT NULL,
    import_id INTEGER REFERENCES import_batches(id),
    PRIMARY KEY (person_id, dose)
);

CREATE TABLE zone_levels (
    unit_id          INTEGER NOT NULL REFERENCES units(id),
    day              TEXT NOT NULL,
    rule_set_id      TEXT NOT NULL,
    rule_set_version INTEGER NOT NULL,
    level            INTEGER NOT NULL CHECK (level BETWEEN 1 AND 4),
    in_force         INTEGER NOT NULL CHECK (in_force BETWEEN 1 AND 4),
    announced_level  INTEGER,
    announced_on     TEXT,
    announced_from   TEXT,
    method           TEXT NOT NULL CHECK (method IN ('criteria', 'rollup')),
    incomplete       INTEGER NOT NULL,
    reasons          TEXT NOT NULL,
    computed_at      TEXT NOT NULL,
    PRIMARY KEY (unit_id, day)
);
CREATE INDEX zone_levels_day ON zone_levels (day);
