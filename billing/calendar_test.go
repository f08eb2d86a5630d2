package billing_test

import (
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/billingd/billingd/billing"
	"github.com/rickar/cal/v2/br"
)

func TestCalendarAdjust(t *testing.T) {
	t.Parallel()
	national := billing.NewCalendar()
	saoPaulo := billing.NewCalendar(billing.Holiday{Date: day("2026-07-09"), Name: "Revolução Constitucionalista (SP)"})
	tests := []struct {
		name  string
		cal   *billing.Calendar
		in    string
		shift billing.Shift
		want  string
	}{
		{"Tiradentes Tuesday, next", national, "2026-04-21", billing.ShiftNext, "2026-04-22"},
		{"Tiradentes Tuesday, previous", national, "2026-04-21", billing.ShiftPrevious, "2026-04-20"},
		{"Tiradentes Tuesday, none", national, "2026-04-21", billing.ShiftNone, "2026-04-21"},
		{"Tiradentes Tuesday, empty shift means next", national, "2026-04-21", "", "2026-04-22"},
		{"Saturday, next", national, "2026-03-14", billing.ShiftNext, "2026-03-16"},
		{"Saturday, previous", national, "2026-03-14", billing.ShiftPrevious, "2026-03-13"},
		{"Sunday, next", national, "2026-03-15", billing.ShiftNext, "2026-03-16"},
		{"business day stays", national, "2026-03-13", billing.ShiftNext, "2026-03-13"},
		{"Carnival Monday 2026", national, "2026-02-16", billing.ShiftNext, "2026-02-18"},
		{"Carnival Tuesday 2026", national, "2026-02-17", billing.ShiftNext, "2026-02-18"},
		{"Carnival Tuesday 2026, previous", national, "2026-02-17", billing.ShiftPrevious, "2026-02-13"},
		{"Ash Wednesday is a business day", national, "2026-02-18", billing.ShiftNext, "2026-02-18"},
		{"Carnival Monday 2025", national, "2025-03-03", billing.ShiftNext, "2025-03-05"},
		{"Consciência Negra 2025", national, "2025-11-20", billing.ShiftNext, "2025-11-21"},
		{"Consciência Negra 2024", national, "2024-11-20", billing.ShiftNext, "2024-11-21"},
		{"20 Nov 2023 was a business day", national, "2023-11-20", billing.ShiftNext, "2023-11-20"},
		{"Consciência Negra 2026 Friday", national, "2026-11-20", billing.ShiftNext, "2026-11-23"},
		{"Christmas 2026 Friday", national, "2026-12-25", billing.ShiftNext, "2026-12-28"},
		{"New Year 2027 Friday", national, "2027-01-01", billing.ShiftNext, "2027-01-04"},
		{"New Year 2027, previous: 31 Dec is a business day", national, "2027-01-01", billing.ShiftPrevious, "2026-12-31"},
		{"Good Friday + weekend chain", national, "2026-04-03", billing.ShiftNext, "2026-04-06"},
		{"weekend + Good Friday chain, previous", national, "2026-04-05", billing.ShiftPrevious, "2026-04-02"},
		{"Corpus Christi 2026", national, "2026-06-04", billing.ShiftNext, "2026-06-05"},
		{"Labour day 2026 Friday", national, "2026-05-01", billing.ShiftNext, "2026-05-04"},
		{"Independence 2026 Monday", national, "2026-09-07", billing.ShiftPrevious, "2026-09-04"},
		{"Aparecida 2026 Monday", national, "2026-10-12", billing.ShiftNext, "2026-10-13"},
		{"Finados 2026 Monday", national, "2026-11-02", billing.ShiftNext, "2026-11-03"},
		{"9 July is a business day nationally", national, "2026-07-09", billing.ShiftNext, "2026-07-09"},
		{"operator-added São Paulo state day", saoPaulo, "2026-07-09", billing.ShiftNext, "2026-07-10"},
		{"operator-added holiday only in its year", saoPaulo, "2027-07-09", billing.ShiftNext, "2027-07-09"},
		{"operator calendar keeps national holidays", saoPaulo, "2026-04-21", billing.ShiftNext, "2026-04-22"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := tt.cal.Adjust(day(tt.in), tt.shift)
			if !got.Equal(day(tt.want)) {
				t.Errorf("Adjust(%s, %q) = %s, want %s", tt.in, tt.shift, billing.FormatDate(got), tt.want)
			}
		})
	}
}

