-- Delinquency: blocking rules, block episodes with their blocked stretches, and the
-- inactivity discount lines (issue 5).

-- blocking_rules say when a contract with overdue installments is blocked and when it is
-- warned; exactly one is the default, applied to contracts that name none.
CREATE TABLE blocking_rules (
    id                       bigserial PRIMARY KEY,
    name                     text        NOT NULL CHECK (name <> ''),
    block_after_days         integer     NOT NULL CHECK (block_after_days BETWEEN 1 AND 365),
    min_overdue_installments integer     NOT NULL DEFAULT 1 CHECK (min_overdue_installments BETWEEN 1 AND 120),
    warning_days             integer     NOT NULL DEFAULT 0 CHECK (warning_days >= 0 AND warning_days < block_after_days),
    is_default               boolean     NOT NULL DEFAULT false,
    created_at               timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX blocking_rules_one_default ON blocking_rules (is_default) WHERE is_default;
INSERT INTO blocking_rules (name, block_after_days, min_overdue_installments, warning_days, is_default)
VALUES ('Default: blocked 10 days after the due date, warned 3 days before', 10, 1, 3, true);

ALTER TABLE contracts
    ADD COLUMN blocking_rule_id    bigint REFERENCES blocking_rules (id),
    ADD COLUMN inactivity_discount boolean NOT NULL DEFAULT false;

-- block_episodes: one per block of a contract, from the day it was blocked to the day it was
-- unblocked by payment. A trust unlock lifts the block inside the episode; a re-block after
-- it continues the same episode, so the per-episode trust-unlock limit holds.
CREATE TABLE block_episodes (
    id                 bigserial PRIMARY KEY,
    contract_id        bigint      NOT NULL REFERENCES contracts (id),
    installment_id     bigint      NOT NULL REFERENCES installments (id),
    started_on         date        NOT NULL,
    ended_on           date,
    reason             text        NOT NULL,
    end_reason         text        CHECK (end_reason IN ('payment', 'rule')),
    trust_unlock_until date,
    trust_unlocks      integer     NOT NULL DEFAULT 0 CHECK (trust_unlocks >= 0),
    reblocks           integer     NOT NULL DEFAULT 0 CHECK (reblocks >= 0),
    created_at         timestamptz NOT NULL DEFAULT now(),
    CHECK (ended_on IS NULL OR ended_on >= started_on),
    CHECK ((ended_on IS NULL) = (end_reason IS NULL))
);
CREATE UNIQUE INDEX block_episodes_one_open ON block_episodes (contract_id) WHERE ended_on IS NULL;
CREATE INDEX block_episodes_contract ON block_episodes (contract_id, id);

-- block_segments are the stretches of an episode the contract was really blocked: from
-- blocked_from (inclusive) to blocked_to (exclusive, the day the block was lifted).
CREATE TABLE block_segments (
    episode_id   bigint NOT NULL REFERENCES block_episodes (id),
    blocked_from date   NOT NULL,
    blocked_to   date,
    PRIMARY KEY (episode_id, blocked_from),
    CHECK (blocked_to IS NULL OR blocked_to >= blocked_from)
);
CREATE UNIQUE INDEX block_segments_one_open ON block_segments (episode_id) WHERE blocked_to IS NULL;

-- installment_discounts are discount lines added to an installment, with their reason: the
-- inactivity discount of one closed block episode. installment_id is NULL while the
-- contract has no open installment to carry it (the sweep attaches it to the next one).
CREATE TABLE installment_discounts (
    id             bigserial PRIMARY KEY,
    contract_id    bigint         NOT NULL REFERENCES contracts (id),
    installment_id bigint         REFERENCES installments (id),
    episode_id     bigint         NOT NULL UNIQUE REFERENCES block_episodes (id),
    kind           text           NOT NULL DEFAULT 'inactivity' CHECK (kind IN ('inactivity')),
    blocked_days   integer        NOT NULL CHECK (blocked_days >= 0),
    computed       numeric(14, 2) NOT NULL CHECK (computed >= 0),
    amount         numeric(14, 2) CHECK (amount >= 0),
    reason         text           NOT NULL,
    created_at     timestamptz    NOT NULL DEFAULT now(),
    CHECK ((installment_id IS NULL) = (amount IS NULL))
);
CREATE INDEX installment_discounts_installment ON installment_discounts (installment_id);
CREATE INDEX installment_discounts_pending ON installment_discounts (contract_id) WHERE installment_id IS NULL;
