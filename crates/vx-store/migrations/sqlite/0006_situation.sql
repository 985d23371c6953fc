-- The situation room (issue 5): announcements published by district and commune staff, and
-- unit boundaries imported from GeoJSON for the level map.

CREATE TABLE announcements (
    id           INTEGER PRIMARY KEY,
    unit_id      INTEGER NOT NULL REFERENCES units(id),
    title        TEXT NOT NULL,
    body         TEXT NOT NULL,
    published_on TEXT NOT NULL,
    author       TEXT NOT NULL,
    created_at   TEXT NOT NULL
);
CREATE INDEX announcements_published ON announcements (published_on, id);
CREATE INDEX announcements_unit ON announcements (unit_id, published_on);

-- geometry: JSON [[[[x, y], ...], ...], ...] (polygons of rings of lon/lat points);
-- schematic: drawn for a demonstration, not a surveyed boundary.
CREATE TABLE unit_boundaries (
    unit_code   TEXT PRIMARY KEY,
    geometry    TEXT NOT NULL,
    min_x       REAL NOT NULL,
    min_y       REAL NOT NULL,
    max_x       REAL NOT NULL,
    max_y       REAL NOT NULL,
    schematic   INTEGER NOT NULL,
    source      TEXT NOT NULL,
    imported_at TEXT NOT NULL
);

-- The dashboard's grouped counts: active people per unit (population where no official
-- figure) from the index alone, and the samples of one day.
CREATE INDEX people_unit_active ON people (unit_id, active);
CREATE INDEX samples_day_unit ON samples (collected_day, unit_id);
