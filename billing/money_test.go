package billing_test

import (
	"strings"
	"testing"

	"github.com/billingd/billingd/billing"
	"github.com/shopspring/decimal"
)

func TestParseMoney(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    string // FormatMoney of the result; "" when an error is expected
		wantErr string // substring of the error
	}{
		{in: "99.90", want: "99.90"},
		{in: "100", want: "100.00"},
		{in: "0.5", want: "0.50"},
		{in: "0", want: "0.00"},
		{in: "0.01", want: "0.01"},
		{in: "999999999999.99", want: "999999999999.99"},
		{in: "", wantErr: "must not be empty"},
		{in: "-1", wantErr: "must not be negative"},
		{in: "-0", wantErr: "must not be negative"},
		{in: "1.234", wantErr: "at most two decimal places"},
		{in: "1000000000000", wantErr: "at most 12 integer digits"},
		{in: "01", wantErr: "leading zeros"},
		{in: "00.5", wantErr: "leading zeros"},
		{in: "1e3", wantErr: "plain decimal"},
		{in: "+1", wantErr: "plain decimal"},
		{in: " 1", wantErr: "plain decimal"},
		{in: "1 ", wantErr: "plain decimal"},
		{in: "NaN", wantErr: "plain decimal"},
		{in: "Inf", wantErr: "plain decimal"},
		{in: "1,50", wantErr: "plain decimal"},
		{in: "1.", wantErr: "plain decimal"},
		{in: ".5", wantErr: "plain decimal"},
		{in: "1.2.3", wantErr: "plain decimal"},
		{in: "0x10", wantErr: "plain decimal"},
		{in: "１", wantErr: "plain decimal"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := billing.ParseMoney(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseMoney(%q) = %v, %v; want error containing %q", tt.in, got, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseMoney(%q): %v", tt.in, err)
			}
			if s := billing.FormatMoney(got); s != tt.want {
				t.Errorf("ParseMoney(%q) = %s, want %s", tt.in, s, tt.want)
			}
		})
	}
}

func TestRoundCents(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"0.005", "0.01"},
		{"0.004", "0"},
		{"-0.005", "-0.01"},
		{"33.335", "33.34"},
		{"33.3349999", "33.33"},
		{"10", "10"},
		{"2.675", "2.68"}, // would be 2.67 through float64
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			if got := billing.RoundCents(money(tt.in)); !got.Equal(money(tt.want)) {
				t.Errorf("RoundCents(%s) = %s, want %s", tt.in, got, tt.want)
			}
		})
	}
}

func TestSplitExact(t *testing.T) {
	t.Parallel()
	tests := []struct {
		total   string
		n       int
		want    []string
		wantErr string
	}{
		{total: "100.00", n: 3, want: []string{"33.34", "33.33", "33.33"}},
		{total: "0.02", n: 3, want: []string{"0.02", "0.00", "0.00"}},
		{total: "100", n: 1, want: []string{"100.00"}},
		{total: "0", n: 2, want: []string{"0.00", "0.00"}},
		{total: "10.00", n: 4, want: []string{"2.50", "2.50", "2.50", "2.50"}},
		{total: "99.99", n: 7, want: []string{"14.31", "14.28", "14.28", "14.28", "14.28", "14.28", "14.28"}},
		{total: "1.230", n: 2, want: []string{"0.62", "0.61"}},
		{total: "9999999999999.99", n: 2, want: []string{"5000000000000.00", "4999999999999.99"}},
		{total: "100", n: 0, wantErr: "want at least 1"},
		{total: "100", n: -2, wantErr: "want at least 1"},
		{total: "-1.00", n: 2, wantErr: "must not be negative"},
		{total: "1.001", n: 2, wantErr: "at most two decimal places"},
	}
	for _, tt := range tests {
		t.Run(tt.total, func(t *testing.T) {
			t.Parallel()
			got, err := billing.SplitExact(money(tt.total), tt.n)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("SplitExact(%s, %d) = %v, %v; want error containing %q", tt.total, tt.n, got, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("SplitExact(%s, %d): %v", tt.total, tt.n, err)
			}
			gotS := make([]string, len(got))
			sum := decimal.Zero
			for i, p := range got {
				gotS[i] = billing.FormatMoney(p)
				sum = sum.Add(p)
			}
			if strings.Join(gotS, " ") != strings.Join(tt.want, " ") {
				t.Errorf("SplitExact(%s, %d) = %v, want %v", tt.total, tt.n, gotS, tt.want)
			}
			if !sum.Equal(money(tt.total)) {
				t.Errorf("parts add up to %s, want %s", sum, tt.total)
			}
		})
	}
}

func TestFormatMoney(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"33.4", "33.40"},
		{"0", "0.00"},
		{"1234567.5", "1234567.50"},
		{"0.005", "0.01"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			if got := billing.FormatMoney(money(tt.in)); got != tt.want {
				t.Errorf("FormatMoney(%s) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func FuzzParseMoney(f *testing.F) {
	for _, s := range []string{"99.90", "100", "0.5", "0", "-1", "1.234", "1e3", "+1", " 1", "NaN", "1,50", "1.", ".5", "99999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := billing.ParseMoney(s)
		if err != nil {
			return
		}
		if d.Sign() < 0 {
			t.Fatalf("ParseMoney(%q) = %s, negative", s, d)
		}
		if !d.Equal(d.Truncate(2)) {
			t.Fatalf("ParseMoney(%q) = %s, more than two decimals", s, d)
		}
		formatted := billing.FormatMoney(d)
		back, err := billing.ParseMoney(formatted)
		if err != nil {
			t.Fatalf("ParseMoney(FormatMoney(%s)) = %q: %v", s, formatted, err)
		}
		if !back.Equal(d) {
			t.Fatalf("round trip %q → %q → %s", s, formatted, back)
		}
	})
}

func FuzzSplitExact(f *testing.F) {
	f.Add(uint64(10000), uint16(3))
	f.Add(uint64(2), uint16(3))
	f.Add(uint64(0), uint16(1))
	f.Add(uint64(999999999999999), uint16(7))
	f.Fuzz(func(t *testing.T, cents uint64, n16 uint16) {
		n := int(n16%500) + 1
		total := decimal.NewFromUint64(cents).Shift(-2)
		parts, err := billing.SplitExact(total, n)
		if err != nil {
			t.Fatalf("SplitExact(%s, %d): %v", total, n, err)
		}
		if len(parts) != n {
			t.Fatalf("got %d parts, want %d", len(parts), n)
		}
		sum := decimal.Zero
		for i, p := range parts {
			sum = sum.Add(p)
			if p.Sign() < 0 || !p.Equal(p.Truncate(2)) {
				t.Fatalf("part %d = %s: want a non-negative amount in cents", i, p)
			}
			if i > 0 && !p.Equal(parts[1]) {
				t.Fatalf("parts after the first differ: %s vs %s", p, parts[1])
			}
		}
		if !sum.Equal(total) {
			t.Fatalf("parts add up to %s, want %s", sum, total)
		}
		if n > 1 {
			// The whole remainder goes to the first part, so it exceeds the
			// others by the remainder: 0 to n−1 cents.
			diff := parts[0].Sub(parts[1])
			if diff.Sign() < 0 || diff.GreaterThan(decimal.New(int64(n-1), -2)) {
				t.Fatalf("first part %s, others %s: want first larger by less than %d cents", parts[0], parts[1], n)
			}
		}
	})
}
