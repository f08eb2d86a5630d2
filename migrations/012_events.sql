-- events is the outbox of state changes other systems act on (the network equipment, an ERP):
-- an installment issued, paid or reversed; a contract activated, suspended (partially or
-- totally), restored, terminated or renewed. The transaction that makes the change writes its
-- event, keyed by (kind, subject_key), the business identity of the change, so a rerun or a
-- retry never records it twice.
--
-- Receivers read events in the order of seq, which is assigned when an event is published:
-- after every transaction that could still write an earlier id has ended (xid below the
-- snapshot's xmin), so a reader paging by seq never skips an event that commits late. id is
-- the order of writing and is not a cursor.
CREATE TABLE events (
    id          bigserial   PRIMARY KEY,
    -- event_id is what receivers de-duplicate by (at-least-once delivery).
    event_id    uuid        NOT NULL UNIQUE DEFAULT gen_random_uuid(),
    kind        text        NOT NULL CHECK (kind IN ('installment.issued', 'installment.paid', 'installment.reversed',
                    'contract.activated', 'contract.suspended', 'contract.restored', 'contract.terminated',
                    'contract.renewed')),
    contract_id bigint      NOT NULL REFERENCES contracts (id),
    -- subject_key names what changed: 'installment:<id>', 'payment:<id>', 'episode:<id>:<n>', 'term:<n>'.
    subject_key text        NOT NULL,
    -- occurred_on is the business date of the change (a payment's date, a block's day).
    occurred_on date        NOT NULL,
    payload     jsonb       NOT NULL DEFAULT '{}',
    xid         xid8        NOT NULL DEFAULT pg_current_xact_id(),
    seq         bigint      UNIQUE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (kind, subject_key)
);
CREATE INDEX events_unpublished ON events (id) WHERE seq IS NULL;
CREATE INDEX events_contract ON events (contract_id, id);
CREATE SEQUENCE events_seq;
