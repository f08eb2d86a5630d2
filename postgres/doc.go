// Package postgres is billingd's storage adapter: it keeps the billing domain's contracts,
// installments and calendars in PostgreSQL and implements the sweeps' set-based batches.
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
//     both on every combination of the columns they read and requires equal answers.
//
// Both are LANGUAGE sql IMMUTABLE functions of one expression, so the planner inlines them:
// a sweep's plan is the one of the expression written out and keeps its partial index
// (installments_open_due, installments_notice_due); TestRuleFunctionsInline EXPLAINs every
// statement of the sweeps that call them. A rule function must stay inlinable: not STRICT,
// no SET clause, no table access, one SELECT of one expression.
//
// In Go:
//   - billing (payment.go): what is due on a date (amount less discount, less the on-time
//     discount when paid by the effective due date), which installments can be paid, which
//     amounts and dates are accepted (above what is due only when the contract allows
//     credit); RecordPayment and the API call them.
//   - renewal: thresholds, Decide, Automatic, ManualRefusal; delinquency: blocking rules,
//     Decide, the inactivity discount and its cap; benefits: use refusals and periods;
//     billing: due dates and schedules. The batches read rows in bulk, decide in Go and
//     write the decisions back with one statement per kind of change.
//
// The partial indexes restate the open state (WHERE state = 'open'); that is a storage
// choice, not a rule, and the queries that use them keep state = 'open' beside the rule
// call where the index must match (send-notices).
package postgres
