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
	// EventSubjectAdded and EventSubjectEnded say that a contract covers a subject (a
	// person, a pet, a vehicle) from a day, or no longer does: what an assistance network
	// checks before it serves a beneficiary or a plate.
	EventSubjectAdded = "subject.added"
	EventSubjectEnded = "subject.ended"
)

// EventKinds are every event kind, in the order the documentation lists them.
var EventKinds = []string{EventInstallmentIssued, EventInstallmentPaid, EventInstallmentReversed,
	EventContractActivated, EventContractSuspended, EventContractRestored, EventContractTerminated, EventContractRenewed,
	EventSubjectAdded, EventSubjectEnded}

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

// EventFilter selects published events for GET /v1/events: after a seq, of one kind, of
// one contract (zero values select all).
type EventFilter struct {
	Kind       string
	ContractID int64
}

// WebhookEndpoint is a receiver of events (POST /v1/webhooks). Secret signs its deliveries
// (HMAC-SHA256); the API never answers it and no log shows it.
type WebhookEndpoint struct {
	ID        int64
	URL       string
	Secret    string
	Kinds     []string
	CreatedAt time.Time
	DeletedAt *time.Time
	// Pending is how many of its deliveries are not delivered yet; OldestPending is when
	// the oldest of their events was written (nil when none).
	Pending       int64
	OldestPending *time.Time
}

// Webhook delivery states: pending until the endpoint acknowledges it (delivered) or the
// endpoint is deleted (dropped).
const (
	DeliveryPending   = "pending"
	DeliveryDelivered = "delivered"
	DeliveryDropped   = "dropped"
)

// WebhookDeliveryStates are the delivery states, as webhook_deliveries' CHECK lists them.
var WebhookDeliveryStates = []string{DeliveryPending, DeliveryDelivered, DeliveryDropped}

// WebhookDelivery is one event to deliver to one endpoint, with its attempts so far.
type WebhookDelivery struct {
	EndpointID int64
	Event      Event
	Attempts   int
}
