-- Contract changes (issue 18 items 1, 2, 7): the due day, the plan, a pause and its resume.
-- docs/rules.md ("Contract changes") describes them; billing/changes.go holds their rules.

-- Every change asked of a contract, with its history: what it changes (from, to), the day
-- it takes effect, who asked and why, and whether it is still scheduled, applied or was
-- cancelled before it applied. One live change per contract, kind and effective day: a
-- retry of the same request finds it and applies nothing twice.
CREATE TABLE contract_changes (
    id           bigserial PRIMARY KEY,
    contract_id  bigint      NOT NULL REFERENCES contracts (id),
    kind         text        NOT NULL CHECK (kind IN ('due_day', 'plan', 'pause', 'resume')),
    requested_at timestamptz NOT NULL DEFAULT now(),
    -- requested_on is the business day the change was asked on (the limits count from it).
    requested_on date        NOT NULL,
    effective_on date        NOT NULL,
    from_value   jsonb       NOT NULL,
    to_value     jsonb       NOT NULL,
    status       text        NOT NULL CHECK (status IN ('scheduled', 'applied', 'cancelled')),
    applied_on   date,
    cancelled_at timestamptz,
    actor        text        NOT NULL,
    reason       text        NOT NULL DEFAULT '',
    CHECK ((status = 'applied') = (applied_on IS NOT NULL)),
    CHECK ((status = 'cancelled') = (cancelled_at IS NOT NULL))
);
CREATE UNIQUE INDEX contract_changes_business_key ON contract_changes (contract_id, kind, effective_on)
    WHERE status <> 'cancelled';
-- At most one plan change waits per contract.
CREATE UNIQUE INDEX contract_changes_one_scheduled_plan ON contract_changes (contract_id)
    WHERE kind = 'plan' AND status = 'scheduled';
CREATE INDEX contract_changes_scheduled ON contract_changes (effective_on, contract_id) WHERE status = 'scheduled';
CREATE INDEX contract_changes_contract ON contract_changes (contract_id, id);

-- service_anchor is the day the contract's service periods are counted from: the activation
-- date until a pause moves it by the paused months (NULL: the activation date). paused_from
-- and paused_until are the contract's latest pause window (inclusive); block-delinquent does
-- not act on a contract inside it and benefit uses in it are refused as paused.
ALTER TABLE contracts
    ADD COLUMN service_anchor date,
    ADD COLUMN paused_from    date,
    ADD COLUMN paused_until   date,
    ADD CONSTRAINT contracts_pause_window CHECK ((paused_from IS NULL) = (paused_until IS NULL)
        AND (paused_from IS NULL OR paused_from <= paused_until));
