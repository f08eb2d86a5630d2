-- webhook_endpoints are the receivers events are delivered to (POST /v1/webhooks): a URL, the
-- secret the deliveries are signed with (HMAC-SHA256; kept as given, since signing needs it,
-- and never answered or logged) and the event kinds it takes. An endpoint receives the events
-- published after it was created: fanned_seq is the last seq copied into its deliveries, and
-- starts at the last seq published when it is created. A deleted endpoint keeps its row
-- (deleted_at) and gets nothing more.
CREATE TABLE webhook_endpoints (
    id          bigserial   PRIMARY KEY,
    url         text        NOT NULL CHECK (url ~ '^https?://'),
    secret      text        NOT NULL CHECK (length(secret) >= 16),
    kinds       text[]      NOT NULL CHECK (cardinality(kinds) > 0),
    fanned_seq  bigint      NOT NULL DEFAULT 0,
    -- failures counts the endpoint's failed attempts in a row; after a few the endpoint rests
    -- until retry_at, so a receiver that is down is not asked for every contract's event.
    failures    int         NOT NULL DEFAULT 0,
    retry_at    timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now(),
    deleted_at  timestamptz
);

-- webhook_deliveries is one event to deliver to one endpoint, keyed by (endpoint, event): the
-- publisher's fan-out writes it once however often it runs. Deliveries of one contract go out
-- in seq order: a pending delivery is sent only when no earlier pending one of its contract
-- (for the same endpoint) remains, so a failing event holds back that contract's later events
-- and no other contract's.
CREATE TABLE webhook_deliveries (
    endpoint_id     bigint      NOT NULL REFERENCES webhook_endpoints (id),
    event_id        bigint      NOT NULL REFERENCES events (id),
    contract_id     bigint      NOT NULL,
    seq             bigint      NOT NULL,
    state           text        NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'dropped')),
    attempts        int         NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_status     int,
    last_error      text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    delivered_at    timestamptz,
    PRIMARY KEY (endpoint_id, event_id)
);
-- The pending deliveries of an endpoint in seq order (what goes out next), and by contract (is
-- an earlier one of the same contract still pending?).
CREATE INDEX webhook_deliveries_pending ON webhook_deliveries (endpoint_id, seq) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_pending_contract ON webhook_deliveries (endpoint_id, contract_id, seq) WHERE state = 'pending';
CREATE UNIQUE INDEX webhook_deliveries_seq ON webhook_deliveries (endpoint_id, seq);
