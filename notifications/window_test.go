package notifications

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/billingd/billingd/billing"
)

// saoPaulo is the default business time zone.
var saoPaulo = func() *time.Location {
	loc, err := time.LoadLocation("America/Sao_Paulo")
	if err != nil {
		panic(err)
	}
	return loc
}()

// spTime parses "2006-01-02 15:04" in São Paulo.
func spTime(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, saoPaulo)
	if err != nil {
		panic(err)
	}
	return t
}

func TestNextSendableTime(t *testing.T) {
	t.Parallel()
	def := DefaultDunningWindow(saoPaulo)
	sat := def
	sat.Saturday = true
	narrow := DunningWindow{StartHour: 9, EndHour: 18, Zone: saoPaulo}
	tests := []struct {
		name string
		w    DunningWindow
		at   string
		want string
	}{
		{"Monday morning: at once", def, "2026-03-16 10:00", "2026-03-16 10:00"},
		{"Monday before eight: at eight", def, "2026-03-16 07:59", "2026-03-16 08:00"},
		{"Monday at eight sharp", def, "2026-03-16 08:00", "2026-03-16 08:00"},
		{"Monday 19:59: at once", def, "2026-03-16 19:59", "2026-03-16 19:59"},
		{"Monday at 20:00: Tuesday at eight", def, "2026-03-16 20:00", "2026-03-17 08:00"},
		{"Friday night: Monday", def, "2026-03-20 21:00", "2026-03-23 08:00"},
		{"Saturday: Monday", def, "2026-03-21 10:00", "2026-03-23 08:00"},
		{"Saturday allowed", sat, "2026-03-21 10:00", "2026-03-21 10:00"},
		{"Saturday allowed, early: at eight", sat, "2026-03-21 06:30", "2026-03-21 08:00"},
		{"Sunday, Saturdays allowed: never Sunday", sat, "2026-03-22 10:00", "2026-03-23 08:00"},
		{"Tiradentes (a Tuesday): Wednesday", def, "2026-04-21 09:00", "2026-04-22 08:00"},
		{"Carnival: from Saturday to Ash Wednesday", def, "2026-02-14 10:00", "2026-02-18 08:00"},
		{"Labour Day on a Saturday, Saturdays allowed: Monday", sat, "2027-05-01 10:00", "2027-05-03 08:00"},
		{"Christmas Eve (banks work): at once", def, "2026-12-24 15:00", "2026-12-24 15:00"},
		{"Christmas, a Friday: Monday", def, "2026-12-25 09:00", "2026-12-28 08:00"},
		{"New Year's Eve at night: Monday 4 January (1 January a holiday, then a weekend)", def, "2026-12-31 22:00", "2027-01-04 08:00"},
		{"a narrower window: 18:00 is closed", narrow, "2026-03-16 18:00", "2026-03-17 09:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := NextSendableTime(spTime(tt.at), nationalCalendar, tt.w)
			if !got.Equal(spTime(tt.want)) {
				t.Errorf("%s, want %s", got.In(saoPaulo).Format("2006-01-02 15:04 Mon"), tt.want)
			}
		})
	}
}

func TestNextSendableTimeReadsTheBusinessZone(t *testing.T) {
	t.Parallel()
	// 10:30 UTC on a Monday is 07:30 in São Paulo: wait for 08:00 there, 11:00 UTC.
	got := NextSendableTime(time.Date(2026, 3, 16, 10, 30, 0, 0, time.UTC), nil, DefaultDunningWindow(saoPaulo))
	if want := time.Date(2026, 3, 16, 11, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("%s, want %s", got.UTC(), want)
	}
	// 01:00 UTC on a Saturday is Friday 22:00 in São Paulo: Monday 08:00 there.
	got = NextSendableTime(time.Date(2026, 3, 21, 1, 0, 0, 0, time.UTC), nil, DefaultDunningWindow(saoPaulo))
	if want := spTime("2026-03-23 08:00"); !got.Equal(want) {
		t.Errorf("%s, want %s", got.In(saoPaulo), want)
	}
}

func TestDunningWindowValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		start, end int
		field      string
	}{
		{8, 20, ""}, {6, 22, ""}, {9, 10, ""},
		{5, 20, SettingDunningStartHour}, {22, 23, SettingDunningStartHour},
		{8, 23, SettingDunningEndHour}, {10, 10, SettingDunningEndHour}, {10, 9, SettingDunningEndHour},
	}
	for _, tt := range tests {
		err := DunningWindow{StartHour: tt.start, EndHour: tt.end}.Validate()
		var fe *billing.FieldError
		switch {
		case tt.field == "" && err != nil:
			t.Errorf("%d–%d refused: %v", tt.start, tt.end, err)
		case tt.field != "" && (!errors.As(err, &fe) || fe.Field != tt.field || !strings.Contains(fe.Reason, "CDC art. 42")):
			t.Errorf("%d–%d: %v, want a field error on %s", tt.start, tt.end, err, tt.field)
		}
	}
}

// TestDunningWindowValidateSaysTheBounds pins the whole reason of each refusal: the bounds
// it states are the ones it enforces.
func TestDunningWindowValidateSaysTheBounds(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		start, end    int
		field, reason string
	}{
		{5, 20, SettingDunningStartHour, "must be from 6 to 21: collection e-mails are not sent at night (CDC art. 42), got 5"},
		{22, 23, SettingDunningStartHour, "must be from 6 to 21: collection e-mails are not sent at night (CDC art. 42), got 22"},
		{8, 23, SettingDunningEndHour, "must be after BILLINGD_DUNNING_START_HOUR (8) and at most 22: collection e-mails are not sent at night (CDC art. 42), got 23"},
		{9, 9, SettingDunningEndHour, "must be after BILLINGD_DUNNING_START_HOUR (9) and at most 22: collection e-mails are not sent at night (CDC art. 42), got 9"},
	} {
		err := DunningWindow{StartHour: tt.start, EndHour: tt.end}.Validate()
		var fe *billing.FieldError
		if !errors.As(err, &fe) || fe.Field != tt.field || fe.Reason != tt.reason {
			t.Errorf("%d–%d: %v, want %s: %s", tt.start, tt.end, err, tt.field, tt.reason)
		}
	}
}

func TestIsDunning(t *testing.T) {
	t.Parallel()
	for kind, want := range map[string]bool{KindComingDue: true, KindOverdue: true, KindReminder: true, KindBlockWarning: true,
		KindPartialSuspension: true, KindBlocked: true, KindTermination: true,
		KindWelcome: false, KindUnblocked: false, KindRenewed: false} {
		if IsDunning(kind) != want {
			t.Errorf("%s: dunning %v, want %v", kind, !want, want)
		}
	}
}

// FuzzNextSendableTime checks that the time found is never before the one asked, is
// inside the window, and that nothing inside the window comes between them.
func FuzzNextSendableTime(f *testing.F) {
	f.Add(int64(0), uint8(8), uint8(20), false)
	f.Add(int64(3600*24*45+3600*23), uint8(6), uint8(22), true)
	f.Fuzz(func(t *testing.T, offset int64, start, end uint8, saturday bool) {
		w := DunningWindow{StartHour: int(start % 24), EndHour: int(end%24) + 1, Saturday: saturday, Zone: saoPaulo}
		if w.Validate() != nil {
			w = DefaultDunningWindow(saoPaulo)
		}
		at := spTime("2026-01-01 00:00").Add(time.Duration(offset%(3600*24*800)) * time.Second)
		got := NextSendableTime(at, nationalCalendar, w)
		if got.Before(at) {
			t.Fatalf("%s is before %s", got, at)
		}
		lt := got.In(saoPaulo)
		if lt.Weekday() == time.Sunday || lt.Hour() < w.StartHour || lt.Hour() >= w.EndHour || !w.Allows(got, nationalCalendar) {
			t.Fatalf("%s is outside the window %+v", lt, w)
		}
		if got.After(at) && (w.Allows(at, nationalCalendar) || lt.Minute() != 0 || lt.Hour() != w.StartHour) {
			t.Fatalf("asked at %s, got %s: not the start of the next sending day", at.In(saoPaulo), lt)
		}
	})
}
