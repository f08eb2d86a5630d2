package records

import (
	"time"

	"github.com/shopspring/decimal"
)

// Renewal states of a contract and of a renewals row.
const (
	RenewalNone    = "none"
	RenewalQueued  = "queued"
	RenewalRenewed = "renewed"
)

// What renewed a term: the renew-contracts sweep or an operator (POST
// /v1/contracts/{id}/renew).
const (
	RenewedBySweep = "sweep"
	RenewedByHand  = "manual"
)

var (
	// RenewalStates are the states of a renewals row.
	RenewalStates = []string{RenewalQueued, RenewalRenewed}
	// ContractRenewalStates are the renewal states of a contract's current term.
	ContractRenewalStates = []string{RenewalNone, RenewalQueued, RenewalRenewed}
	// RenewalTriggers are what can renew a term.
	RenewalTriggers = []string{RenewedBySweep, RenewedByHand}
)

// Renewal is one row of the renewal queue and ledger: a contract's term that entered the
// queue and, once renewed, the term it was renewed into and the price used.
type Renewal struct {
	ID               int64
	ContractID       int64
	Term             int
	State            string
	QueuedOn         time.Time
	OpenInstallments int
	RenewedOn        time.Time
	NewTerm          int
	PriceMode        string
	Price            *decimal.Decimal
	Trigger          string
}

// RenewalFilter selects renewals; zero fields do not filter. From and To bound the date the
// row entered its state: queued_on for queued rows, renewed_on for renewed ones, and
// queued_on when State is empty.
type RenewalFilter struct {
	State      string
	ContractID int64
	From, To   time.Time
}
