package records

import "time"

// Causes of an installment's re-dating (installment_redates.cause).
const (
	// RedateHolidayAdded: a day became an operator's holiday (POST /v1/holidays).
	RedateHolidayAdded = "holiday_added"
	// RedateHolidayRemoved: a day stopped being an operator's holiday (DELETE /v1/holidays/{day}).
	RedateHolidayRemoved = "holiday_removed"
	// RedateDueDayChange: the contract's due-date rule changed (a due_day contract change).
	RedateDueDayChange = "due_day_change"
	// RedateInstallmentPatch: an operator gave the installment a new due date (PATCH /v1/installments/{id}).
	RedateInstallmentPatch = "installment_patch"
	// RedatePause: the contract was paused and its later periods moved after the pause.
	RedatePause = "pause"
	// RedateResume: the contract was resumed and its periods moved back.
	RedateResume = "resume"
	// RedatePlanChange: a plan change re-computed the installment's period.
	RedatePlanChange = "plan_change"
)

// RedateCauses are the causes of an installment's re-dating, as stored.
var RedateCauses = []string{RedateHolidayAdded, RedateHolidayRemoved, RedateDueDayChange, RedateInstallmentPatch,
	RedatePause, RedateResume, RedatePlanChange}

// InstallmentRedate is one recorded re-dating of an installment: its nominal and effective
// due dates before and after, what caused it, and the due-date rule that computed the new dates.
type InstallmentRedate struct {
	ID            int64
	InstallmentID int64
	ContractID    int64
	// Cause is one of the Redate* causes.
	Cause                      string
	FromNominal, ToNominal     time.Time
	FromEffective, ToEffective time.Time
	// RuleKind, RuleDay and RuleShift are the contract's due-date rule that computed the new dates.
	RuleKind  string
	RuleDay   int
	RuleShift string
	// Holiday is the day added or removed as a holiday (holiday causes), HolidayName its name.
	Holiday     time.Time
	HolidayName string
	// ChangeID is the contract change that re-dated it.
	ChangeID int64
	// InstallmentChangeID is the operator's change of the installment (installment_patch).
	InstallmentChangeID int64
	Actor               string
	Reason              string
	At                  time.Time
}
