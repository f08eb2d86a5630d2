-- notices is the outbox of customer notices (welcome, coming due, overdue, block warning, blocked,
-- unblocked, renewed): the sweeps and API calls that cause a notice insert its row in their own
-- transaction, keyed by (contract, kind, reference) so that a rerun, a retry or a second replica
-- never records it twice; the e-mail sender renders and delivers each row once.
CREATE TABLE notices (
    id          bigserial PRIMARY KEY,
    contract_id bigint      NOT NULL REFERENCES contracts (id),
    kind        text        NOT NULL
                CHECK (kind IN ('welcome', 'coming_due', 'overdue', 'block_warning', 'blocked', 'unblocked', 'renewed')),
    -- reference names what the notice is about: an installment id, a block episode id, a term number.
    reference   text        NOT NULL,
    state       text        NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'rendered', 'sent', 'failed')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (contract_id, kind, reference)
);
CREATE INDEX notices_pending ON notices (id) WHERE state = 'pending';
