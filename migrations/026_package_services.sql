-- Multi-service packages (issue 19 item 2, seed 003): a package lists several services (its
-- plan_benefits rows), each with its quantity per cycle (plan_benefits.quantity, at most the
-- plan's uses_per_cycle) and, optionally, its price per use in the package: the weight by
-- which the package's price is split into one installment line per service
-- (benefits.SplitPackagePrice). NULL lists no price; existing rows keep NULL, so existing
-- packages (one service each) and their installments are unchanged.
ALTER TABLE plan_benefits ADD COLUMN unit_price numeric(12, 2) CHECK (unit_price >= 0);
