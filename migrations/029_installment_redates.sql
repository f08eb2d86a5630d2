-- Issue 17 item 2: every re-dating of an installment is recorded, in the transaction that
-- re-dates it, so that a contract's timeline shows it: a holiday added or removed, a change
-- of the due-date rule, an operator's new due date for one installment (PATCH
-- /v1/installments/{id}), a pause, a resume, a plan change. The set-based re-datings (a
-- holiday moves the installments of many contracts in one statement) write their rows in
-- the same statement, from the UPDATE's RETURNING.
CREATE TABLE installment_redates (
    id                    bigserial   PRIMARY KEY,
    installment_id        bigint      NOT NULL REFERENCES installments (id),
    contract_id           bigint      NOT NULL REFERENCES contracts (id),
    cause                 text        NOT NULL CHECK (cause IN ('holiday_added', 'holiday_removed', 'due_day_change',
                                          'installment_patch', 'pause', 'resume', 'plan_change')),
    from_nominal          date        NOT NULL,
    to_nominal            date        NOT NULL,
    from_effective        date        NOT NULL,
    to_effective          date        NOT NULL,
    -- The contract's due-date rule that computed the new dates (its shift moves a nominal
    -- date off a non-business day).
    rule_kind             text        NOT NULL,
    rule_day              integer,
    rule_shift            text        NOT NULL,
    -- The holiday added or removed (holiday_* causes), with its name when added.
    holiday               date,
    holiday_name          text        NOT NULL DEFAULT '',
    -- The contract change (due_day_change, pause, resume, plan_change) or the operator's
    -- installment change (installment_patch) that re-dated it.
    change_id             bigint      REFERENCES contract_changes (id),
    installment_change_id bigint      REFERENCES installment_changes (id),
    actor                 text        NOT NULL DEFAULT '',
    reason                text        NOT NULL DEFAULT '',
    at                    timestamptz NOT NULL DEFAULT now(),
    CHECK (from_nominal <> to_nominal OR from_effective <> to_effective),
    CHECK ((cause IN ('holiday_added', 'holiday_removed')) = (holiday IS NOT NULL)),
    CHECK ((cause = 'installment_patch') = (installment_change_id IS NOT NULL))
);
CREATE INDEX installment_redates_contract ON installment_redates (contract_id, at, id);
CREATE INDEX installment_redates_installment ON installment_redates (installment_id);
