package records_test

import (
	"slices"
	"testing"

	"github.com/billingd/billingd/records"
)

// TestTimelineKinds: a timeline's kinds are its own, then the outbox's event kinds no other
// entry records — not installment.issued/paid/reversed, contract.activated or contract.renewed.
func TestTimelineKinds(t *testing.T) {
	t.Parallel()
	want := []string{"installment.issued", "installment.line_added", "installment.redated", "payment.recorded", "payment.reversed",
		"notice.written", "notice.sent", "notice.failed", "block.started", "block.ended", "renewal.queued", "renewal.renewed",
		"benefit.used", "benefit.use_reversed", "change.requested", "change.applied", "change.cancelled", "run", "operator",
		"contract.suspended", "contract.restored", "contract.terminated", "subject.added", "subject.ended"}
	if got := records.TimelineKinds(); !slices.Equal(got, want) {
		t.Errorf("TimelineKinds() = %q, want %q", got, want)
	}
}
