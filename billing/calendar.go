package billing

import (
	"fmt"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rickar/cal/v2"
	"github.com/rickar/cal/v2/br"
)

// Shift says where a due date that falls on a non-business day moves.
type Shift string

// The business-day shifts a due-date rule may use.
const (
	// ShiftNext moves a due date to the next business day on or after it.
	ShiftNext Shift = "next"
	// ShiftPrevious moves a due date to the last business day on or before it.
	ShiftPrevious Shift = "previous"
	// ShiftNone keeps a due date as it is, even on a weekend or holiday.
	ShiftNone Shift = "none"
)

// ParseShift parses one of next, previous or none; the empty string is rejected.
func ParseShift(s string) (Shift, error) {
	switch sh := Shift(s); sh {
	case ShiftNext, ShiftPrevious, ShiftNone:
		return sh, nil
	default:
		return "", fmt.Errorf("unknown shift %q (want next, previous or none)", clip(s))
	}
}

// Holiday is an operator-added banking holiday on one civil date, such as a city's own holiday.
type Holiday struct {
	Date time.Time // the civil date; only its year, month and day are used
	Name string    // shown by HolidayName; "Feriado local" when empty
}

// Banking holidays the rickar/cal/v2 br package (v2.1.13) lacks. br.Holidays
// was checked against current law and the Febraban/ANBIMA national banking
// calendar and holds, correctly:
//   - Ano Novo (1 Jan), Tiradentes (21 Apr), Dia do Trabalhador (1 May),
//     Independência (7 Sep), Finados (2 Nov), Proclamação da República (15 Nov)
//     and Natal (25 Dec): Lei 662/1949 as amended by Lei 10.607/2002;
//   - Nossa Senhora Aparecida (12 Oct): Lei 6.802/1980;
//   - Sexta-feira Santa (Easter − 2): a religious holiday under Lei 9.093/1995,
//     and banks close nationwide;
//   - Corpus Christi (Easter + 60): not a federal holiday, but banks close
//     nationwide by convention (Febraban/ANBIMA calendar);
//   - Carnaval Tuesday (Easter − 47): not a legal holiday, banks close by
//     convention.
//
// Deliberate non-holidays: Ash Wednesday (banks open at noon, so payments due
// that day are settled that day), 24 and 31 December (banks work, at least
// internally; ANBIMA does not list them) and state or municipal holidays (add
// them with NewCalendar's extra holidays).
var (
	// carnivalMonday: banks close on Carnival Monday by convention (ANBIMA).
	carnivalMonday = &cal.Holiday{
		Name:   "Carnaval (segunda-feira)",
		Type:   cal.ObservanceBank,
		Offset: -48,
		Func:   cal.CalcEasterOffset,
	}
	// conscienciaNegra: national holiday since Lei 14.759 of 21 Dec 2023, first observed in 2024.
	conscienciaNegra = &cal.Holiday{
		Name:      "Dia Nacional de Zumbi e da Consciência Negra",
		Type:      cal.ObservancePublic,
		Month:     time.November,
		Day:       20,
		StartYear: 2024,
		Func:      cal.CalcDayOfMonth,
	}
	// nationalHolidays is br.Holidays plus the local additions, in that order
	// (the first name wins when two fall on the same day). The library's
	// values are never modified.
	nationalHolidays = append(slices.Clone(br.Holidays), carnivalMonday, conscienciaNegra)
)

// localHolidayName names an operator-added holiday given without a name.
const localHolidayName = "Feriado local"

// yearHolidays holds one year's holiday names indexed by YearDay−1; "" means no holiday.
type yearHolidays [366]string

// Calendar is the Brazilian banking calendar plus operator-added holidays; it is safe for concurrent use.
//
// Each year's holiday set is computed on first use and cached. Lookups read
// an immutable map through an atomic pointer, so they take no lock; only the
// first lookup of a year takes the mutex and publishes a copied map.
type Calendar struct {
	extra []Holiday
	mu    sync.Mutex // serialises cache fills
	years atomic.Pointer[map[int]*yearHolidays]
}

// NewCalendar returns the national banking calendar plus the operator-added holidays extra.
func NewCalendar(extra ...Holiday) *Calendar {
	c := &Calendar{extra: slices.Clone(extra)}
	empty := map[int]*yearHolidays{}
	c.years.Store(&empty)
	return c
}

// HolidayName returns the name of the banking holiday on d's civil date, if any; weekends are not holidays.
func (c *Calendar) HolidayName(d time.Time) (string, bool) {
	name := c.year(d.Year())[d.YearDay()-1]
	return name, name != ""
}

// IsBusinessDay reports whether d's civil date is neither a weekend nor a banking holiday.
func (c *Calendar) IsBusinessDay(d time.Time) bool {
	switch d.Weekday() {
	case time.Saturday, time.Sunday:
		return false
	}
	return c.year(d.Year())[d.YearDay()-1] == ""
}

// Adjust moves d to a business day according to s; the empty shift means next and an unknown one leaves d unchanged.
func (c *Calendar) Adjust(d time.Time, s Shift) time.Time {
	step := 0
	switch s {
	case ShiftNext, "":
		step = 1
	case ShiftPrevious:
		step = -1
	default:
		return d
	}
	for !c.IsBusinessDay(d) {
		d = d.AddDate(0, 0, step)
	}
	return d
}

// year returns the cached holiday set of year y, computing it on first use.
func (c *Calendar) year(y int) *yearHolidays {
	if h, ok := (*c.years.Load())[y]; ok {
		return h
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	old := *c.years.Load()
	if h, ok := old[y]; ok {
		return h
	}
	h := c.compute(y)
	next := maps.Clone(old)
	next[y] = h
	c.years.Store(&next)
	return h
}

// compute builds the holiday set of year y.
func (c *Calendar) compute(y int) *yearHolidays {
	var h yearHolidays
	set := func(m time.Month, d int, name string) {
		i := civil(y, m, d).YearDay() - 1
		if h[i] == "" {
			h[i] = name
		}
	}
	for _, hol := range nationalHolidays {
		actual, _ := hol.Calc(y)
		if actual.IsZero() {
			continue
		}
		// cal computes in cal.DefaultLoc (time.Local); only the civil
		// fields are used, so the process time zone does not matter.
		ay, am, ad := actual.Date()
		if ay != y {
			continue
		}
		set(am, ad, hol.Name)
	}
	for _, e := range c.extra {
		ey, em, ed := e.Date.Date()
		if ey != y {
			continue
		}
		name := e.Name
		if name == "" {
			name = localHolidayName
		}
		set(em, ed, name)
	}
	return &h
}
