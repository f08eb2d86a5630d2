-- Overage, one-off charges and add-ons (issue 19 items 3 and 6): what a contract is billed
-- beyond its plan, each as installment lines (kinds 'overage', 'charge', 'addon').

-- A plan benefit may allow uses beyond the period's quota at a unit price ("beneficiário
-- paga excedente"); NULL refuses them (quota_exhausted), as before.
ALTER TABLE plan_benefits ADD COLUMN overage_unit_price numeric(14, 2) CHECK (overage_unit_price > 0);

-- A use's overage: the units beyond the quota (counted in quantity, not in the balance's
-- used), their unit price copied when the use was recorded, and the installment whose
-- 'overage' line (source key 'overage:<use id>') bills them; NULL while no open
-- installment falls due after the use.
ALTER TABLE benefit_usages
    ADD COLUMN overage                integer        NOT NULL DEFAULT 0,
    ADD COLUMN overage_unit_price     numeric(14, 2),
    ADD COLUMN overage_installment_id bigint REFERENCES installments (id),
    ADD CONSTRAINT benefit_usages_overage CHECK (overage >= 0 AND overage <= quantity
        AND (overage = 0) = (overage_unit_price IS NULL)
        AND (overage > 0 OR overage_installment_id IS NULL));

-- contract_charges: one-off charges (an extra service, a visit, equipment), each billed as
-- 'charge' lines (source key 'charge:<id>:<part>') on the contract's next open
-- installments, split in `installments` parts to the cent (the remainder on the first).
-- A request's idempotency key is unique per contract.
CREATE TABLE contract_charges (
    id              bigserial PRIMARY KEY,
    contract_id     bigint         NOT NULL REFERENCES contracts (id),
    description     text           NOT NULL CHECK (description <> ''),
    amount          numeric(14, 2) NOT NULL CHECK (amount > 0),
    installments    integer        NOT NULL CHECK (installments BETWEEN 1 AND 60),
    idempotency_key text           CHECK (idempotency_key <> ''),
    created_at      timestamptz    NOT NULL DEFAULT now(),
    UNIQUE (contract_id, idempotency_key)
);

-- contract_addons: recurring add-ons (an app, a static IP) with their own price per service
-- period, charged as an 'addon' line (source key 'addon:<id>') on every recurring
-- installment generated while active (active_from..active_until, both included; NULL while
-- it lasts), prorated for a period it covers in part.
CREATE TABLE contract_addons (
    id           bigserial PRIMARY KEY,
    contract_id  bigint         NOT NULL REFERENCES contracts (id),
    description  text           NOT NULL CHECK (description <> ''),
    price        numeric(14, 2) NOT NULL CHECK (price > 0),
    active_from  date           NOT NULL,
    active_until date           CHECK (active_until >= active_from),
    created_at   timestamptz    NOT NULL DEFAULT now()
);
CREATE INDEX contract_addons_contract ON contract_addons (contract_id);
