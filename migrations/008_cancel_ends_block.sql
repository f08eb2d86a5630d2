-- Changing a plan flags its contracts for renewal: find them by plan.
CREATE INDEX contracts_plan ON contracts (plan_id);

-- Cancelling a blocked contract ends its block episode, with its own end reason.
ALTER TABLE block_episodes DROP CONSTRAINT block_episodes_end_reason_check;
ALTER TABLE block_episodes ADD CONSTRAINT block_episodes_end_reason_check
    CHECK (end_reason IN ('payment', 'rule', 'cancelled'));
