package delinquency_test

import (
	"testing"
	"time"

	"github.com/billingd/billingd/delinquency"
)

// spell is a stretch of default of a test table; settled "" means still open.
func spell(due, settled string) delinquency.DefaultSpell {
	s := delinquency.DefaultSpell{Due: d(due)}
	if settled != "" {
		s.SettledOn = d(settled)
	}
	return s
}

func TestDaysInDefault(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		spells []delinquency.DefaultSpell
		on     string
		want   int
	}{
		{"nothing", nil, "2026-03-12", 0},
		{"paid on the due date: no day", []delinquency.DefaultSpell{spell("2026-01-10", "2026-01-10")}, "2026-03-12", 0},
		{"paid the day after: one day", []delinquency.DefaultSpell{spell("2026-01-10", "2026-01-11")}, "2026-03-12", 1},
		{"open since 10 Jan: 21 + 28 + 12 days on 12 Mar", []delinquency.DefaultSpell{spell("2026-01-10", "")}, "2026-03-12", 61},
		{"two installments late on the same days count once",
			[]delinquency.DefaultSpell{spell("2026-01-10", ""), spell("2026-02-10", "")}, "2026-03-12", 61},
		{"not consecutive: 30 days in January, 31 from March",
			[]delinquency.DefaultSpell{spell("2026-01-10", "2026-02-09"), spell("2026-03-10", "")}, "2026-04-10", 61},
		{"only the last 12 months: 2 to 31 March 2025", []delinquency.DefaultSpell{spell("2025-01-10", "2025-03-31")}, "2026-03-01", 30},
		{"a year to the day is out of the window", []delinquency.DefaultSpell{spell("2025-03-10", "2025-03-12")}, "2026-03-12", 0},
		{"a year minus a day is in", []delinquency.DefaultSpell{spell("2025-03-10", "2025-03-13")}, "2026-03-12", 1},
		{"a due date in the future counts nothing yet", []delinquency.DefaultSpell{spell("2026-04-10", "")}, "2026-03-12", 0},
		{"a whole year open: every day of the window", []delinquency.DefaultSpell{spell("2024-01-10", "")}, "2026-03-12", 365},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := delinquency.DaysInDefault(tt.spells, d(tt.on)); got != tt.want {
				t.Errorf("%d days in default, want %d", got, tt.want)
			}
		})
	}
}

func TestDateOfDefaultDay(t *testing.T) {
	t.Parallel()
	open := []delinquency.DefaultSpell{spell("2026-01-10", "")}
	tests := []struct {
		name   string
		spells []delinquency.DefaultSpell
		n      int
		from   string
		want   string // "" when never
	}{
		{"the 50th day of default: the notice deadline", open, 50, "2026-01-10", "2026-03-01"},
		{"the 61st: the first day a health plan may be suspended", open, 61, "2026-01-10", "2026-03-12"},
		{"already past: the date asked", open, 61, "2026-05-01", "2026-05-01"},
		{"settled after 30 days: 61 never comes", []delinquency.DefaultSpell{spell("2026-01-10", "2026-02-09")}, 61, "2026-01-10", ""},
		{"30 days, then open from March: 31 more", []delinquency.DefaultSpell{spell("2026-01-10", "2026-02-09"), spell("2026-03-10", "")}, 61, "2026-03-10", "2026-04-10"},
		{"old days leave the window as new ones come: the count stays, the date moves",
			[]delinquency.DefaultSpell{spell("2025-03-01", "2025-04-30"), spell("2026-03-10", "")}, 61, "2026-03-10", "2026-05-10"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, ok := delinquency.DateOfDefaultDay(tt.spells, tt.n, d(tt.from))
			if tt.want == "" {
				if ok {
					t.Errorf("reached on %s, want never", fmtDate(got))
				}
				return
			}
			if !ok || fmtDate(got) != tt.want {
				t.Errorf("on %s (%v), want %s", fmtDate(got), ok, tt.want)
			}
		})
	}
}

