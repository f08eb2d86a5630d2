package billing_test

import (
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the zone must load on a host without zoneinfo, as in the binary

	"github.com/billingd/billingd/billing"
)

func TestParseDate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want string // "" means an error is expected
	}{
		{"2026-02-28", "2026-02-28"},
		{"2028-02-29", "2028-02-29"},
		{"2000-02-29", "2000-02-29"},
		{"0001-01-01", "0001-01-01"},
		{"9999-12-31", "9999-12-31"},
		{"2026-02-29", ""},
		{"2100-02-29", ""},
		{"2026-02-30", ""},
		{"2026-04-31", ""},
		{"2026-13-01", ""},
		{"2026-00-10", ""},
		{"2026-01-00", ""},
		{"0000-01-01", ""},
		{"2026-2-3", ""},
		{"2026-02-3", ""},
		{"", ""},
		{" 2026-02-03", ""},
		{"2026-02-03 ", ""},
		{"2026/02/03", ""},
		{"2026-02-03T00:00:00Z", ""},
		{"+026-02-03", ""},
		{"2026-0a-03", ""},
		{"20260203", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := billing.ParseDate(tt.in)
			if tt.want == "" {
				if err == nil {
					t.Fatalf("ParseDate(%q) = %v, want an error", tt.in, got)
				}
				if !strings.Contains(err.Error(), "want a real calendar day as YYYY-MM-DD") {
					t.Errorf("ParseDate(%q) error = %q, want it to explain the format", tt.in, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseDate(%q): %v", tt.in, err)
			}
			if got.Location() != time.UTC || got.Hour() != 0 || billing.FormatDate(got) != tt.want {
				t.Errorf("ParseDate(%q) = %v, want %s at 00:00 UTC", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseDateErrorText(t *testing.T) {
	t.Parallel()
	_, err := billing.ParseDate("2026-02-30")
	want := `invalid date "2026-02-30": want a real calendar day as YYYY-MM-DD`
	if err == nil || err.Error() != want {
		t.Fatalf("error = %v, want %q", err, want)
	}
}

func TestDateOf(t *testing.T) {
	t.Parallel()
	sp, err := time.LoadLocation("America/Sao_Paulo")
	if err != nil {
		t.Fatalf("load the business time zone: %v", err)
	}
	tests := []struct {
		name    string
		instant time.Time
		loc     *time.Location
		want    string
	}{
		{"late evening in São Paulo is the next day in UTC", time.Date(2026, 3, 1, 2, 30, 0, 0, time.UTC), sp, "2026-02-28"},
		{"same instant in UTC", time.Date(2026, 3, 1, 2, 30, 0, 0, time.UTC), time.UTC, "2026-03-01"},
		{"nil location means UTC", time.Date(2026, 3, 1, 2, 30, 0, 0, time.UTC), nil, "2026-03-01"},
		{"São Paulo midnight", time.Date(2026, 1, 1, 0, 0, 0, 0, sp), sp, "2026-01-01"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := billing.DateOf(tt.instant, tt.loc)
			if !got.Equal(day(tt.want)) || got.Location() != time.UTC {
				t.Errorf("DateOf = %v, want %s 00:00 UTC", got, tt.want)
			}
		})
	}
}

func TestAddMonthsClamped(t *testing.T) {
	t.Parallel()
	tests := []struct {
		from   string
		months int
		day    int
		want   string
	}{
		{"2026-01-31", 1, 31, "2026-02-28"},
		{"2028-01-31", 1, 31, "2028-02-29"},
		{"2026-01-31", 3, 31, "2026-04-30"},
		{"2026-01-15", 0, 31, "2026-01-31"},
		{"2026-11-10", 2, 10, "2027-01-10"},
		{"2026-01-10", -1, 31, "2025-12-31"},
		{"2026-01-10", -14, 29, "2024-11-29"},
		{"2026-03-10", 0, 0, "2026-03-01"},
		{"2026-05-10", 12, 5, "2027-05-05"},
	}
	for _, tt := range tests {
		t.Run(tt.from, func(t *testing.T) {
			t.Parallel()
			got := billing.AddMonthsClamped(day(tt.from), tt.months, tt.day)
			if !got.Equal(day(tt.want)) {
				t.Errorf("AddMonthsClamped(%s, %d, %d) = %s, want %s", tt.from, tt.months, tt.day, billing.FormatDate(got), tt.want)
			}
		})
	}
}

func TestEndOfMonth(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"2026-02-10", "2026-02-28"},
		{"2028-02-01", "2028-02-29"},
		{"2026-12-31", "2026-12-31"},
		{"2026-04-01", "2026-04-30"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			if got := billing.EndOfMonth(day(tt.in)); !got.Equal(day(tt.want)) {
				t.Errorf("EndOfMonth(%s) = %s, want %s", tt.in, billing.FormatDate(got), tt.want)
			}
		})
	}
}

func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"2026-02-28", "2028-02-29", "2026-02-30", "2026-2-3", "", "9999-12-31", "0000-01-01"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := billing.ParseDate(s)
		if err != nil {
			return
		}
		if got := billing.FormatDate(d); got != s {
			t.Fatalf("FormatDate(ParseDate(%q)) = %q", s, got)
		}
		if d.Location() != time.UTC || d.Hour() != 0 || d.Minute() != 0 || d.Second() != 0 || d.Nanosecond() != 0 {
			t.Fatalf("ParseDate(%q) = %v, want 00:00 UTC", s, d)
		}
	})
}

// Two mutants of date.go live through every test because no caller can tell them apart
// (equivalent mutants, gremlins v0.6.0):
//   - addMonths' `mm < 0` to `mm <= 0`: January then comes out as month 13 of the year
//     before, which daysIn counts as 31 days and time.Date normalises to the same January;
//   - digits' `len(s) > 0` to `>= 0`: ParseDate, its only caller, hands it the fixed
//     non-empty slices of a ten-character string, never "".

// TestAddMonthsClampedBeforeYearOne: months counted back past year 1 land in the right
// month of the years before (0 and -1 in Go's proleptic calendar).
func TestAddMonthsClampedBeforeYearOne(t *testing.T) {
	t.Parallel()
	from := time.Date(1, time.January, 10, 0, 0, 0, 0, time.UTC)
	for months, want := range map[int]time.Time{
		-1:  time.Date(0, time.December, 10, 0, 0, 0, 0, time.UTC),
		-12: time.Date(0, time.January, 10, 0, 0, 0, 0, time.UTC),
		-13: time.Date(-1, time.December, 10, 0, 0, 0, 0, time.UTC),
		-25: time.Date(-2, time.December, 10, 0, 0, 0, 0, time.UTC),
	} {
		if got := billing.AddMonthsClamped(from, months, 10); !got.Equal(want) {
			t.Errorf("0001-01-10 %+d months: %s, want %s", months, got, want)
		}
	}
}

// TestErrorsClipTheInput: an input of up to 40 characters is quoted whole in an error, a
// longer one cut at 40 with "...".
func TestErrorsClipTheInput(t *testing.T) {
	t.Parallel()
	forty := strings.Repeat("x", 40)
	for in, quoted := range map[string]string{
		forty:        forty,
		forty + "y":  forty + "...",
		"2026-13-01": "2026-13-01",
	} {
		_, err := billing.ParseDate(in)
		if want := `invalid date "` + quoted + `": want a real calendar day as YYYY-MM-DD`; err == nil || err.Error() != want {
			t.Errorf("ParseDate(%q): %v, want %s", in, err, want)
		}
	}
}
