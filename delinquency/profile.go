package delinquency

import (
	"fmt"

	"github.com/shopspring/decimal"

	"github.com/billingd/billingd/billing"
)

// The JSON names of a ladder's settings, as errors name them.
const (
	FieldProfile         = "profile"
	FieldMinOverdue      = "min_overdue_installments"
	FieldReminderDays    = "reminder_days"
	FieldNoticeDays      = "notice_after_days"
	FieldPartialDays     = "partial_suspension_after_days"
	FieldSuspensionDays  = "suspension_after_days"
	FieldTerminationDays = "termination_after_days"
)

// fieldf returns a billing.FieldError, which the API answers with a 422 naming the field.
func fieldf(field, format string, args ...any) error {
	return billing.Fieldf(field, format, args...)
}

// ProfileName names a compliance profile.
type ProfileName string

// The compliance profiles.
const (
	// Generic is today's behaviour, every number a setting.
	Generic ProfileName = "generic"
	// TelecomRGC765 follows Anatel's RGC, Resolução 765/2023 (ISPs, telephony, pay TV).
	TelecomRGC765 ProfileName = "telecom_rgc765"
	// Health9656 follows Lei 9.656/98 art. 13 par. único II (individual health and
	// assistance plans).
	Health9656 ProfileName = "health_9656"
)

// Anatel RGC, Resolução 765/2023 (in force since 2025-09-01; it revoked Resolução
// 632/2014), as Anatel's consumer pages summarise it.
const (
	// RGCSuspensionAfterNoticeDays: the service may be suspended only after 15 days from
	// the day the consumer was notified of the debt (art. 70). billingd counts them from
	// the day the notice was sent (delivered to the SMTP server): sent on the 1st, the
	// suspension may come on the 16th. Operators who read "after 15 days have run" as a
	// day more set 16.
	RGCSuspensionAfterNoticeDays = 15
	// RGCTerminationAfterSuspensionDays: after 60 days suspended the contract may be
	// terminated (arts. 73, 75 and 77), so 75 days after the notice at the earliest.
	RGCTerminationAfterSuspensionDays = 60
	// RGCRestoreWithinDays: service is restored within 1 day of the provider learning of
	// the payment (art. 78); billingd restores it at once.
	RGCRestoreWithinDays = 1
	// RGCMaxMonthlyInterestPercent: interest on arrears of at most 1% a month, beside a
	// fine of at most 2% (art. 78 §§1–3).
	RGCMaxMonthlyInterestPercent = "1.00"
)

var rgcMaxInterest = decimal.RequireFromString(RGCMaxMonthlyInterestPercent)

// Lei 9.656/98 (plans of private health and assistance), art. 13, parágrafo único, II.
const (
	// HealthMaxOverdueDays: an individual plan may be suspended or terminated for
	// non-payment only when it exceeds 60 days, consecutive or not, in the last 12 months:
	// on the 61st day of default.
	HealthMaxOverdueDays = 60
	// HealthWindowMonths is the window in which the days of default add up.
	HealthWindowMonths = 12
	// HealthNoticeByDay: and only if the consumer was notified by the 50th day of default.
	HealthNoticeByDay = 50
	// HealthDaysAfterLateNotice is billingd's reading for a notice sent after the 50th
	// day: the suspension waits as many days after it as a notice on the 50th day gets
	// before the 61st (11), so a late notice moves the dates rather than barring them.
	HealthDaysAfterLateNotice = HealthMaxOverdueDays + 1 - HealthNoticeByDay
)

// Profile is a compliance profile: the ladder defaults it fills and the settings it
// refuses.
type Profile struct {
	Name ProfileName
	// Source is the rule the profile follows, quoted in its errors.
	Source string
	// RequiresSentNotice: no suspension (partial or total) without a debt notice sent at
	// least the ladder's days earlier; the steps after the notice count from the day it
	// was sent. False only for generic, whose dates never move.
	RequiresSentNotice bool
	// RequiresInactivityDiscount: the suspended days are not charged, so a contract of
	// the profile must have the inactivity discount.
	RequiresInactivityDiscount bool
	// CountsDefaultDays: suspension and termination also wait for more than 60 days of
	// default in the last 12 months (health), and benefit uses are refused as delinquent
	// only from then on.
	CountsDefaultDays bool
	// RestoreWithinDays is the longest the service may stay suspended after the payment
	// is known (billingd restores at once); the notices state it.
	RestoreWithinDays int
	// Defaults is the ladder the profile fills settings left out from.
	Defaults Ladder
	check    func(Ladder) error
}

