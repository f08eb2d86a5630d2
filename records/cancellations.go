package records

import "time"

// CancellationReason is one reason of the catalogue of why contracts are cancelled
// (/v1/cancellation-reasons). A disabled reason stays on the contracts cancelled for it and
// is taken by no new cancellation.
type CancellationReason struct {
	ID         int64
	Code       string
	Name       string
	Active     bool
	CreatedAt  time.Time
	DisabledAt time.Time
}

// ReasonNotPaid is the code of the seeded reason "not paid", which the cancellation of a
// contract whose first payment never came records.
const ReasonNotPaid = "not_paid"

// CancellationReasonRef names a reason of the catalogue on a contract's cancellation: by id
// or by code (one of them), or neither when the reason is optional and not given.
type CancellationReasonRef struct {
	ID   int64
	Code string
}

// Given reports whether the reference names a reason.
func (r CancellationReasonRef) Given() bool { return r.ID != 0 || r.Code != "" }

// CancellationReportLine counts the contracts cancelled in one month for one reason
// (GET /v1/reports/cancellations); Code is "" for those cancelled without a reason.
type CancellationReportLine struct {
	// Month is the first day of the month the contracts were cancelled in (cancelled_on).
	Month     time.Time
	ReasonID  *int64
	Code      string
	Name      string
	Contracts int64
}
