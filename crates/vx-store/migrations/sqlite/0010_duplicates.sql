-- Issue 14 part 3: duplicates and merge. A merged person stays (inactive) and points at
-- the person kept; each merge records what it moved, so that it can be undone.
ALTER TABLE people ADD COLUMN merged_into INTEGER REFERENCES people(id);

CREATE TABLE person_merges (
    id         INTEGER PRIMARY KEY,
    kept_id    INTEGER NOT NULL REFERENCES people(id),
    merged_id  INTEGER NOT NULL REFERENCES people(id),
    -- JSON: the rows moved (their keys per table) and the fields the kept person took.
    moves      TEXT NOT NULL,
    note       TEXT NOT NULL,
    actor      TEXT NOT NULL,
    at         TEXT NOT NULL,
    undone_by  TEXT,
    undone_at  TEXT
);
CREATE INDEX person_merges_kept ON person_merges (kept_id);
CREATE INDEX person_merges_merged ON person_merges (merged_id);

-- Pairs a person decided are not the same person: never suggested again.
CREATE TABLE duplicate_dismissals (
    low_id   INTEGER NOT NULL REFERENCES people(id),
    high_id  INTEGER NOT NULL REFERENCES people(id),
    note     TEXT NOT NULL,
    actor    TEXT NOT NULL,
    at       TEXT NOT NULL,
    PRIMARY KEY (low_id, high_id)
);

CREATE INDEX people_phone ON people (phone) WHERE phone IS NOT NULL;