// profiles are the compliance profiles by name.
var profiles = map[ProfileName]Profile{
	Generic: {
		Name: Generic, Source: "billingd's generic ladder (the blocking rules of before the ladder)",
		RestoreWithinDays: 1,
		// The default blocking rule of migration 005: blocked 10 days after the due date,
		// warned 3 days before.
		Defaults: Ladder{Profile: Generic, MinOverdue: 1, NoticeDays: 7, SuspensionDays: 3},
		check:    func(Ladder) error { return nil },
	},
	TelecomRGC765: {
		Name: TelecomRGC765, Source: "Anatel RGC, Resolução 765/2023",
		RequiresSentNotice: true, RequiresInactivityDiscount: true, RestoreWithinDays: RGCRestoreWithinDays,
		Defaults: Ladder{Profile: TelecomRGC765, MinOverdue: 1, NoticeDays: 5,
			SuspensionDays: RGCSuspensionAfterNoticeDays, TerminationDays: RGCSuspensionAfterNoticeDays + RGCTerminationAfterSuspensionDays},
		check: checkTelecom,
	},
	Health9656: {
		Name: Health9656, Source: "Lei 9.656/98, art. 13, parágrafo único, II",
		RequiresSentNotice: true, CountsDefaultDays: true, RestoreWithinDays: 1,
		Defaults: Ladder{Profile: Health9656, MinOverdue: 1, NoticeDays: 10, SuspensionDays: 10},
		check:    checkHealth,
	},
}

// ProfileNames lists the profiles, generic first.
var ProfileNames = []ProfileName{Generic, TelecomRGC765, Health9656}

// Profiles are the profiles' names as strings, generic first (the values the API and the
// store take).
var Profiles = []string{string(Generic), string(TelecomRGC765), string(Health9656)}

// RequiresSentNotice reports whether the named profile counts the steps after the debt
// notice from the day it was sent (false for generic, and for an unknown name).
func RequiresSentNotice(name ProfileName) bool { return profileOf(name).RequiresSentNotice }

// ProfileOf returns the named profile; the empty name is generic. An unknown name is a
// field error on profile.
func ProfileOf(name string) (Profile, error) {
	if name == "" {
		return profiles[Generic], nil
	}
	p, ok := profiles[ProfileName(name)]
	if !ok {
		return Profile{}, fieldf(FieldProfile, "unknown profile %q (want generic, telecom_rgc765 or health_9656)", clip(name))
	}
	return p, nil
}

// profileOf returns the named profile, generic for an unknown one (a stored ladder was
// validated when written).
func profileOf(name ProfileName) Profile {
	if p, ok := profiles[name]; ok {
		return p
	}
	return profiles[Generic]
}

// Check returns the first setting of l the profile forbids, naming the field, the rule
// and its source.
func (p Profile) Check(l Ladder) error {
	if p.check == nil {
		return nil
	}
	return p.check(l)
}

// checkTelecom refuses what RGC 765/2023 forbids: a suspension without a debt notice, or
// less than 15 days after it; a termination less than 60 days after the first suspension.
func checkTelecom(l Ladder) error {
	const src = "telecom_rgc765 (Anatel RGC, Resolução 765/2023"
	first := l.firstSuspensionDays()
	if l.NoticeDays < 1 {
		return fieldf(FieldNoticeDays, "%s art. 70): a debt notice must precede any suspension; want 1 or more days after the due date, got %d", src, l.NoticeDays)
	}
	if l.PartialSuspensionDays > 0 && l.PartialSuspensionDays < RGCSuspensionAfterNoticeDays {
		return fieldf(FieldPartialDays, "%s art. 70): a partial suspension is a suspension, at least %d days after the debt notice; got %d",
			src, RGCSuspensionAfterNoticeDays, l.PartialSuspensionDays)
	}
	if l.SuspensionDays < RGCSuspensionAfterNoticeDays {
		return fieldf(FieldSuspensionDays, "%s art. 70): suspension at least %d days after the debt notice is sent; got %d",
			src, RGCSuspensionAfterNoticeDays, l.SuspensionDays)
	}
	if l.TerminationDays > 0 && l.TerminationDays < first+RGCTerminationAfterSuspensionDays {
		return fieldf(FieldTerminationDays, "%s arts. 73 and 75): termination only after %d days suspended, so at least %d days after the debt notice (the first suspension on day %d); got %d",
			src, RGCTerminationAfterSuspensionDays, first+RGCTerminationAfterSuspensionDays, first, l.TerminationDays)
	}
	return nil
}

