// Package postgres is billingd's storage adapter: it keeps the billing domain's contracts,
// installments and calendars in PostgreSQL and implements the sweeps' set-based batches.
//
// # Lock order
//
// Every transaction that writes takes its row locks in one order, so that two of them
// never wait for each other in a circle (a deadlock, which PostgreSQL breaks by aborting
// one of them):
//
//  1. a plan (UpdatePlan, SetPlanBenefit), before the contracts on it;
//  2. contracts, FOR NO KEY UPDATE, several of them in ascending id order (the sweeps'
//     batches, and lockContracts before a set-based UPDATE of contracts);
//  3. then the contract's own rows: installments (and their lines, installment_lines),
//     block episodes and segments, inactivity discounts, benefit balances and uses, notices;
//  4. last, the run's job_runs row and River's rows (a batch's progress and completion).
//
// A transaction that changes a contract's rows therefore locks the contract first, even
// when it reaches them by an installment (RecordPayments reads the installments'
// contracts, locks them in id order, then locks the installments in id order: marking a
// recurring installment paid also flags its contract for renewal, through the
// installments_renewal_check trigger, once per statement since migration 030, which locks
// the flagged contracts in id order) or by a use (ReverseUse). The write paths and where
// each takes its locks:
//
//   - payments (RecordPayments, every source: the API, a bank file, PIX): the batch's
//     contracts in id order, then its installments in id order (the trigger updates the
//     contracts it already holds), then the payments, the late lines, and the unblock jobs
//     in River; a reversal (ReversePayment): the payment's contract, its installment, the
//     payment, its lines; an import-payments batch (ImportPaymentsSweep) first locks its
//     payment file (payment_files, which nothing else locks), then records as above and
//     writes its payment_exceptions; a PIX webhook call records as above;
//   - payment instruments (makeInstruments): written after the installments they belong to,
//     in the transaction that created, re-dated or re-lined them, under its locks; a grouped
//     customer's charges (groupInstallments) after those installments, FOR UPDATE in id order,
//     then their instruments; a payment of a grouped charge takes the holidays lock (shared,
//     LoadCalendar: what each installment asks on the payment's date) before any row lock,
//     reads the charge's installments unlocked and records their payments as RecordPayments
//     does (contracts, then installments);
//   - cancel, activate, trust unlock, renewal settings (changeContract): contract, then its
//     installments, block episode and segments, notices; a payment that settles the first
//     installment of a contract waiting for it activates the contract it already holds
//     (activateOnFirstPayment);
//   - one installment's change or cancellation (ChangeInstallment, CancelInstallment): the
//     installment's contract, then (to re-date) the holidays lock, then the installment, its
//     lines and its installment_changes (and installment_redates) rows;
//   - a customer's change (UpdateCustomer): the customer, then, when its e-mail changes, its
//     contracts in id order, then their undelivered notices;
//   - manual renewal (RenewContract): contract (lockRenewalCandidates), then installments,
//     renewals, notices;
//   - benefit use (RecordUse, RecordSubjectUse), its reversal (ReverseUse), a contract's
//     override (SetContractBenefit): contract, then balances, uses, installments;
//   - a contract's subjects (AddSubject, EndSubject): the contract, then the subject's row,
//     then the contract's recurring installments (FOR UPDATE, in sequence order), their
//     lines through changeLines and their instruments;
//   - unblock job (UnblockAfterPayment) and block-delinquent batches (loadLadder):
//     contracts in ascending id order, including those whose inactivity discount is
//     attached, then episodes, segments, discount lines, installments (cancelled by a
//     termination), notices, events. A contract's debt notice is named by
//     contracts.ladder_notice_id without a foreign key, so that moving a contract never
//     waits for the notice's delivery, which holds the notice's row for the SMTP exchange;
//   - generate-installments and renew-contracts batches: contracts in ascending id order,
//     then installments, renewals, notices (generate-installments locks, in one statement, the
//     contracts with installments to make and those whose wait for a first payment expired); renew-contracts' plan locks, in ascending id
//     order, every contract it flags after a change of the global thresholds;
//   - send-notices and reset-benefit-quotas batches: lockContracts over the contracts with
//     an installment to announce or a balance to reset, then those rows;
//   - plan changes (UpdatePlan): the plan, then lockContracts over the contracts it flags.
//   - contract changes (ChangeDueDateRule, ChangePlan, PauseContract, ResumeContract,
//     CancelContractChange): the contract, then its installments (FOR UPDATE, in sequence
//     order), their lines, its contract_changes rows; a scheduled plan change is applied by
//     the generate-installments batch that already holds its contract (applyScheduledChanges).
//   - events are only inserted by the changes above (never updated by them); the publisher
//     (PublishEvents) holds an advisory lock, numbers committed events (no writer holds them)
//     and inserts deliveries before it moves its endpoints' fan-out cursor; every writer of
//     webhook deliveries (the delivery job's WebhookDelivered and WebhookFailed,
//     DeleteWebhookEndpoint) takes the deliveries' rows before the endpoint's. No
//     contract is locked by them, and no HTTP call is made inside a transaction.
//
// Contracts are locked FOR NO KEY UPDATE, never FOR UPDATE: no one changes a contract's id
// or deletes one, and FOR UPDATE would also conflict with the FOR KEY SHARE lock that
// inserting any row that references the contract takes. The one writer that locks a
// contract's row without its contract is a notice's delivery (LockNotice, FOR UPDATE SKIP
// LOCKED): it holds that one row and waits for no other lock, so it closes no circle.
//
// A transaction that loses a race anyway (a serialization failure, or a deadlock with a
// path outside this order) is run again by RetryTx a bounded number of times and then
// reported as billing.ErrConflict, which the API answers with 409.
//
// # Where the business rules live
//
// Each rule has one home. A rule lives in Go, in a domain package, when Go code decides with
// it on rows already read; it lives in SQL, as a function of migrations/010_rules.sql, when
// set-based statements select rows by it and no Go code decides with it. A rule both sides
// need has its home in Go and a SQL statement of it that a table test holds equal.
//
// In SQL (migrations/010_rules.sql):
//   - installment_overdue(state, due_date, as_of): an open installment whose effective due
//     date is before the as-of date is overdue. Every reader is a set-based query: the
//     block-delinquent plan and batch, the payment job's unblock check, send-notices (which
//     notice an installment gets), the invariants metrics and a benefit use's delinquency
//     check. Written as a Go function it would be copied back into each of them.
//   - contract_renews_automatically(…): the statement of renewal.Contract.Automatic that
//     flags every such contract when the global renewal thresholds change (one UPDATE over
//     the whole book). Its home is the Go rule; TestAutomaticRenewalRuleMatchesSQL evaluates
//     both on every combination of the columns they read and requires equal answers. The
//     Go rule also leaves out a package's contract (the plan's kind, not a contract column):
//     the SQL flags such a contract too, and the batch examines it and leaves it.
//
// Both are LANGUAGE sql IMMUTABLE functions of one expression, so the planner inlines them:
// a sweep's plan is the one of the expression written out and keeps its partial index
// (installments_open_due, installments_notice_due); TestRuleFunctionsInline EXPLAINs every
// statement of the sweeps that call them. A rule function must stay inlinable: not STRICT,
// no SET clause, no table access, one SELECT of one expression.
//
// In Go:
//   - billing (payment.go, latecharges.go): what is due on a date (AmountDueOn: amount
//     less discounts, the on-time discount through the grace day, the late fine and
//     interest after it, payments imputed fine and interest first), which payments are
//     accepted (Ledger.Apply: partial ones unless refused, above what is due only when the
//     contract allows credit, in date order), an installment's state after a reversal
//     (Ledger.Restate) and its late lines (LateLines); RecordPayments, ReversePayment and
//     InstallmentDue call them.
//   - billing (lines.go): the lines an installment is the sum of (ScheduledLines,
//     LineTotals); changeLines and installmentBatch write them with the totals.
//   - renewal: thresholds, Decide, Automatic, ManualRefusal; delinquency: blocking rules
//     and their collection ladder (DecideLadder, PositionAt, the health rule's gate), the
//     inactivity discount and its cap; benefits: use refusals and periods;
//     billing: due dates and schedules. The batches read rows in bulk, decide in Go and
//     write the decisions back with one statement per kind of change.
//
// Explain (explain.go) answers "why" with these same homes and no rule of its own: the
// ladder's position through loadLadder and PositionAt, contract_renews_automatically and
// renewal.Decide over the count renew-contracts makes, installment_overdue, settlement and
// healthGate with benefits.Check; package timeline only puts the answers into words.
//
// The partial indexes restate the open state (WHERE state = 'open'); that is a storage
// choice, not a rule, and the queries that use them keep state = 'open' beside the rule
// call where the index must match (send-notices).
package postgres
