package pix_test

import (
	"testing"

	"github.com/billingd/billingd/pix"
	"github.com/shopspring/decimal"
)

// BenchmarkIssueAll makes the payloads of a batch of 10,000 installments.
func BenchmarkIssueAll(b *testing.B) {
	is, err := pix.NewIssuer(pix.Receiver{Key: "123e4567-e12b-12d1-a456-426655440000", Name: "Academia São João", City: "São Paulo", TxIDPrefix: "BLD"})
	if err != nil {
		b.Fatal(err)
	}
	charges := make([]pix.Charge, 10_000)
	for i := range charges {
		charges[i] = pix.Charge{InstallmentID: int64(1_000_000 + i), Amount: decimal.New(int64(9990+i), -2)}
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := is.IssueAll(charges); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(charges))*float64(b.N)/b.Elapsed().Seconds(), "payloads/s")
}
