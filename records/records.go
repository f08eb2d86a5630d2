// Package records declares, as plain Go free of any database driver, what billingd's store
// keeps and lists beyond the domain types: stored installments, notices and e-mail
// templates, renewals, block episodes, benefit grants and uses, job runs — with their states
// — and the filters and pages that select them. The postgres adapter reads and writes them
// (under the same names); the API speaks them without importing a driver.
package records

// Page asks for one page of a list ordered by id: ids after After, at most Limit.
type Page struct {
	After int64
	Limit int
}

// Size is how many items the page holds at most: Limit, or 100 when Limit is unset or
// above 500.
func (p Page) Size() int {
	if p.Limit <= 0 || p.Limit > 500 {
		return 100
	}
	return p.Limit
}
