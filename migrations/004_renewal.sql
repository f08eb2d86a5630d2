-- Renewal: per-plan thresholds, the renewal queue and ledger, and what the renew-contracts
-- sweep reads to find the contracts it must look at.

-- A plan may override both global thresholds (BILLINGD_RENEWAL_QUEUE_THRESHOLD and
-- BILLINGD_RENEWAL_THRESHOLD) at once; NULL means the global defaults.
ALTER TABLE plans
    ADD COLUMN renewal_queue_threshold integer CHECK (renewal_queue_threshold >= 0),
    ADD COLUMN renewal_threshold       integer CHECK (renewal_threshold >= 0),
    ADD CONSTRAINT plans_renewal_thresholds CHECK (
        (renewal_queue_threshold IS NULL) = (renewal_threshold IS NULL)
        AND renewal_threshold <= renewal_queue_threshold
        AND renewal_queue_threshold < installments_per_term);

-- renewal_check says that something that can change the count of a contract's open
-- installments happened since renew-contracts last looked at it (an installment was paid or
-- cancelled, its renewal settings or its plan's thresholds changed). The sweep plans over the
-- flagged contracts only, so a day on which nothing was paid is an empty index range.
ALTER TABLE contracts ADD COLUMN renewal_check boolean NOT NULL DEFAULT false;
CREATE INDEX contracts_renewal_check ON contracts (id) WHERE renewal_check;

CREATE FUNCTION installments_flag_renewal_check() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE contracts SET renewal_check = true WHERE id = NEW.contract_id AND NOT renewal_check;
    RETURN NULL;
END $$;
CREATE TRIGGER installments_renewal_check AFTER UPDATE OF state ON installments
    FOR EACH ROW WHEN (OLD.state = 'open' AND NEW.state <> 'open' AND NEW.kind = 'recurring')
    EXECUTE FUNCTION installments_flag_renewal_check();

-- Open recurring installments by contract and term: what the thresholds count.
CREATE INDEX installments_open_term ON installments (contract_id, term) WHERE state = 'open' AND kind = 'recurring';

-- renewals is the renewal queue and the renewal ledger: one row per (contract, term renewed).
-- A row enters the queue when the term's open installments fall to the queue threshold and is
-- renewed when the next term is created; the unique key makes a rerun, a retry or a second
-- replica a no-op.
CREATE TABLE renewals (
    id                bigserial PRIMARY KEY,
    contract_id       bigint         NOT NULL REFERENCES contracts (id),
    term              integer        NOT NULL CHECK (term >= 1),
    queued_on         date           NOT NULL,
    -- open recurring installments of the term when it entered the queue.
    open_installments integer        NOT NULL CHECK (open_installments >= 0),
    renewed_on        date,
    new_term          integer,
    price_mode        text           CHECK (price_mode IN ('plan_price', 'suggested')),
    price             numeric(14, 2) CHECK (price >= 0),
    trigger           text           CHECK (trigger IN ('sweep', 'manual')),
    created_at        timestamptz    NOT NULL DEFAULT now(),
    updated_at        timestamptz    NOT NULL DEFAULT now(),
    UNIQUE (contract_id, term),
    CHECK ((renewed_on IS NULL) = (price IS NULL)),
    CHECK ((renewed_on IS NULL) = (new_term IS NULL)),
    CHECK ((renewed_on IS NULL) = (price_mode IS NULL)),
    CHECK ((renewed_on IS NULL) = (trigger IS NULL)),
    CHECK (new_term = term + 1)
);
CREATE INDEX renewals_queued ON renewals (queued_on, id) WHERE renewed_on IS NULL;
CREATE INDEX renewals_renewed ON renewals (renewed_on, id) WHERE renewed_on IS NOT NULL;

-- The global thresholds the sweep last applied: when the settings change, the sweep flags
-- every contract it renews automatically once, so none is missed.
CREATE TABLE renewal_settings (
    id              boolean PRIMARY KEY DEFAULT true CHECK (id),
    queue_threshold integer NOT NULL,
    renew_threshold integer NOT NULL
);
