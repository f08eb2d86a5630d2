-- E-mail delivery of the notices outbox: operator templates, what delivery records on each
-- notice, and the index that makes a day with no installment notice due an empty range.

-- email_templates are operator templates: the default of a kind, a plan's own or one
-- contract's own. Resolution: contract -> plan -> default -> the shipped default.
CREATE TABLE email_templates (
    id          bigserial PRIMARY KEY,
    kind        text        NOT NULL
                CHECK (kind IN ('welcome', 'coming_due', 'overdue', 'block_warning', 'blocked', 'unblocked', 'renewed')),
    scope       text        NOT NULL CHECK (scope IN ('default', 'plan', 'contract')),
    plan_id     bigint      REFERENCES plans (id),
    contract_id bigint      REFERENCES contracts (id),
    subject     text        NOT NULL CHECK (subject <> ''),
    html_body   text        NOT NULL CHECK (html_body <> ''),
    text_body   text        NOT NULL CHECK (text_body <> ''),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CHECK ((scope = 'plan') = (plan_id IS NOT NULL)),
    CHECK ((scope = 'contract') = (contract_id IS NOT NULL))
);
-- One template per kind and target: the default, a plan's, a contract's.
CREATE UNIQUE INDEX email_templates_target ON email_templates (kind, scope, coalesce(plan_id, 0), coalesce(contract_id, 0));

-- Delivery state of a notice. 'rendered': subject and bodies fixed, not sent (no SMTP
-- configured, or a temporary failure); 'sent': the SMTP server accepted it (never sent
-- again); 'failed': refused for good (recorded, not retried).
ALTER TABLE notices
    ADD COLUMN recipient   text,
    ADD COLUMN subject     text,
    ADD COLUMN html_body   text,
    ADD COLUMN text_body   text,
    -- template_id is the template chosen when the notice was created (welcome option);
    -- NULL: resolved at render time.
    ADD COLUMN template_id bigint REFERENCES email_templates (id),
    -- subject_override is a subject given when the notice was created (welcome option).
    ADD COLUMN subject_override text,
    ADD COLUMN message_id  text,
    ADD COLUMN attempts    integer NOT NULL DEFAULT 0,
    ADD COLUMN last_error  text,
    ADD COLUMN rendered_at timestamptz,
    ADD COLUMN sent_at     timestamptz,
    ADD COLUMN failed_at   timestamptz,
    ADD CONSTRAINT notices_sent_has_message_id CHECK (state <> 'sent' OR (message_id IS NOT NULL AND sent_at IS NOT NULL));
CREATE INDEX notices_undelivered ON notices (contract_id, id) WHERE state IN ('pending', 'rendered');
CREATE INDEX notices_kind_state ON notices (kind, state, id);

-- notice_stage says which installment notices send-notices already recorded: 0 none,
-- 1 coming_due, 2 overdue (last). The partial index holds only open installments with a
-- notice still to come, so a day with nothing due reads a few days of rows.
ALTER TABLE installments ADD COLUMN notice_stage smallint NOT NULL DEFAULT 0 CHECK (notice_stage BETWEEN 0 AND 2);
CREATE INDEX installments_notice_due ON installments (due_date, contract_id) WHERE state = 'open' AND notice_stage < 2;
