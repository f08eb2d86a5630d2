-- job_runs records every run of a scheduled job: one row per (job, as-of date, trigger) request.
CREATE TABLE job_runs (
    id            bigserial PRIMARY KEY,
    job           text        NOT NULL,
    as_of         date        NOT NULL,
    trigger       text        NOT NULL CHECK (trigger IN ('schedule', 'manual', 'catch-up')),
    -- slot is the scheduled instant a schedule or catch-up run stands for; NULL for manual runs.
    slot          timestamptz,
    state         text        NOT NULL DEFAULT 'queued'
                  CHECK (state IN ('queued', 'running', 'succeeded', 'failed')),
    river_job_id  bigint,
    batches_total integer     NOT NULL DEFAULT 0,
    batches_done  integer     NOT NULL DEFAULT 0,
    counts        jsonb       NOT NULL DEFAULT '{}'::jsonb,
    error         text,
    enqueued_at   timestamptz NOT NULL DEFAULT now(),
    started_at    timestamptz,
    finished_at   timestamptz,
    CHECK ((trigger = 'manual') = (slot IS NULL))
);

-- Each scheduled slot runs once, however many replicas or catch-ups ask for it.
CREATE UNIQUE INDEX job_runs_slot_key ON job_runs (job, slot) WHERE slot IS NOT NULL;
CREATE INDEX job_runs_job_enqueued ON job_runs (job, enqueued_at DESC);
CREATE INDEX job_runs_succeeded ON job_runs (job, finished_at DESC) WHERE state = 'succeeded';

-- jsonb_add_counts adds two {"name": integer} objects key by key.
CREATE FUNCTION jsonb_add_counts(a jsonb, b jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(jsonb_object_agg(k, coalesce((a ->> k)::bigint, 0) + coalesce((b ->> k)::bigint, 0)), '{}'::jsonb)
    FROM (SELECT jsonb_object_keys(a) AS k UNION SELECT jsonb_object_keys(b)) AS keys
$$;
