-- Grouped billing (issue 19 item 5): a customer whose contracts have billing_method 'grouped'
-- is charged once per due date for all its installments falling due that day. The charge,
-- keyed by (customer, due date), carries the boleto and PIX payload; its installments carry
-- none. Paying the charge pays each of its installments its own amount.

-- grouped_charges: one row per (customer, due date) with at least one installment of a
-- grouped contract; written by the instrument step of the statement that creates the
-- installments (set-based), so a rerun writes nothing twice.
CREATE TABLE grouped_charges (
    id          bigserial PRIMARY KEY,
    customer_id bigint      NOT NULL REFERENCES customers (id),
    due_date    date        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (customer_id, due_date)
);

-- grouped_charge_installments: which installments a charge collects (an installment is in
-- one charge at most).
CREATE TABLE grouped_charge_installments (
    installment_id bigint PRIMARY KEY REFERENCES installments (id),
    charge_id      bigint NOT NULL REFERENCES grouped_charges (id),
    contract_id    bigint NOT NULL REFERENCES contracts (id)
);
CREATE INDEX grouped_charge_installments_charge ON grouped_charge_installments (charge_id);

-- grouped_charge_instruments: a charge's boleto and PIX payload, as payment_instruments are
-- an installment's: amount is the sum of what its open installments ask by the due date,
-- re-made (same nosso número, same txid) when that sum changes. Nosso números come from the
-- same nosso_numero_sequence, so they never collide with an installment's.
CREATE TABLE grouped_charge_instruments (
    charge_id       bigint PRIMARY KEY REFERENCES grouped_charges (id),
    amount          numeric(14, 2) NOT NULL CHECK (amount > 0),
    due_date        date           NOT NULL,
    bank_code       text,
    sequence        bigint,
    nosso_numero    text,
    nosso_numero_printed text,
    barcode         text CHECK (barcode ~ '^[0-9]{44}$'),
    linha_digitavel text CHECK (linha_digitavel ~ '^[0-9]{47}$'),
    txid            text UNIQUE,
    pix_payload     text,
    made_at         timestamptz    NOT NULL DEFAULT now(),
    UNIQUE (bank_code, nosso_numero),
    CHECK ((bank_code IS NULL) = (nosso_numero IS NULL) AND (nosso_numero IS NULL) = (barcode IS NULL)),
    CHECK ((txid IS NULL) = (pix_payload IS NULL)),
    CHECK (barcode IS NOT NULL OR txid IS NOT NULL)
);
