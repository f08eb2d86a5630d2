-- Billing core: customers, plans, contracts, installments and the operator's holidays.

CREATE TABLE customers (
    id         bigserial PRIMARY KEY,
    name       text        NOT NULL CHECK (name <> ''),
    email      text        NOT NULL CHECK (email <> ''),
    document   text        NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE plans (
    id                    bigserial PRIMARY KEY,
    name                  text           NOT NULL CHECK (name <> ''),
    kind                  text           NOT NULL DEFAULT 'plan' CHECK (kind IN ('plan', 'package')),
    price                 numeric(14, 2) NOT NULL CHECK (price >= 0),
    period                text           NOT NULL
                          CHECK (period IN ('monthly', 'bimonthly', 'quarterly', 'semiannual', 'annual')),
    installments_per_term integer        NOT NULL CHECK (installments_per_term BETWEEN 1 AND 120),
    min_price             numeric(14, 2) CHECK (min_price >= 0),
    uses_per_cycle        integer        CHECK (uses_per_cycle > 0),
    created_at            timestamptz    NOT NULL DEFAULT now(),
    updated_at            timestamptz    NOT NULL DEFAULT now()
);

CREATE TABLE contracts (
    id                    bigserial PRIMARY KEY,
    customer_id           bigint         NOT NULL REFERENCES customers (id),
    plan_id               bigint         NOT NULL REFERENCES plans (id),
    price                 numeric(14, 2) NOT NULL CHECK (price >= 0),
    adhesion_date         date           NOT NULL,
    wait_activation       boolean        NOT NULL DEFAULT true,
    activation_date       date,
    due_rule_kind         text           NOT NULL
                          CHECK (due_rule_kind IN ('fixed_day', 'anniversary', 'prepaid_fixed_day')),
    due_day               integer        CHECK (due_day BETWEEN 1 AND 31),
    due_shift             text           NOT NULL DEFAULT 'next' CHECK (due_shift IN ('next', 'previous', 'none')),
    billing_method        text           NOT NULL DEFAULT 'per_installment'
                          CHECK (billing_method IN ('per_installment', 'grouped', 'no_billing')),
    payment_method        text           NOT NULL DEFAULT 'boleto'
                          CHECK (payment_method IN ('boleto', 'credit_card', 'bank_transfer', 'pix')),
    card_installments     integer        NOT NULL DEFAULT 1 CHECK (card_installments BETWEEN 1 AND 24),
    discount              numeric(14, 2) NOT NULL DEFAULT 0 CHECK (discount >= 0),
    on_time_discount      numeric(14, 2) NOT NULL DEFAULT 0 CHECK (on_time_discount >= 0),
    adhesion_fee          numeric(14, 2) NOT NULL DEFAULT 0 CHECK (adhesion_fee >= 0),
    adhesion_installments integer        NOT NULL DEFAULT 0 CHECK (adhesion_installments BETWEEN 0 AND 24),
    generate_now          boolean        NOT NULL DEFAULT false,
    auto_renew            boolean        NOT NULL DEFAULT true,
    ignore_auto_renewal   boolean        NOT NULL DEFAULT false,
    renewal_price_mode    text           NOT NULL DEFAULT 'plan_price'
                          CHECK (renewal_price_mode IN ('plan_price', 'suggested')),
    suggested_price       numeric(14, 2) CHECK (suggested_price >= 0),
    status                text           NOT NULL
                          CHECK (status IN ('pending_activation', 'active', 'blocked', 'cancelled', 'finished')),
    term_number           integer        NOT NULL DEFAULT 1 CHECK (term_number >= 1),
    term_end              date,
    adhesion_generated    boolean        NOT NULL DEFAULT false,
    generated_term        integer        NOT NULL DEFAULT 0,
    -- generation_due_on is the first as-of date on which generate-installments has work for
    -- this contract; NULL when it has none. The partial index makes a nothing-due day cheap.
    generation_due_on     date,
    cancelled_on          date,
    created_at            timestamptz    NOT NULL DEFAULT now(),
    updated_at            timestamptz    NOT NULL DEFAULT now(),
    CHECK ((due_rule_kind = 'anniversary') = (due_day IS NULL)),
    CHECK (activation_date IS NOT NULL OR status IN ('pending_activation', 'cancelled'))
);
CREATE INDEX contracts_generation_due ON contracts (generation_due_on, id) WHERE generation_due_on IS NOT NULL;
CREATE INDEX contracts_customer ON contracts (customer_id);
CREATE INDEX contracts_status ON contracts (status);

CREATE TABLE installments (
    id               bigserial PRIMARY KEY,
    contract_id      bigint         NOT NULL REFERENCES contracts (id),
    kind             text           NOT NULL CHECK (kind IN ('adhesion', 'recurring')),
    term             integer        NOT NULL,
    sequence         integer        NOT NULL,
    service_start    date,
    service_end      date,
    nominal_due      date           NOT NULL,
    due_date         date           NOT NULL,
    amount           numeric(14, 2) NOT NULL CHECK (amount >= 0),
    discount         numeric(14, 2) NOT NULL DEFAULT 0 CHECK (discount >= 0),
    on_time_discount numeric(14, 2) NOT NULL DEFAULT 0 CHECK (on_time_discount >= 0),
    state            text           NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'paid', 'cancelled')),
    paid_at          date,
    paid_amount      numeric(14, 2),
    created_at       timestamptz    NOT NULL DEFAULT now(),
    -- One installment per business identity: a rerun or a retry can never bill twice.
    UNIQUE (contract_id, kind, sequence),
    CHECK ((state = 'paid') = (paid_at IS NOT NULL AND paid_amount IS NOT NULL))
);
CREATE INDEX installments_open_due ON installments (due_date, contract_id) WHERE state = 'open';

CREATE TABLE holidays (
    day        date PRIMARY KEY,
    name       text        NOT NULL CHECK (name <> ''),
    created_at timestamptz NOT NULL DEFAULT now()
);
