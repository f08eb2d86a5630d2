-- Issue 16's leftovers: a return file's import progress, and the retention of delivered webhooks.

-- A bank return file is imported in chunks of a few thousand settlements, each chunk its own
-- transaction (import-payments): imported_through_line is the file line of the last
-- settlement a committed chunk took in (0 before the first), so an import killed part way
-- resumes after it; the counts (settlements, recorded, duplicates, exceptions) are the sums of
-- the committed chunks.
ALTER TABLE payment_files ADD COLUMN imported_through_line int NOT NULL DEFAULT 0 CHECK (imported_through_line >= 0);

-- Delivered webhook deliveries are pruned once older than BILLINGD_WEBHOOK_RETENTION_DAYS
-- (jobs: prune_webhook_deliveries); this index finds them oldest first without reading the
-- pending ones, which are never pruned.
CREATE INDEX webhook_deliveries_delivered ON webhook_deliveries (delivered_at) WHERE state = 'delivered';
