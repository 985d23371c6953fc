-- Zone lifecycle (issue 4): green-zone records and their events, heads of units,
-- accountability reviews, local measure overrides and targets.

CREATE TABLE green_zones (
    unit_id    INTEGER PRIMARY KEY REFERENCES units(id),
    state      TEXT NOT NULL,
    record     TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX green_zones_state ON green_zones (state);

CREATE TABLE green_zone_events (
    id         INTEGER PRIMARY KEY,
    unit_id    INTEGER NOT NULL REFERENCES units(id),
    day        TEXT NOT NULL,
    event      TEXT NOT NULL,
    from_state TEXT NOT NULL,
    to_state   TEXT NOT NULL,
    actor      TEXT NOT NULL,
    at         TEXT NOT NULL
);
CREATE INDEX green_zone_events_unit ON green_zone_events (unit_id, day);

CREATE TABLE unit_heads (
    id         INTEGER PRIMARY KEY,
    unit_id    INTEGER NOT NULL REFERENCES units(id),
    name       TEXT NOT NULL,
    title      TEXT NOT NULL,
    term_from  TEXT NOT NULL,
    term_to    TEXT,
    created_at TEXT NOT NULL,
    CHECK (term_to IS NULL OR term_to >= term_from)
);
CREATE INDEX unit_heads_unit ON unit_heads (unit_id, term_from);

CREATE TABLE accountability_reviews (
    id         INTEGER PRIMARY KEY,
    unit_id    INTEGER NOT NULL REFERENCES units(id),
    opened_on  TEXT NOT NULL,
    case_ref   TEXT NOT NULL,
    decision   TEXT NOT NULL,
    heads      TEXT NOT NULL,
    status     TEXT NOT NULL CHECK (status IN ('open', 'in-progress', 'closed')),
    notes      TEXT NOT NULL,
    outcome    TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX accountability_reviews_unit ON accountability_reviews (unit_id, status);

CREATE TABLE measure_overrides (
    id         INTEGER PRIMARY KEY,
    unit_id    INTEGER NOT NULL REFERENCES units(id),
    decision   TEXT NOT NULL,
    measure    TEXT NOT NULL,
    value      TEXT NOT NULL,
    from_date  TEXT NOT NULL,
    to_date    TEXT,
    levels     TEXT NOT NULL,
    note       TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX measure_overrides_unit ON measure_overrides (unit_id);

CREATE TABLE zone_targets (
    id          INTEGER PRIMARY KEY,
    unit_id     INTEGER NOT NULL REFERENCES units(id),
    level       INTEGER NOT NULL CHECK (level BETWEEN 1 AND 4),
    by_date     TEXT NOT NULL,
    margin_days INTEGER NOT NULL CHECK (margin_days >= 0),
    note        TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE INDEX zone_targets_unit ON zone_targets (unit_id);