func TestCalendarHolidays2026(t *testing.T) {
	t.Parallel()
	c := billing.NewCalendar()
	want := []string{
		"2026-01-01 Ano Novo",
		"2026-02-16 Carnaval (segunda-feira)",
		"2026-02-17 Carnaval",
		"2026-04-03 Sexta-feira Santa",
		"2026-04-21 Tiradentes",
		"2026-05-01 Dia do Trabalhador",
		"2026-06-04 Corpus Christi",
		"2026-09-07 Independência do Brasil",
		"2026-10-12 Nossa Senhora Aparecida",
		"2026-11-02 Finados",
		"2026-11-15 Proclamação da República",
		"2026-11-20 Dia Nacional de Zumbi e da Consciência Negra",
		"2026-12-25 Natal",
	}
	var got []string
	for d := day("2026-01-01"); d.Year() == 2026; d = d.AddDate(0, 0, 1) {
		if name, ok := c.HolidayName(d); ok {
			got = append(got, billing.FormatDate(d)+" "+name)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("holidays of 2026:\n got %q\nwant %q", got, want)
	}
}

func TestCalendarHolidayName(t *testing.T) {
	t.Parallel()
	c := billing.NewCalendar(
		billing.Holiday{Date: day("2026-01-25"), Name: "Aniversário de São Paulo"},
		billing.Holiday{Date: day("2026-08-15")},
		billing.Holiday{Date: day("2026-12-25"), Name: "duplicate of Natal"},
	)
	tests := []struct {
		in   string
		want string // "" means not a holiday
	}{
		{"2026-01-25", "Aniversário de São Paulo"},
		{"2026-08-15", "Feriado local"},
		{"2026-12-25", "Natal"},
		{"2023-11-20", ""},
		{"2026-03-14", ""}, // a Saturday is a non-business day, not a holiday
		{"2026-02-18", ""},
		{"2026-12-24", ""},
		{"2026-12-31", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			name, ok := c.HolidayName(day(tt.in))
			if name != tt.want || ok != (tt.want != "") {
				t.Errorf("HolidayName(%s) = %q, %v; want %q", tt.in, name, ok, tt.want)
			}
		})
	}
	// Sunday 2026-01-25 is a holiday and a non-business day either way.
	if c.IsBusinessDay(day("2026-01-25")) {
		t.Error("2026-01-25 is a business day")
	}
}

// TestLibraryHolidayList fails when an upgrade of rickar/cal changes br.Holidays,
// so that calendar.go's additions (Carnival Monday, 20 Nov) can be reviewed.
func TestLibraryHolidayList(t *testing.T) {
	t.Parallel()
	var got []string
	for _, h := range br.Holidays {
		got = append(got, h.Name)
	}
	want := []string{
		"Ano Novo", "Tiradentes", "Dia do Trabalhador", "Independência do Brasil",
		"Nossa Senhora Aparecida", "Finados", "Proclamação da República",
		"Corpus Christi", "Sexta-feira Santa", "Carnaval", "Natal",
	}
	if !slices.Equal(got, want) {
		t.Errorf("br.Holidays = %q, want %q", got, want)
	}
}

func TestParseShift(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want billing.Shift // "" means an error is expected
	}{
		{"next", billing.ShiftNext},
		{"previous", billing.ShiftPrevious},
		{"none", billing.ShiftNone},
		{"", ""},
		{"Next", ""},
		{"forward", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := billing.ParseShift(tt.in)
			if (err != nil) != (tt.want == "") || got != tt.want {
				t.Errorf("ParseShift(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestCalendarConcurrent(t *testing.T) {
	t.Parallel()
	c := billing.NewCalendar(billing.Holiday{Date: day("2030-07-09"), Name: "SP"})
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for g := range 16 {
		wg.Go(func() {
			for y := 2000 + g; y < 2100; y += 3 {
				d := day(fmt.Sprintf("%04d-12-25", y))
				if c.IsBusinessDay(d) {
					errs <- fmt.Errorf("%s is a business day", billing.FormatDate(d))
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
