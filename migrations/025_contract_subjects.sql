-- Subjects (issue 19 item 1): what a contract covers — a person (name, CPF or CNPJ, birth
-- date), a pet (name, species) or a vehicle (plate, model) — each on its own plan, billed on
-- the contract's installments as one 'subject_plan' line per subject and service period.
-- A subject is covered from started_on (included) to ended_on (excluded; NULL while covered).
-- price is the subject's plan's price when it was added: a later change of the plan's price
-- does not re-price the subject, as it does not re-price a contract.
CREATE TABLE contract_subjects (
    id          bigserial PRIMARY KEY,
    contract_id bigint         NOT NULL REFERENCES contracts (id),
    kind        text           NOT NULL CHECK (kind IN ('person', 'pet', 'vehicle')),
    name        text           NOT NULL DEFAULT '',
    -- document is a person's CPF or CNPJ, digits only (billing.ParseDocument).
    document    text,
    birth_date  date,
    species     text,
    plate       text,
    model       text,
    plan_id     bigint         NOT NULL REFERENCES plans (id),
    price       numeric(14, 2) NOT NULL CHECK (price >= 0),
    -- line_description is the words of the subject's 'subject_plan' lines
    -- (billing.SubjectLineDescription), written once so generation copies it set-based.
    line_description text      NOT NULL CHECK (line_description <> ''),
    started_on  date           NOT NULL,
    ended_on    date,
    created_at  timestamptz    NOT NULL DEFAULT now(),
    updated_at  timestamptz    NOT NULL DEFAULT now(),
    CHECK (ended_on IS NULL OR ended_on >= started_on),
    -- Each kind carries its own identity: a person a name and a document, a pet a name and a
    -- species, a vehicle a plate and a model.
    CHECK (CASE kind
        WHEN 'person' THEN name <> '' AND document IS NOT NULL
        WHEN 'pet' THEN name <> '' AND coalesce(species, '') <> ''
        ELSE coalesce(plate, '') <> '' AND coalesce(model, '') <> '' END)
);
-- Generation joins a batch's contracts to their subjects: an empty index range for most.
CREATE INDEX contract_subjects_contract ON contract_subjects (contract_id, started_on);
-- A vehicle is covered once per contract at a time.
CREATE UNIQUE INDEX contract_subjects_plate ON contract_subjects (contract_id, plate)
    WHERE kind = 'vehicle' AND ended_on IS NULL;

-- A subject's benefits are counted per subject: a balance and a use name the subject
-- (subject_id NULL: the contract's own plan, shared by the contract as before). The period
-- key of the contract's own balances stays unique as before; a subject's balances have a key
-- of their own.
ALTER TABLE benefit_balances ADD COLUMN subject_id bigint REFERENCES contract_subjects (id);
ALTER TABLE benefit_usages ADD COLUMN subject_id bigint REFERENCES contract_subjects (id);
DROP INDEX benefit_balances_period_key;
CREATE UNIQUE INDEX benefit_balances_period_key ON benefit_balances (contract_id, benefit_id, period_start)
    WHERE cycle IS NULL AND subject_id IS NULL;
CREATE UNIQUE INDEX benefit_balances_subject_period_key ON benefit_balances (subject_id, benefit_id, period_start)
    WHERE cycle IS NULL AND subject_id IS NOT NULL;
