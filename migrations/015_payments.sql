-- Payments (issue 16 item 4, issue 15 item 3): every payment of an installment, from the API,
-- a bank return file or a PIX notification, with how it was imputed; late fine and interest
-- settings on plans and contracts.

-- Late charges: NULL inherits (the contract's from its plan, the plan's from the defaults:
-- no fine, 1.00% a month of interest). billing.LateRule validates them; the bounds are
-- restated here.
ALTER TABLE plans
    ADD COLUMN late_fine_percent        numeric(5, 2) CHECK (late_fine_percent BETWEEN 0 AND 2),
    ADD COLUMN monthly_interest_percent numeric(5, 2) CHECK (monthly_interest_percent BETWEEN 0 AND 10);
ALTER TABLE contracts
    ADD COLUMN late_fine_percent        numeric(5, 2) CHECK (late_fine_percent BETWEEN 0 AND 2),
    ADD COLUMN monthly_interest_percent numeric(5, 2) CHECK (monthly_interest_percent BETWEEN 0 AND 10);

-- payments: append-only but for the reversal columns (a trigger refuses any other change and
-- any delete). (source, reference) is the idempotency key: a bank file or a PIX notification
-- seen twice records nothing twice. An API payment may come without a reference (NULL: not
-- idempotent). principal, fine, interest and credit say how the amount was imputed when the
-- payment was recorded (accrued fine and interest first, Código Civil art. 354).
CREATE TABLE payments (
    id              bigserial PRIMARY KEY,
    installment_id  bigint         NOT NULL REFERENCES installments (id),
    contract_id     bigint         NOT NULL REFERENCES contracts (id),
    amount          numeric(14, 2) NOT NULL CHECK (amount > 0),
    -- paid_on is the customer's payment date (a boleto's date paid, a PIX's horário in the
    -- business time zone): fine and interest are computed to it.
    paid_on         date           NOT NULL,
    source          text           NOT NULL CHECK (source IN ('api', 'bank_file', 'pix')),
    reference       text           CHECK (reference <> ''),
    principal       numeric(14, 2) NOT NULL CHECK (principal >= 0),
    fine            numeric(14, 2) NOT NULL CHECK (fine >= 0),
    interest        numeric(14, 2) NOT NULL CHECK (interest >= 0),
    credit          numeric(14, 2) NOT NULL DEFAULT 0 CHECK (credit >= 0),
    recorded_at     timestamptz    NOT NULL DEFAULT now(),
    reversed_at     timestamptz,
    reversal_reason text,
    UNIQUE (source, reference),
    CHECK (reference IS NOT NULL OR source = 'api'),
    CHECK (principal + fine + interest + credit = amount),
    CHECK ((reversed_at IS NULL) = (reversal_reason IS NULL))
);
CREATE INDEX payments_installment ON payments (installment_id, paid_on, id);
CREATE INDEX payments_contract ON payments (contract_id, id);

CREATE FUNCTION payments_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'payments are append-only: payment % cannot be deleted (reverse it)', OLD.id;
    END IF;
    IF (NEW.id, NEW.installment_id, NEW.contract_id, NEW.amount, NEW.paid_on, NEW.source, NEW.reference, NEW.principal,
            NEW.fine, NEW.interest, NEW.credit, NEW.recorded_at)
        IS DISTINCT FROM (OLD.id, OLD.installment_id, OLD.contract_id, OLD.amount, OLD.paid_on, OLD.source, OLD.reference,
            OLD.principal, OLD.fine, OLD.interest, OLD.credit, OLD.recorded_at)
        OR OLD.reversed_at IS NOT NULL THEN
        RAISE EXCEPTION 'payments are append-only: payment % may only be reversed, once', OLD.id;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER payments_append_only BEFORE UPDATE OR DELETE ON payments
    FOR EACH ROW EXECUTE FUNCTION payments_append_only();

-- Existing paid installments get their payment: the amount paid on paid_at, imputed to
-- principal, the excess over what was then due (amount less discount, less the on-time
-- discount when paid by the effective due date) as credit. No fine or interest was charged
-- before this migration.
INSERT INTO payments (installment_id, contract_id, amount, paid_on, source, reference, principal, fine, interest, credit)
SELECT i.id, i.contract_id, i.paid_amount, i.paid_at, 'api', 'api:migrated:' || i.id,
    least(i.paid_amount, greatest(d.due, 0)), 0, 0, i.paid_amount - least(i.paid_amount, greatest(d.due, 0))
FROM installments i
CROSS JOIN LATERAL (SELECT i.amount - i.discount
    - CASE WHEN i.paid_at <= i.due_date THEN i.on_time_discount ELSE 0 END AS due) d
WHERE i.state = 'paid' AND i.paid_amount > 0
ORDER BY i.id;

-- A reversal can reopen a paid recurring installment: that changes the count renew-contracts
-- reads as well, so the contract is flagged whenever a recurring installment leaves or
-- re-enters the open state.
DROP TRIGGER installments_renewal_check ON installments;
CREATE TRIGGER installments_renewal_check AFTER UPDATE OF state ON installments
    FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state AND (OLD.state = 'open' OR NEW.state = 'open')
        AND NEW.kind = 'recurring')
    EXECUTE FUNCTION installments_flag_renewal_check();
