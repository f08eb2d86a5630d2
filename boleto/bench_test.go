package boleto_test

import (
	"testing"

	"github.com/billingd/billingd/boleto"
	"github.com/shopspring/decimal"
)

// BenchmarkIssueAll makes the boletos of a batch of 10,000 installments under each layout, as
// installment generation does for a batch of contracts.
func BenchmarkIssueAll(b *testing.B) {
	for _, name := range []string{"bb", "itau", "bradesco", "template"} {
		b.Run(name, func(b *testing.B) {
			is, err := boleto.NewIssuer(settings[name])
			if err != nil {
				b.Fatal(err)
			}
			charges := make([]boleto.Charge, 10_000)
			for i := range charges {
				charges[i] = boleto.Charge{DueDate: boleto.FactorBase.AddDate(0, 0, 400+i%365), Amount: decimal.New(int64(9990+i), -2), Sequence: int64(i%999 + 1)}
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := is.IssueAll(charges); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(charges))*float64(b.N)/b.Elapsed().Seconds(), "boletos/s")
		})
	}
}
