-- Issue 3: the note a reviewer gives when settling a conflicting result.
ALTER TABLE result_conflicts ADD COLUMN note TEXT NOT NULL DEFAULT '';
-- The samples of one import batch, read back after a bulk load (COPY returns no ids).
CREATE INDEX samples_import ON samples (import_id);
