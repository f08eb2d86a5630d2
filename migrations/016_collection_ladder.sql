-- The collection ladder (issue 15): a blocking rule's ladder of steps, the contract's
-- position on it, partial suspension and termination, and the ladder's notice kinds.
-- docs/collections.md describes the ladder; delinquency.Ladder is its Go form.

-- A blocking rule carries its ladder: the compliance profile and a few numbers (0: the step
-- is off). block_after_days and warning_days stay as the ladder's generic reading (notice +
-- suspension; the suspension's days when there is a notice), written with it, so that the
-- readers of before the ladder keep reading the same dates for a generic rule.
ALTER TABLE blocking_rules
    ADD COLUMN profile                       text      NOT NULL DEFAULT 'generic'
               CHECK (profile IN ('generic', 'telecom_rgc765', 'health_9656')),
    ADD COLUMN reminder_days                 integer[] NOT NULL DEFAULT '{}'
               CHECK (cardinality(reminder_days) <= 5 AND array_position(reminder_days, NULL) IS NULL),
    ADD COLUMN notice_after_days             integer   NOT NULL DEFAULT 0 CHECK (notice_after_days BETWEEN 0 AND 365),
    ADD COLUMN partial_suspension_after_days integer   NOT NULL DEFAULT 0 CHECK (partial_suspension_after_days >= 0),
    ADD COLUMN suspension_after_days         integer   NOT NULL DEFAULT 1 CHECK (suspension_after_days >= 1),
    ADD COLUMN termination_after_days        integer   NOT NULL DEFAULT 0 CHECK (termination_after_days >= 0);

-- Existing rules become their equivalent generic ladder (delinquency.LadderFromRule): the
-- warning is the debt notice, block_after_days - warning_days after the due date, and the
-- suspension comes warning_days after it, on block_after_days; a rule without a warning
-- suspends block_after_days after the due date. Their dates do not move
-- (postgres.TestMigrationKeepsTheDates runs the sweep of before and the ladder's on the same
-- data).
UPDATE blocking_rules SET
    notice_after_days     = CASE WHEN warning_days > 0 THEN block_after_days - warning_days ELSE 0 END,
    suspension_after_days = CASE WHEN warning_days > 0 THEN warning_days ELSE block_after_days END;
ALTER TABLE blocking_rules ADD CONSTRAINT blocking_rules_generic_reading CHECK (
    block_after_days = notice_after_days + suspension_after_days
    AND warning_days = CASE WHEN notice_after_days > 0 THEN suspension_after_days ELSE 0 END);

-- A partial suspension (reduced service, which the network reads from the status) puts the
-- contract in suspended_partial; blocked keeps its meaning (no service, benefits refused as
-- contract_blocked, billingd_contracts{status="blocked"}).
ALTER TABLE contracts DROP CONSTRAINT contracts_status_check;
ALTER TABLE contracts ADD CONSTRAINT contracts_status_check
    CHECK (status IN ('pending_activation', 'active', 'suspended_partial', 'blocked', 'cancelled', 'finished'));

-- The contract's stored position on the ladder: the step the sweep last moved it to and the
-- date of that move (overdue, the position before the debt notice, needs no move and is not
-- stored: those contracts are the ones with an installment overdue), and the debt notice of the current delinquency (whose sent_at the steps
-- after it count from under the profiles that require a sent notice). ladder_notice_id is
-- not a foreign key: the notice's delivery locks its row for the SMTP exchange, and the
-- sweep must not wait for it. The partial index holds the contracts on the ladder only, so
-- the per-step metrics and GET /v1/collections read it, and the sweep plans over it.
ALTER TABLE contracts
    ADD COLUMN ladder_step       text   NOT NULL DEFAULT 'none'
               CHECK (ladder_step IN ('none', 'debt_notice', 'partial_suspension', 'suspension', 'termination')),
    ADD COLUMN ladder_step_since date,
    ADD COLUMN ladder_notice_id  bigint,
    -- end_reason says why a contract ended: cancelled by the operator, or terminated by the
    -- ladder (what it owes stays owed); ended_on is the day it ended.
    ADD COLUMN end_reason        text   CHECK (end_reason IN ('cancelled', 'terminated')),
    ADD COLUMN ended_on          date,
    ADD CONSTRAINT contracts_ladder_step_since CHECK ((ladder_step = 'none') = (ladder_step_since IS NULL)),
    ADD CONSTRAINT contracts_end_reason CHECK ((end_reason IS NULL) = (ended_on IS NULL));
CREATE INDEX contracts_ladder_step ON contracts (ladder_step, id) WHERE ladder_step <> 'none';

UPDATE contracts SET end_reason = 'cancelled', ended_on = coalesce(cancelled_on, updated_at::date) WHERE status = 'cancelled';
-- Contracts in a block episode (blocked, or trust-unlocked) are at the suspension step since
-- the episode began; the others find their step at the next block-delinquent run.
UPDATE contracts c SET ladder_step = 'suspension', ladder_step_since = e.started_on
FROM block_episodes e WHERE e.contract_id = c.id AND e.ended_on IS NULL;

-- A block segment is a stretch of partial (reduced service) or total suspension; only total
-- days earn the inactivity discount. A termination ends the open episode.
ALTER TABLE block_segments ADD COLUMN level text NOT NULL DEFAULT 'total' CHECK (level IN ('partial', 'total'));
ALTER TABLE block_episodes DROP CONSTRAINT block_episodes_end_reason_check;
ALTER TABLE block_episodes ADD CONSTRAINT block_episodes_end_reason_check
    CHECK (end_reason IN ('payment', 'rule', 'cancelled', 'terminated'));

-- The ladder's notice kinds beside those of before: the debt notice keeps the kind
-- block_warning and the (total) suspension the kind blocked, so operators' templates of
-- those kinds stay in use; reminder (D-n before a due date), partial_suspension and
-- termination are new.
ALTER TABLE notices DROP CONSTRAINT notices_kind_check;
ALTER TABLE notices ADD CONSTRAINT notices_kind_check CHECK (kind IN ('welcome', 'coming_due', 'overdue', 'reminder',
    'block_warning', 'partial_suspension', 'blocked', 'termination', 'unblocked', 'renewed'));
ALTER TABLE email_templates DROP CONSTRAINT email_templates_kind_check;
ALTER TABLE email_templates ADD CONSTRAINT email_templates_kind_check CHECK (kind IN ('welcome', 'coming_due', 'overdue',
    'reminder', 'block_warning', 'partial_suspension', 'blocked', 'termination', 'unblocked', 'renewed'));

-- A partially suspended contract renews like a blocked one (renewal.Contract.Automatic).
CREATE OR REPLACE FUNCTION contract_renews_automatically(status text, billing_method text, auto_renew boolean,
        ignore_auto_renewal boolean, term_number integer, generated_term integer) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT status IN ('active', 'suspended_partial', 'blocked') AND billing_method <> 'no_billing' AND auto_renew
        AND NOT ignore_auto_renewal AND generated_term >= term_number $$;