// checkHealth refuses what Lei 9.656/98 art. 13 par. único II forbids: no notice, a notice
// due after the 50th day of default, a partial suspension (the law knows suspension and
// termination only).
func checkHealth(l Ladder) error {
	const src = "health_9656 (Lei 9.656/98, art. 13, parágrafo único, II"
	if l.NoticeDays < 1 || l.NoticeDays > HealthNoticeByDay {
		return fieldf(FieldNoticeDays, "%s): the consumer must be notified by the %dth day of default; want 1 to %d days after the due date, got %d",
			src, HealthNoticeByDay, HealthNoticeByDay, l.NoticeDays)
	}
	if l.PartialSuspensionDays != 0 {
		return fieldf(FieldPartialDays, "%s): a plan is suspended or terminated, never partially; want 0, got %d", src, l.PartialSuspensionDays)
	}
	return nil
}

// CheckContract refuses a contract the profile forbids: telecom_rgc765 without the
// inactivity discount (the suspended days are not charged; the discount exists for
// monthly plans only, so such a contract needs a monthly plan).
func (p Profile) CheckContract(inactivityDiscount bool) error {
	if p.RequiresInactivityDiscount && !inactivityDiscount {
		return fieldf("inactivity_discount", "required by %s (%s: the suspended days are not charged); it needs a monthly plan",
			p.Name, p.Source)
	}
	return nil
}

// CheckLateRule refuses late-charge settings the profile forbids: telecom_rgc765 caps
// interest at 1.00% a month (RGC 765/2023 art. 78). The CDC bounds of every profile are
// billing.LateRule.Validate's.
func (p Profile) CheckLateRule(r billing.LateRule) error {
	if err := r.Validate(); err != nil {
		return err
	}
	if max, ok := p.MaxMonthlyInterest(); ok && r.MonthlyInterestPercent.GreaterThan(max) {
		return fieldf("monthly_interest_percent", "telecom_rgc765 (Anatel RGC, Resolução 765/2023 art. 78): at most %s%% a month, got %s",
			RGCMaxMonthlyInterestPercent, r.MonthlyInterestPercent.StringFixed(2))
	}
	return nil
}

// MaxMonthlyInterest is the highest monthly interest on arrears the profile allows, when
// it caps it: telecom_rgc765, 1.00% (RGC 765/2023 art. 78).
func (p Profile) MaxMonthlyInterest() (decimal.Decimal, bool) {
	if p.Name == TelecomRGC765 {
		return rgcMaxInterest, true
	}
	return decimal.Decimal{}, false
}

// ChecksContracts says whether the profile refuses some contracts (CheckContract,
// CheckLateRule beyond the CDC bounds every profile has): a rule of such a profile must be
// checked against every contract it comes to cover.
func (p Profile) ChecksContracts() bool {
	_, caps := p.MaxMonthlyInterest()
	return p.RequiresInactivityDiscount || caps
}

// LadderSettings are a ladder's settings as the API takes them: nil (or a nil
// ReminderDays) leaves a setting to the profile's default; an empty, non-nil ReminderDays
// means no reminders.
type LadderSettings struct {
	Profile               string
	MinOverdue            *int
	ReminderDays          []int
	NoticeDays            *int
	PartialSuspensionDays *int
	SuspensionDays        *int
	TerminationDays       *int
}

// NewLadder fills the settings left out from the profile's defaults and validates the
// result: the shape every profile shares, then the profile's own rules.
func NewLadder(s LadderSettings) (Ladder, error) {
	p, err := ProfileOf(s.Profile)
	if err != nil {
		return Ladder{}, err
	}
	l := p.Defaults
	l.ReminderDays = append([]int(nil), l.ReminderDays...)
	set := func(dst *int, v *int) {
		if v != nil {
			*dst = *v
		}
	}
	set(&l.MinOverdue, s.MinOverdue)
	set(&l.NoticeDays, s.NoticeDays)
	set(&l.PartialSuspensionDays, s.PartialSuspensionDays)
	set(&l.SuspensionDays, s.SuspensionDays)
	set(&l.TerminationDays, s.TerminationDays)
	if s.ReminderDays != nil {
		l.ReminderDays = append([]int{}, s.ReminderDays...)
	}
	if err := l.Validate(); err != nil {
		return Ladder{}, err
	}
	return l, nil
}

// String describes the ladder in words, for logs and /explain.
func (l Ladder) String() string {
	s := fmt.Sprintf("%s ladder from %d overdue installment(s):", profileOf(l.Profile).Name, l.MinOverdue)
	for _, st := range l.Steps() {
		if st.Kind == StepReminder {
			s += fmt.Sprintf(" reminder D−%d;", st.Days)
		} else if st.From == FromDueDate {
			s += fmt.Sprintf(" %s %d days after the due date;", st.Kind, st.Days)
		} else if st.From == FromNoticeSent {
			s += fmt.Sprintf(" %s %d days after the debt notice is sent;", st.Kind, st.Days)
		} else {
			s += fmt.Sprintf(" %s %d days after the debt notice is due;", st.Kind, st.Days)
		}
	}
	return s[:len(s)-1]
}
