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
//  3. then the contract's own rows: installments, block episodes and segments, inactivity
//     discount lines, benefit balances and uses, notices;
//  4. last, the run's job_runs row and River's rows (a batch's progress and completion).
//
// A transaction that changes a contract's rows therefore locks the contract first, even
// when it reaches them by an installment (RecordPayment reads the installment's contract,
// locks it, then locks the installment: marking a recurring installment paid also flags
// its contract for renewal, through the installments_renewal_check trigger) or by a use
// (ReverseUse). The write paths and where each takes its locks:
//
//   - payment (RecordPayment): contract, installment (the trigger updates the contract it
//     already holds), then the unblock job in River;
//   - cancel, activate, trust unlock, renewal settings (changeContract): contract, then its
//     installments, block episode and segments, notices;
//   - manual renewal (RenewContract): contract (lockRenewalCandidates), then installments,
//     renewals, notices;
//   - benefit use (RecordUse), its reversal (ReverseUse), a contract's override
//     (SetContractBenefit): contract, then balances, uses, installments;
//   - unblock job (UnblockAfterPayment) and block-delinquent batches (loadStates):
//     contracts in ascending id order, including those whose inactivity discount is
//     attached, then episodes, segments, discount lines, installments, notices;
//   - generate-installments and renew-contracts batches: contracts in ascending id order,
//     then installments, renewals, notices; renew-contracts' plan locks, in ascending id
//     order, every contract it flags after a change of the global thresholds;
//   - send-notices and reset-benefit-quotas batches: lockContracts over the contracts with
//     an installment to announce or a balance to reset, then those rows;
//   - plan changes (UpdatePlan): the plan, then lockContracts over the contracts it flags.
//
// Contracts are locked FOR NO KEY UPDATE, never FOR UPDATE: no one changes a contract's id
// or deletes one, and FOR UPDATE would also conflict with the FOR KEY SHARE lock that
// inserting any row that references the contract takes. The one writer that locks a
// contract's row without its contract is a notice's delivery (LockNotice, FOR UPDATE SKIP
// LOCKED): it holds that one row and waits for no other lock, so it closes no circle.
//
// A transaction that loses a race anyway (a serialization failure, or a deadlock with a
// path outside this order) is run again by RetryTx a bounded number of times and then
// reported as ErrConflict, which the API answers with 409.
package postgres
