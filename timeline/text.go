package timeline

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/records"
)

// WriteText prints an explanation and a timeline readably, as `billingd contract ID`
// does: the verdicts and the installments overdue, then the timeline as a table whose
// rows carry their reason and rule on the lines under them. Instants are shown in loc.
func WriteText(w io.Writer, e records.Explanation, t records.Timeline, loc *time.Location) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "Contract %d on %s: %s\n\n", e.ContractID, fd(e.On), e.Status)
	for _, v := range e.Verdicts {
		state := v.State
		if !v.Since.IsZero() {
			state += " since " + fd(v.Since)
		}
		fmt.Fprintf(tw, "%-14s%s\n", v.Topic+":", state)
		fmt.Fprintf(tw, "  why:  %s\n", v.Reason)
		fmt.Fprintf(tw, "  rule: %s\n", v.Rule)
	}
	if len(e.Overdue) == 0 {
		fmt.Fprintf(tw, "\nOverdue on %s: none\n", fd(e.On))
	} else {
		fmt.Fprintf(tw, "\nOverdue on %s:\n", fd(e.On))
		fmt.Fprintln(tw, "INSTALLMENT\tTERM\tSEQUENCE\tDUE\tOVERDUE SINCE\tAMOUNT")
		for _, o := range e.Overdue {
			fmt.Fprintf(tw, "%d\t%d\t%d\t%s\t%s\t%s\n", o.ID, o.Term, o.Sequence, fd(o.DueDate), fd(o.OverdueSince), money(o.Amount))
		}
	}
	more := ""
	if t.Truncated {
		more = fmt.Sprintf(", the first %d; more exist", t.Limit)
	}
	fmt.Fprintf(tw, "\nTimeline (%d entries%s):\n", len(t.Entries), more)
	fmt.Fprintln(tw, "ON\tAT\tKIND\tAMOUNT\tWHAT")
	for _, x := range t.Entries {
		at := "--:--"
		if x.At != nil {
			at = x.At.In(loc).Format("15:04")
		}
		amount := ""
		if x.Amount != nil {
			amount = billing.FormatMoney(*x.Amount)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", fd(x.On), at, x.Kind, amount, x.What)
		for _, l := range x.Lines {
			fmt.Fprintf(tw, "\t\t\t\t  line %s %s: %s\n", l.Kind, money(l.Amount), l.Description)
		}
		if x.Reason != "" {
			fmt.Fprintf(tw, "\t\t\t\t  why: %s\n", x.Reason)
		}
		if x.Rule != "" {
			fmt.Fprintf(tw, "\t\t\t\t  rule: %s\n", x.Rule)
		}
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write contract %d: %w", e.ContractID, err)
	}
	return nil
}
