-- api_tokens are the operators' named API tokens (BILLINGD_API_TOKEN stays the bootstrap one).
-- Only the SHA-256 of a token is kept: a token is 32 random bytes, so its hash cannot be
-- reversed or guessed, and a request's token is found by the hash of what it sends. A revoked
-- token keeps its row (the audit log names it); a name is unique among the live tokens.
CREATE TABLE api_tokens (
    id           bigserial   PRIMARY KEY,
    name         text        NOT NULL CHECK (name ~ '^[a-z0-9][a-z0-9._-]{0,62}$' AND name <> 'bootstrap'),
    token_hash   bytea       NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    created_by   text        NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    -- last_used_at is written at most once a minute per token (not on every request).
    last_used_at timestamptz,
    revoked_at   timestamptz,
    revoked_by   text,
    CHECK ((revoked_at IS NULL) = (revoked_by IS NULL))
);
CREATE UNIQUE INDEX api_tokens_live_name ON api_tokens (name) WHERE revoked_at IS NULL;

-- audit_log records who did what: every request to a write route of the API (refused ones
-- included, with their status), every change through the River UI and every run the CLI
-- enqueues. A request's row is written in the transaction of its change where the store makes
-- the change in one (postgres.RetryTx), and its status right after the answer; otherwise the
-- whole row is written right after the answer.
CREATE TABLE audit_log (
    id         bigserial   PRIMARY KEY,
    at         timestamptz NOT NULL DEFAULT now(),
    -- actor is "bootstrap" (BILLINGD_API_TOKEN), a named token's name, or "cli:<user>".
    actor      text        NOT NULL CHECK (actor <> ''),
    token_id   bigint      REFERENCES api_tokens (id),
    source     text        NOT NULL CHECK (source IN ('api', 'riverui', 'cli')),
    method     text        NOT NULL,
    -- route is the route pattern ("POST /v1/contracts/{id}/cancel"), the River UI's path, or
    -- the CLI command ("billingd run").
    route      text        NOT NULL,
    path_ids   jsonb       NOT NULL DEFAULT '{}',
    -- status is the HTTP status answered; NULL for the CLI, or while the answer is not written.
    status     integer,
    reason     text,
    request_id text,
    detail     jsonb       NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_actor ON audit_log (actor, id);
