-- A bank return file is imported in chunks of a few thousand settlements, each chunk its own
-- transaction (import-payments): imported_through_line is the file line of the last
-- settlement a committed chunk took in (0 before the first), so an import killed part way
-- resumes after it; the counts (settlements, recorded, duplicates, exceptions) are the sums of
-- the committed chunks.
ALTER TABLE payment_files ADD COLUMN imported_through_line int NOT NULL DEFAULT 0 CHECK (imported_through_line >= 0);
