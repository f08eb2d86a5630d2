-- Benefits and quotas: the benefit catalogue, the benefits a plan grants, per-contract
-- overrides, one balance per contract, benefit and period (or package cycle), and every use.

CREATE TABLE benefits (
    id          bigserial PRIMARY KEY,
    name        text           NOT NULL CHECK (name <> ''),
    -- unit_cost is the business's internal cost of one use.
    unit_cost   numeric(14, 2) NOT NULL CHECK (unit_cost >= 0),
    active      boolean        NOT NULL DEFAULT true,
    description text           NOT NULL DEFAULT '',
    created_at  timestamptz    NOT NULL DEFAULT now(),
    updated_at  timestamptz    NOT NULL DEFAULT now()
);

-- plan_benefits: what a plan grants. renewal_period is NULL for a package, whose quota
-- renews with each billing cycle (every plans.uses_per_cycle uses).
CREATE TABLE plan_benefits (
    plan_id        bigint      NOT NULL REFERENCES plans (id),
    benefit_id     bigint      NOT NULL REFERENCES benefits (id),
    quantity       integer     NOT NULL CHECK (quantity BETWEEN 1 AND 100000),
    renewal_period text        CHECK (renewal_period IN ('monthly', 'bimonthly', 'quarterly', 'semiannual', 'annual')),
    grace_days     integer     NOT NULL CHECK (grace_days BETWEEN 0 AND 3650),
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (plan_id, benefit_id)
);
CREATE INDEX plan_benefits_benefit ON plan_benefits (benefit_id);

-- contract_benefit_overrides: a contract's own terms for a benefit; NULL keeps the plan's.
-- quantity 0 withdraws the benefit from the contract.
CREATE TABLE contract_benefit_overrides (
    contract_id    bigint      NOT NULL REFERENCES contracts (id),
    benefit_id     bigint      NOT NULL REFERENCES benefits (id),
    quantity       integer     CHECK (quantity BETWEEN 0 AND 100000),
    renewal_period text        CHECK (renewal_period IN ('monthly', 'bimonthly', 'quarterly', 'semiannual', 'annual')),
    grace_days     integer     CHECK (grace_days BETWEEN 0 AND 3650),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (contract_id, benefit_id)
);

-- benefit_balances: one row per contract, benefit and renewal period (cycle IS NULL) or
-- package cycle (cycle = the sequence of the installment that pays for it).
CREATE TABLE benefit_balances (
    id            bigserial PRIMARY KEY,
    contract_id   bigint      NOT NULL REFERENCES contracts (id),
    benefit_id    bigint      NOT NULL REFERENCES benefits (id),
    -- anchor is the day periods are counted from: the settlement of the first charge.
    anchor        date        NOT NULL,
    period_start  date        NOT NULL,
    -- period_end is the last day of the period (inclusive); NULL for a package cycle.
    period_end    date,
    cycle         integer     CHECK (cycle >= 1),
    granted       integer     NOT NULL CHECK (granted >= 0),
    used          integer     NOT NULL DEFAULT 0 CHECK (used >= 0 AND used <= granted),
    -- next_reset_on is the day the following period starts, while reset-benefit-quotas has
    -- not opened it; NULL afterwards. The partial index makes a nothing-due day cheap.
    next_reset_on date,
    created_at    timestamptz NOT NULL DEFAULT now(),
    CHECK ((cycle IS NULL) = (period_end IS NOT NULL)),
    CHECK (period_end IS NULL OR period_end >= period_start)
);
CREATE UNIQUE INDEX benefit_balances_period_key ON benefit_balances (contract_id, benefit_id, period_start) WHERE cycle IS NULL;
CREATE UNIQUE INDEX benefit_balances_cycle_key ON benefit_balances (contract_id, benefit_id, cycle) WHERE cycle IS NOT NULL;
CREATE INDEX benefit_balances_reset_due ON benefit_balances (next_reset_on, contract_id) WHERE next_reset_on IS NOT NULL;

-- benefit_usages: every use, with the unit cost copied when it was recorded; a reversed use
-- keeps its row with reversed_at set and no longer counts.
CREATE TABLE benefit_usages (
    id          bigserial PRIMARY KEY,
    contract_id bigint         NOT NULL REFERENCES contracts (id),
    benefit_id  bigint         NOT NULL REFERENCES benefits (id),
    balance_id  bigint         NOT NULL REFERENCES benefit_balances (id),
    used_at     date           NOT NULL,
    quantity    integer        NOT NULL CHECK (quantity >= 1),
    unit_cost   numeric(14, 2) NOT NULL CHECK (unit_cost >= 0),
    reversed_at timestamptz,
    created_at  timestamptz    NOT NULL DEFAULT now()
);
CREATE INDEX benefit_usages_used_at ON benefit_usages (used_at) WHERE reversed_at IS NULL;
CREATE INDEX benefit_usages_contract ON benefit_usages (contract_id);
