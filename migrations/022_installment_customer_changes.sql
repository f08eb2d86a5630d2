-- Contract changes, issue 18 items 3 to 6: one installment re-dated, re-priced or cancelled
-- (with its history), a customer's document, phone and address, the catalogue of
-- cancellation reasons, and activation on the first payment.

-- An operator's change of one installment's amount is a line of kind 'adjustment': it may
-- charge (a positive amount, added to the installment's amount) or give back (a negative
-- one, added to its discount), like a proration; none of the kinds before says "an operator
-- set this installment's amount by hand".
ALTER TABLE installment_lines DROP CONSTRAINT installment_lines_kind_check;
ALTER TABLE installment_lines ADD CONSTRAINT installment_lines_kind_check CHECK (kind IN ('plan', 'adhesion', 'subject_plan',
    'addon', 'charge', 'overage', 'proration', 'discount', 'inactivity_discount', 'late_fine', 'late_interest', 'adjustment'));
ALTER TABLE installment_lines DROP CONSTRAINT installment_lines_sign;
ALTER TABLE installment_lines ADD CONSTRAINT installment_lines_sign CHECK (CASE
    WHEN kind IN ('discount', 'inactivity_discount') THEN amount <= 0
    WHEN kind IN ('proration', 'adjustment') THEN true
    ELSE amount >= 0 END);

-- installment_changes is the history of the operators' changes to one installment: each
-- re-dating, change of amount and cancellation, with who (the audit actor) and why.
CREATE TABLE installment_changes (
    id             bigserial PRIMARY KEY,
    installment_id bigint         NOT NULL REFERENCES installments (id),
    contract_id    bigint         NOT NULL REFERENCES contracts (id),
    kind           text           NOT NULL CHECK (kind IN ('redate', 'amount', 'cancel')),
    old_due_date   date,
    new_due_date   date,
    -- old_total and new_total are what the installment asks (amount less discount).
    old_total      numeric(14, 2),
    new_total      numeric(14, 2),
    reason         text           NOT NULL CHECK (reason <> ''),
    actor          text           NOT NULL DEFAULT '',
    created_at     timestamptz    NOT NULL DEFAULT now(),
    CHECK ((kind = 'redate') = (new_due_date IS NOT NULL)),
    CHECK ((kind = 'amount') = (new_total IS NOT NULL))
);
CREATE INDEX installment_changes_installment ON installment_changes (installment_id, id);

-- A customer's phone and address; municipality_code is the IBGE code (7 digits) that
-- municipal holidays will use.
ALTER TABLE customers
    ADD COLUMN phone             text NOT NULL DEFAULT '',
    ADD COLUMN street            text NOT NULL DEFAULT '',
    ADD COLUMN street_number     text NOT NULL DEFAULT '',
    ADD COLUMN complement        text NOT NULL DEFAULT '',
    ADD COLUMN district          text NOT NULL DEFAULT '',
    ADD COLUMN city              text NOT NULL DEFAULT '',
    ADD COLUMN state             text NOT NULL DEFAULT '' CHECK (state = '' OR state ~ '^[A-Z]{2}$'),
    ADD COLUMN postal_code       text NOT NULL DEFAULT '' CHECK (postal_code = '' OR postal_code ~ '^[0-9]{8}$'),
    ADD COLUMN municipality_code text NOT NULL DEFAULT '' CHECK (municipality_code = '' OR municipality_code ~ '^[0-9]{7}$'),
    ADD COLUMN updated_at        timestamptz NOT NULL DEFAULT now();

-- cancellation_reasons is the catalogue of why contracts are cancelled. A reason in use is
-- never deleted: DELETE disables it (active = false), so no new cancellation takes it.
CREATE TABLE cancellation_reasons (
    id          bigserial PRIMARY KEY,
    code        text        NOT NULL UNIQUE CHECK (code ~ '^[a-z][a-z0-9_]{0,39}$'),
    name        text        NOT NULL CHECK (name <> ''),
    active      boolean     NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now(),
    disabled_at timestamptz,
    CHECK (active = (disabled_at IS NULL))
);
INSERT INTO cancellation_reasons (code, name) VALUES
    ('not_paid', 'not paid'),
    ('customer_request', 'customer request'),
    ('moved', 'moved'),
    ('deceased', 'deceased'),
    ('other', 'other');

-- A cancelled contract's reason; activate_on_first_payment: the contract waits, with its
-- first installment issued, until that installment is paid, and is active from the day of
-- the payment; activation_deadline is the last day it waits (adhesion date plus
-- BILLINGD_ACTIVATION_WAIT_DAYS): still waiting the day after, it is cancelled as not paid.
ALTER TABLE contracts
    ADD COLUMN cancel_reason_id          bigint REFERENCES cancellation_reasons (id),
    ADD COLUMN activate_on_first_payment boolean NOT NULL DEFAULT false,
    ADD COLUMN activation_deadline       date,
    ADD CONSTRAINT contracts_activation_deadline CHECK (activate_on_first_payment = (activation_deadline IS NOT NULL));
CREATE INDEX contracts_cancel_reason ON contracts (cancelled_on, cancel_reason_id) WHERE cancel_reason_id IS NOT NULL;
CREATE INDEX contracts_activation_waiting ON contracts (activation_deadline, id) WHERE status = 'pending_activation';

-- The notice of a contract cancelled because its first payment never came.
ALTER TABLE notices DROP CONSTRAINT notices_kind_check;
ALTER TABLE notices ADD CONSTRAINT notices_kind_check CHECK (kind IN ('welcome', 'coming_due', 'overdue', 'reminder',
    'block_warning', 'partial_suspension', 'blocked', 'termination', 'unblocked', 'renewed', 'activation_expired'));
ALTER TABLE email_templates DROP CONSTRAINT email_templates_kind_check;
ALTER TABLE email_templates ADD CONSTRAINT email_templates_kind_check CHECK (kind IN ('welcome', 'coming_due', 'overdue',
    'reminder', 'block_warning', 'partial_suspension', 'blocked', 'termination', 'unblocked', 'renewed', 'activation_expired'));