func TestHealthGate(t *testing.T) {
	t.Parallel()
	open := []delinquency.DefaultSpell{spell("2026-01-10", "")}
	tests := []struct {
		name                string
		sent, notBefore, on string
		deadline, from      string
		days, noticeDay     int
		spells              []delinquency.DefaultSpell
	}{
		{"not sent: no date", "", "2026-01-20", "2026-03-20", "2026-03-01", "", 69, 0, open},
		{"sent on day 10: the 61st day", "2026-01-20", "2026-01-30", "2026-03-20", "2026-03-01", "2026-03-12", 69, 10, open},
		{"sent on day 50: the 61st day still", "2026-03-01", "2026-03-11", "2026-03-20", "2026-03-01", "2026-03-12", 69, 50, open},
		{"sent on day 51: 11 days after it", "2026-03-02", "2026-03-02", "2026-03-20", "2026-03-01", "2026-03-13", 69, 51, open},
		{"the ladder's own days after the notice come later", "2026-01-20", "2026-03-25", "2026-03-20", "2026-03-01", "2026-03-25", 69, 10, open},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var sentOn time.Time
			if tt.sent != "" {
				sentOn = d(tt.sent)
			}
			g := delinquency.HealthGateOn(tt.spells, sentOn, d(tt.notBefore), d(tt.on))
			if fmtDate(g.NoticeDeadline) != tt.deadline || fmtDate(g.From) != tt.from || g.DaysInDefault != tt.days || g.NoticeDay != tt.noticeDay {
				t.Errorf("deadline %s from %s, %d days, notice on day %d; want %s %s %d %d",
					fmtDate(g.NoticeDeadline), fmtDate(g.From), g.DaysInDefault, g.NoticeDay, tt.deadline, tt.from, tt.days, tt.noticeDay)
			}
		})
	}
}

// FuzzDaysInDefault checks the health count against a day-by-day count of the same spells.
func FuzzDaysInDefault(f *testing.F) {
	f.Add(uint16(0), uint16(30), uint16(60), uint16(0), uint16(400))
	f.Add(uint16(100), uint16(0), uint16(10), uint16(5), uint16(200))
	f.Fuzz(func(t *testing.T, a, aLen, b, bLen, on uint16) {
		base := d("2025-01-01")
		mk := func(off, n uint16) delinquency.DefaultSpell {
			s := delinquency.DefaultSpell{Due: base.AddDate(0, 0, int(off%800))}
			if n%50 != 0 {
				s.SettledOn = s.Due.AddDate(0, 0, int(n%200))
			}
			return s
		}
		spells := []delinquency.DefaultSpell{mk(a, aLen), mk(b, bLen)}
		day := base.AddDate(0, 0, int(on%1000))
		want := 0
		for x := day.AddDate(-1, 0, 1); !x.After(day); x = x.AddDate(0, 0, 1) {
			for _, s := range spells {
				if x.After(s.Due) && (s.SettledOn.IsZero() || !x.After(s.SettledOn)) {
					want++
					break
				}
			}
		}
		if got := delinquency.DaysInDefault(spells, day); got != want {
			t.Fatalf("%d days in default on %s, counted %d (%+v)", got, fmtDate(day), want, spells)
		}
		n := int(aLen%70) + 1
		got, ok := delinquency.DateOfDefaultDay(spells, n, day)
		switch {
		case ok && delinquency.DaysInDefault(spells, got) < n:
			t.Fatalf("the %dth day on %s, but only %d days then", n, fmtDate(got), delinquency.DaysInDefault(spells, got))
		case ok && got.After(day) && delinquency.DaysInDefault(spells, got.AddDate(0, 0, -1)) >= n:
			t.Fatalf("the %dth day on %s, but already reached the day before", n, fmtDate(got))
		case !ok:
			for x := day; x.Before(day.AddDate(0, 0, 800)); x = x.AddDate(0, 0, 1) {
				if delinquency.DaysInDefault(spells, x) >= n {
					t.Fatalf("the %dth day never comes, but it is reached on %s", n, fmtDate(x))
				}
			}
		}
	})
}
