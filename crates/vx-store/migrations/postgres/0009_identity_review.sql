-- Issue 14: rows of an import that name a stored person by citizen ID but describe someone
-- else (another name or birth), or move a person to another commune without the scope to
-- do so, are held here for review instead of being applied.
CREATE TABLE identity_reviews (
    id             BIGSERIAL PRIMARY KEY,
    kind           TEXT NOT NULL CHECK (kind IN ('identity', 'move', 'citizen_id')),
    person_id      BIGINT NOT NULL REFERENCES people(id),
    -- The stored person's unit, and the unit of the household the row names.
    unit_id        BIGINT NOT NULL REFERENCES units(id),
    target_unit_id BIGINT NOT NULL REFERENCES units(id),
    -- The person as the row would make it (JSON of NewPerson), and why it is held.
    proposed       TEXT NOT NULL,
    reason         TEXT NOT NULL,
    import_id      BIGINT REFERENCES import_batches(id),
    file_name      TEXT NOT NULL,
    row_number     BIGINT NOT NULL,
    actor          TEXT NOT NULL,
    at             TIMESTAMPTZ NOT NULL,
    status         TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'applied', 'rejected')),
    settled_by     TEXT,
    settled_at     TIMESTAMPTZ,
    note           TEXT NOT NULL DEFAULT ''
);
CREATE INDEX identity_reviews_status ON identity_reviews (status, id);
CREATE INDEX identity_reviews_person ON identity_reviews (person_id);
