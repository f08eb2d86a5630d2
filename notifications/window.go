package notifications

import (
	"time"

	"github.com/billingd/billingd/billing"
)

// The dunning window's defaults and bounds. CDC (Lei 8.078/90) art. 42 forbids exposing a
// debtor to embarrassment or pressure in collecting; collection messages at night and on
// Sundays are commonly treated as such. billingd therefore sends collection e-mails on
// business days only (never on a Sunday or a banking holiday; Saturdays only when the
// operator allows them), between the window's hours in the business time zone, and
// refuses a window that reaches into the night: the hours must lie within 06:00–22:00
// (CLT art. 73 §2 makes 22:00 the start of the legal night).
const (
	// DefaultDunningStartHour: collection e-mails from 08:00.
	DefaultDunningStartHour = 8
	// DefaultDunningEndHour: none from 20:00.
	DefaultDunningEndHour = 20
	// EarliestDunningHour is the earliest start hour a window may set.
	EarliestDunningHour = 6
	// LatestDunningHour is the latest end hour a window may set.
	LatestDunningHour = 22
)

// The settings the dunning window is read from, as its errors name them.
const (
	SettingDunningStartHour = "BILLINGD_DUNNING_START_HOUR"
	SettingDunningEndHour   = "BILLINGD_DUNNING_END_HOUR"
	SettingDunningSaturday  = "BILLINGD_DUNNING_SATURDAY"
)

// DunningWindow says when a collection e-mail may be sent: business days, from StartHour
// (inclusive) to EndHour (exclusive) in Zone.
type DunningWindow struct {
	StartHour int
	EndHour   int
	// Saturday allows Saturdays that are not holidays; Sundays and holidays never.
	Saturday bool
	// Zone is the business time zone; nil reads each time in its own location.
	Zone *time.Location
}

// DefaultDunningWindow returns 08:00–20:00 on business days, no Saturdays, in zone.
func DefaultDunningWindow(zone *time.Location) DunningWindow {
	return DunningWindow{StartHour: DefaultDunningStartHour, EndHour: DefaultDunningEndHour, Zone: zone}
}

// Validate checks the window's hours, naming the setting at fault: the start from 06 to
// 21, the end after it and at most 22.
func (w DunningWindow) Validate() error {
	switch {
	case w.StartHour < EarliestDunningHour || w.StartHour >= LatestDunningHour:
		return billing.Fieldf(SettingDunningStartHour, "must be from %d to %d: collection e-mails are not sent at night (CDC art. 42), got %d",
			EarliestDunningHour, LatestDunningHour-1, w.StartHour)
	case w.EndHour <= w.StartHour || w.EndHour > LatestDunningHour:
		return billing.Fieldf(SettingDunningEndHour, "must be after %s (%d) and at most %d: collection e-mails are not sent at night (CDC art. 42), got %d",
			SettingDunningStartHour, w.StartHour, LatestDunningHour, w.EndHour)
	}
	return nil
}

// nationalCalendar stands in for a nil calendar: the national banking holidays.
var nationalCalendar = billing.NewCalendar()

// sendingDay reports whether the civil date of t (in its location) is a day collection
// e-mails go out on.
func (w DunningWindow) sendingDay(t time.Time, cal *billing.Calendar) bool {
	day := billing.DateOf(t, t.Location())
	switch t.Weekday() {
	case time.Sunday:
		return false
	case time.Saturday:
		_, holiday := cal.HolidayName(day)
		return w.Saturday && !holiday
	}
	return cal.IsBusinessDay(day)
}

// Allows reports whether a collection e-mail may be sent at t.
func (w DunningWindow) Allows(t time.Time, cal *billing.Calendar) bool {
	return NextSendableTime(t, cal, w).Equal(t)
}

// NextSendableTime returns the first instant at or after t at which a collection e-mail
// may be sent under window w and calendar cal (nil: the national banking calendar): t
// itself inside the window, else the start hour of the next sending day. The result is
// in the window's zone.
func NextSendableTime(t time.Time, cal *billing.Calendar, w DunningWindow) time.Time {
	if cal == nil {
		cal = nationalCalendar
	}
	loc := w.Zone
	if loc == nil {
		loc = t.Location()
	}
	if w.Validate() != nil {
		w.StartHour, w.EndHour = DefaultDunningStartHour, DefaultDunningEndHour
	}
	lt := t.In(loc)
	// A year of holidays and weekends is far fewer than 400 days in a row.
	for range 400 {
		y, m, d := lt.Date()
		if w.sendingDay(lt, cal) {
			start := time.Date(y, m, d, w.StartHour, 0, 0, 0, loc)
			end := time.Date(y, m, d, w.EndHour, 0, 0, 0, loc)
			switch {
			case lt.Before(start):
				return start
			case lt.Before(end):
				return lt
			}
		}
		lt = time.Date(y, m, d+1, 0, 0, 0, 0, loc)
	}
	return lt
}

// dunningKinds are the notice kinds that collect a debt, sent only within the window.
var dunningKinds = map[string]bool{KindComingDue: true, KindOverdue: true, KindReminder: true, KindBlockWarning: true,
	KindPartialSuspension: true, KindBlocked: true, KindTermination: true}

// IsDunning reports whether notices of kind collect a debt (reminders, overdue notices,
// warnings and debt notices, suspensions), so that they go out only within the dunning
// window; the welcome, unblocked and renewed notices go out at any time.
func IsDunning(kind string) bool {
	return dunningKinds[kind]
}
