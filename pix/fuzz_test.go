package pix_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/billingd/billingd/pix"
)

// FuzzParseBRCode checks that reading any text never panics, that a payload read successfully
// re-encodes to one that reads back the same, and that the re-encoding is the input itself
// when the input was written the canonical way (fields in ascending ID order, no empty values,
// the amount with two decimals, the CRC in upper case), as Encode writes it.
func FuzzParseBRCode(f *testing.F) {
	f.Add(bcbExample)
	f.Add(dynamicExample)
	f.Add("00020126580014br.gov.bcb.pix0136123e4567-e12b-12d1-a456-426655440000520400005303986540599.905802BR5917ACADEMIA SAO JOAO6009SAO PAULO62140510BLD12345676304EE22")
	f.Add("")
	f.Fuzz(func(t *testing.T, in string) {
		checkRoundTrip(t, in)
		// The same text with its CRC made right, so the fuzzer reaches the structural checks.
		if trimmed := strings.TrimSpace(in); len(trimmed) >= 8 && strings.HasSuffix(trimmed[:len(trimmed)-4], "6304") {
			body := trimmed[:len(trimmed)-4]
			checkRoundTrip(t, body+hex4(refCRC16(body)))
		}
	})
}

// checkRoundTrip parses in and, when it reads, checks the re-encoding.
func checkRoundTrip(t *testing.T, in string) {
	t.Helper()
	{
		p, err := pix.Parse(in)
		if err != nil {
			return
		}
		out, err := pix.Encode(p)
		if err != nil {
			t.Fatalf("Parse(%q) = %+v, which Encode refuses: %v", in, p, err)
		}
		again, err := pix.Parse(out)
		if err != nil || !samePayload(again, p) {
			t.Fatalf("re-encoded %q reads as %+v, %v; want %+v", out, again, err, p)
		}
		if trimmed := strings.TrimSpace(in); canonical(trimmed) && out != trimmed {
			t.Fatalf("canonical input %q re-encodes as %q", trimmed, out)
		}
	}
}

// samePayload compares two payloads, their amounts by value.
func samePayload(a, b pix.Payload) bool {
	amounts := a.Amount.Valid == b.Amount.Valid && (!a.Amount.Valid || a.Amount.Decimal.Equal(b.Amount.Decimal))
	a.Amount, b.Amount = b.Amount, a.Amount
	return amounts && a.PointOfInitiation == b.PointOfInitiation && a.GUI == b.GUI && a.Key == b.Key &&
		a.Description == b.Description && a.URL == b.URL && a.MerchantCategory == b.MerchantCategory &&
		a.Currency == b.Currency && a.Country == b.Country && a.Name == b.Name && a.City == b.City &&
		a.PostalCode == b.PostalCode && a.TxID == b.TxID && slices.Equal(a.Extra, b.Extra) &&
		slices.Equal(a.AccountExtra, b.AccountExtra) && slices.Equal(a.AdditionalExtra, b.AdditionalExtra)
}

// canonical reports whether the valid payload s is written the way Encode writes: top-level
// fields and the sub-fields of 26 and 62 in ascending ID order with no empty value, the amount
// with exactly two decimals, and the CRC in upper case.
func canonical(s string) bool {
	if strings.ToUpper(s[len(s)-4:]) != s[len(s)-4:] {
		return false
	}
	var walk func(body string, nested bool) bool
	walk = func(body string, nested bool) bool {
		prev := ""
		for len(body) > 0 {
			id, n := body[:2], int(body[2]-'0')*10+int(body[3]-'0')
			v := body[4 : 4+n]
			body = body[4+n:]
			if id <= prev || v == "" {
				return false
			}
			prev = id
			switch {
			case !nested && id == "54":
				if dot := strings.IndexByte(v, '.'); dot < 0 || len(v)-dot != 3 {
					return false
				}
			case !nested && (id == "26" || id == "62"):
				if !walk(v, true) {
					return false
				}
			}
		}
		return true
	}
	return walk(s[:len(s)-8], false)
}
