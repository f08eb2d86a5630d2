-- A package cycle also ends on a date (issue 19 item 2, "or on a date, whichever comes
-- first"): a package plan may set cycle_months, the number of months after which its current
-- cycle ends if its services are not used up before (benefits.CycleEndsOn). NULL: the cycle
-- ends only by use, as before; existing plans keep NULL, so nothing changes for them. Only
-- a package sets it (a CHECK, as billing.Plan.Validate says). reset-benefit-quotas opens the
-- next cycle of each contract on such a plan whose current cycle's day has come; it finds
-- them through plans (few rows) and contracts_plan, so contracts of other plans cost nothing.
ALTER TABLE plans ADD COLUMN cycle_months integer CHECK (cycle_months BETWEEN 1 AND 24);
ALTER TABLE plans ADD CONSTRAINT plans_cycle_months_package CHECK (cycle_months IS NULL OR kind = 'package');
-- The sweep's batches read a contract-id range of those plans' contracts: (plan_id, id)
-- answers "plan_id = ANY(…) AND id BETWEEN …" from the index alone, so a batch reads only
-- the package contracts of its range (it replaces contracts_plan, of plan_id alone).
DROP INDEX contracts_plan;
CREATE INDEX contracts_plan ON contracts (plan_id, id);
