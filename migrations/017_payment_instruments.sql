-- Payment instruments and payments in (issue 16 items 1, 2 and 3): the boleto and PIX
-- copy-and-paste of each installment, the business's instrument settings, bank return files,
-- the reconciliation list and PIX notifications.

-- payment_settings: the business's boleto and PIX settings as the daemon read them from its
-- environment at start (BILLINGD_BANK_*, BILLINGD_PIX_*), so every writer of installments
-- (sweeps, API, CLI, every replica) makes the same instruments. One row at most; a NULL part
-- makes no instrument of that kind, and without the row installments have none.
CREATE TABLE payment_settings (
    id         boolean PRIMARY KEY DEFAULT true CHECK (id),
    boleto     jsonb,
    pix        jsonb,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- Nosso-número sequence numbers: the sequence's value v is the business's sequence
-- bank.nosso_numero_first + v − 1. Gaps (a rolled-back batch) are harmless.
CREATE SEQUENCE nosso_numero_sequence AS bigint MINVALUE 1 START 1;

-- payment_instruments: one row per installment that has an instrument, written in the
-- transaction that creates the installment and re-made (same nosso número, same txid) in the
-- transaction that re-dates it or changes its amount. amount and due_date are what the codes
-- carry.
CREATE TABLE payment_instruments (
    installment_id  bigint PRIMARY KEY REFERENCES installments (id),
    contract_id     bigint         NOT NULL REFERENCES contracts (id),
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
CREATE INDEX payment_instruments_contract ON payment_instruments (contract_id);

-- payment_files: every bank return file received (upload or drop directory), once by its
-- content, parsed before it is stored (a malformed file is never stored). status: pending
-- until import-payments imported it, then imported.
CREATE TABLE payment_files (
    id          bigserial PRIMARY KEY,
    name        text        NOT NULL,
    sha256      text        NOT NULL UNIQUE CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    content     bytea       NOT NULL,
    size        bigint      NOT NULL,
    origin      text        NOT NULL CHECK (origin IN ('upload', 'drop_dir')),
    status      text        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'imported')),
    bank_code   text,
    settlements int         NOT NULL DEFAULT 0,
    recorded    int         NOT NULL DEFAULT 0,
    duplicates  int         NOT NULL DEFAULT 0,
    exceptions  int         NOT NULL DEFAULT 0,
    received_at timestamptz NOT NULL DEFAULT now(),
    imported_at timestamptz,
    CHECK ((status = 'imported') = (imported_at IS NOT NULL))
);
CREATE INDEX payment_files_pending ON payment_files (id) WHERE status = 'pending';

-- payment_exceptions: the reconciliation list. A settlement of a return file (file, line) or
-- a PIX notification (end_to_end_id) that recorded no payment, with the reason; unique per
-- file line and per PIX notification, so a second import lists nothing twice.
CREATE TABLE payment_exceptions (
    id             bigserial PRIMARY KEY,
    file_id        bigint REFERENCES payment_files (id),
    line           int,
    end_to_end_id  text,
    source         text           NOT NULL CHECK (source IN ('bank_file', 'pix')),
    reference      text           NOT NULL,
    installment_id bigint REFERENCES installments (id),
    amount         numeric(14, 2) NOT NULL,
    paid_on        date,
    reason         text           NOT NULL,
    detail         text           NOT NULL,
    created_at     timestamptz    NOT NULL DEFAULT now(),
    UNIQUE (file_id, line),
    UNIQUE (end_to_end_id),
    CHECK ((source = 'bank_file') = (file_id IS NOT NULL AND line IS NOT NULL)),
    CHECK ((source = 'pix') = (end_to_end_id IS NOT NULL))
);
CREATE INDEX payment_exceptions_created ON payment_exceptions (created_at, id);
