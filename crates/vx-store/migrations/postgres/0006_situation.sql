-- The situation room (issue 5): announcements published by district and commune staff, and
-- unit boundaries imported from GeoJSON for the level map.

CREATE TABLE announcements (
    id           BIGSERIAL PRIMARY KEY,
    unit_id      BIGINT NOT NULL REFERENCES units(id),
    title        TEXT NOT NULL,
    body         TEXT NOT NULL,
    published_on DATE NOT NULL,
    author       TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX announcements_published ON announcements (published_on, id);
CREATE INDEX announcements_unit ON announcements (unit_id, published_on);

-- geometry: JSON [[[[x, y], ...], ...], ...] (polygons of rings of lon/lat points);
-- schematic: drawn for a demonstration, not a surveyed boundary.
CREATE TABLE unit_boundaries (
    unit_code   TEXT PRIMARY KEY COLLATE "C",
    geometry    TEXT NOT NULL,
    min_x       DOUBLE PRECISION NOT NULL,
    min_y       DOUBLE PRECISION NOT NULL,
    max_x       DOUBLE PRECISION NOT NULL,
    max_y       DOUBLE PRECISION NOT NULL,
    schematic   BOOLEAN NOT NULL,
    source      TEXT NOT NULL,
    imported_at TIMESTAMPTZ NOT NULL
);

-- The dashboard's grouped counts: active people per unit (population where no official
-- figure) from the index alone, and the samples of one day.
CREATE INDEX people_unit_active ON people (unit_id, active);
CREATE INDEX samples_day_unit ON samples (collected_day, unit_id);
