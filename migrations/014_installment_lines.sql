-- installment_lines: an installment is the sum of its lines (issue 19 item 4). Each line says
-- what it charges (amount > 0) or discounts (amount < 0) and why, keyed by the business
-- identity of what wrote it (source_key: 'plan', 'adhesion', 'discount',
-- 'inactivity:<episode id>', 'late_fine:<payment id>', …), so a rerun writes nothing twice.
--
-- installments.amount and installments.discount stay as cached totals, so the sweeps, their
-- indexes and every reader keep working: amount = the sum of the positive lines, discount =
-- minus the sum of the negative lines. The statements that create installments write their
-- lines in the same statement, and one store function (postgres.changeLines) adds or removes
-- lines and moves the totals in the same statement; nothing else writes amount or discount.
-- The on-time discount stays the column on_time_discount: it applies only when the
-- installment is settled on time, and is not a line.
CREATE TABLE installment_lines (
    id             bigserial PRIMARY KEY,
    installment_id bigint         NOT NULL REFERENCES installments (id),
    -- contract_id is the installment's, denormalised for the lock order and per-contract reads.
    contract_id    bigint         NOT NULL REFERENCES contracts (id),
    kind           text           NOT NULL CHECK (kind IN ('plan', 'adhesion', 'subject_plan', 'addon', 'charge', 'overage',
                       'proration', 'discount', 'inactivity_discount', 'late_fine', 'late_interest')),
    description    text           NOT NULL CHECK (description <> ''),
    quantity       numeric(14, 4) NOT NULL DEFAULT 1 CHECK (quantity > 0),
    unit_price     numeric(14, 2),
    amount         numeric(14, 2) NOT NULL,
    source_key     text           NOT NULL CHECK (source_key <> ''),
    created_at     timestamptz    NOT NULL DEFAULT now(),
    UNIQUE (installment_id, source_key),
    -- Discounts never charge and charges never discount; a proration may go either way.
    CONSTRAINT installment_lines_sign CHECK (CASE
        WHEN kind IN ('discount', 'inactivity_discount') THEN amount <= 0
        WHEN kind = 'proration' THEN true
        ELSE amount >= 0 END)
);
CREATE INDEX installment_lines_contract ON installment_lines (contract_id, installment_id);

-- Existing installments become their lines, amounts unchanged: one plan or adhesion line of
-- the amount; one inactivity_discount line per attached inactivity discount; and a discount
-- line for the rest of the discount (the contract's fixed discount).
INSERT INTO installment_lines (installment_id, contract_id, kind, description, quantity, unit_price, amount, source_key, created_at)
SELECT i.id, i.contract_id,
    CASE i.kind WHEN 'adhesion' THEN 'adhesion' ELSE 'plan' END,
    CASE i.kind WHEN 'adhesion' THEN 'adhesion fee, installment ' || i.sequence
            || CASE WHEN c.adhesion_installments >= i.sequence THEN ' of ' || c.adhesion_installments ELSE '' END
        WHEN 'recurring' THEN CASE WHEN i.service_end IS NULL
            THEN 'plan, package cycle ' || i.sequence || ': uses from ' || to_char(coalesce(i.service_start, i.nominal_due), 'YYYY-MM-DD')
            ELSE 'plan, term ' || i.term || ' installment ' || i.sequence || ': service '
                || to_char(i.service_start, 'YYYY-MM-DD') || ' to ' || to_char(i.service_end, 'YYYY-MM-DD') END
    END,
    1, i.amount, i.amount, CASE i.kind WHEN 'adhesion' THEN 'adhesion' ELSE 'plan' END, i.created_at
FROM installments i JOIN contracts c ON c.id = i.contract_id;

INSERT INTO installment_lines (installment_id, contract_id, kind, description, quantity, unit_price, amount, source_key, created_at)
SELECT d.installment_id, d.contract_id, 'inactivity_discount', d.reason, 1, NULL, -d.amount, 'inactivity:' || d.episode_id, d.created_at
FROM installment_discounts d WHERE d.installment_id IS NOT NULL;

INSERT INTO installment_lines (installment_id, contract_id, kind, description, quantity, unit_price, amount, source_key, created_at)
SELECT i.id, i.contract_id, 'discount', 'fixed discount', 1, NULL, -(i.discount - coalesce(d.total, 0)), 'discount', i.created_at
FROM installments i
LEFT JOIN (SELECT installment_id, sum(amount) AS total FROM installment_discounts
           WHERE installment_id IS NOT NULL GROUP BY installment_id) d ON d.installment_id = i.id
WHERE i.discount - coalesce(d.total, 0) > 0;

-- The migration stops, changing nothing, if any installment's lines do not sum to its totals.
DO $$
DECLARE
    off bigint;
BEGIN
    SELECT count(*) INTO off FROM installments i
    LEFT JOIN (SELECT installment_id, coalesce(sum(amount) FILTER (WHERE amount > 0), 0) AS charged,
                      coalesce(-sum(amount) FILTER (WHERE amount < 0), 0) AS discounted
               FROM installment_lines GROUP BY installment_id) l ON l.installment_id = i.id
    WHERE l.installment_id IS NULL OR l.charged <> i.amount OR l.discounted <> i.discount;
    IF off > 0 THEN
        RAISE EXCEPTION 'installment_lines: % installment(s) whose lines would not sum to their amount and discount', off;
    END IF;
END $$;
