package records

import (
	"encoding/json"
	"time"
)

// Event kinds: the state changes other systems act on.
const (
	EventInstallmentIssued   = "installment.issued"
	EventInstallmentPaid     = "installment.paid"
	EventInstallmentReversed = "installment.reversed"
	EventContractActivated   = "contract.activated"
	// EventContractSuspended carries the level of service left in its payload: "partial"
	// (reduced service) or "total".
	EventContractSuspended  = "contract.suspended"
	EventContractRestored   = "contract.restored"
	EventContractTerminated = "contract.terminated"
	EventContractRenewed    = "contract.renewed"
)

// EventKinds are every event kind, in the order the documentation lists them.
var EventKinds = []string{EventInstallmentIssued, EventInstallmentPaid, EventInstallmentReversed,
	EventContractActivated, EventContractSuspended, EventContractRestored, EventContractTerminated, EventContractRenewed}

// Event is one state change of the outbox, as a receiver reads it.
type Event struct {
	// Seq is the event's place in the order receivers read (GET /v1/events?after=); zero
	// until the event is published.
	Seq int64 `json:"seq"`
	// EventID is unique per event: receivers de-duplicate by it.
	EventID    string          `json:"event_id"`
	Kind       string          `json:"kind"`
	ContractID int64           `json:"contract_id"`
	Subject    string          `json:"subject"`
	OccurredOn time.Time       `json:"-"`
	Payload    json.RawMessage `json:"payload"`
	CreatedAt  time.Time       `json:"created_at"`
}
