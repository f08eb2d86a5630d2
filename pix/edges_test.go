package pix_test

import (
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/billingd/billingd/pix"
)

// TestEncodeEdges pins whole BR Codes at the edges of the rules; each CRC was worked out
// apart from the package (CRC-16/CCITT-FALSE, polynomial 0x1021, initial 0xFFFF, by a short
// Python loop that gives 1D3D for the BCB example): an amount of 0.00 is written and no
// field 62 appears without a txid or extra, a 99-character value is the longest written,
// a 25-character txid the longest, and extra additional data sits after the txid.
func TestEncodeEdges(t *testing.T) {
	t.Parallel()
	const head = "000201" + "26580014br.gov.bcb.pix0136123e4567-e12b-12d1-a456-426655440000" + "52040000" + "5303986"
	base := pix.Payload{Key: "123e4567-e12b-12d1-a456-426655440000", Name: "Fulano de Tal", City: "BRASILIA"}
	for _, tc := range []struct {
		name   string
		change func(*pix.Payload)
		want   string
	}{
		{"amount 0.00, no txid: no field 62", func(p *pix.Payload) { p.Amount = decimal.NewNullDecimal(money("0")) },
			head + "54040.00" + "5802BR5913Fulano de Tal6008BRASILIA" + "6304DFD9"},
		{"amount 1.00", func(p *pix.Payload) { p.Amount = decimal.NewNullDecimal(money("1")) },
			head + "54041.00" + "5802BR5913Fulano de Tal6008BRASILIA" + "6304B553"},
		{"a value of 99 characters", func(p *pix.Payload) {
			p.Amount = decimal.NewNullDecimal(money("0.00"))
			p.Extra = []pix.Field{{ID: "99", Value: strings.Repeat("x", 99)}}
		}, head + "54040.00" + "5802BR5913Fulano de Tal6008BRASILIA" + "9999" + strings.Repeat("x", 99) + "630423DF"},
		{"a txid of 25 characters", func(p *pix.Payload) {
			p.Amount = decimal.NewNullDecimal(money("0.00"))
			p.TxID = strings.Repeat("A", 25)
		}, head + "54040.00" + "5802BR5913Fulano de Tal6008BRASILIA" + "62290525AAAAAAAAAAAAAAAAAAAAAAAAA" + "630474D5"},
		{"txid *** and extra additional data", func(p *pix.Payload) {
			p.Amount = decimal.NewNullDecimal(money("99.9"))
			p.TxID = "***"
			p.AdditionalExtra = []pix.Field{{ID: "50", Value: "0ab"}}
		}, head + "540599.90" + "5802BR5913Fulano de Tal6008BRASILIA" + "62140503***50030ab" + "6304DAB1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := base
			tc.change(&p)
			got, err := pix.Encode(p)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("Encode =\n%s\nwant\n%s", got, tc.want)
			}
			back, err := pix.Parse(got)
			if err != nil || back.TxID != p.TxID || back.Amount.Decimal.StringFixed(2) != p.Amount.Decimal.StringFixed(2) {
				t.Errorf("Parse(Encode) = %+v, %v", back, err)
			}
		})
	}
}

// TestTxIDCharacters: a txid is ASCII letters and digits (or ***): the ends of each range
// pass, the characters next to them do not.
func TestTxIDCharacters(t *testing.T) {
	t.Parallel()
	base := pix.Payload{Key: "pix@bcb.gov.br", Name: "FULANO", City: "BRASILIA"}
	for _, ok := range []string{"0", "9", "a", "z", "A", "Z", "09azAZ", "***"} {
		p := base
		p.TxID = ok
		if _, err := pix.Encode(p); err != nil {
			t.Errorf("txid %q: %v, want accepted", ok, err)
		}
	}
	for _, bad := range []string{"/", ":", "@", "[", "`", "{", "A-1", "**"} {
		p := base
		p.TxID = bad
		_, err := pix.Encode(p)
		fieldError(t, err, `brcode: txid (62-05) "`+bad+`": want letters and digits only, or ***`)
	}
	p := base
	p.TxID = strings.Repeat("A", 26)
	_, err := pix.Encode(p)
	fieldError(t, err, "brcode: txid (62-05) is 26 characters, want at most 25")
}

// TestParseRefusesShort: the shortest input that ends like a CRC field still has its CRC
// read; a fragment shorter than an ID and a length, and a last field shorter than its
// length, are refused with where they are.
func TestParseRefusesShort(t *testing.T) {
	t.Parallel()
	withCRC := func(body string) string { return body + "6304" + hex4(refCRC16(body+"6304")) }
	const head = "000201" + "26580014br.gov.bcb.pix0136123e4567-e12b-12d1-a456-426655440000" + "52040000" + "5303986"
	for _, tc := range []struct{ name, in, err string }{
		{"12 characters", "ABCD6304ZZZZ", `brcode: CRC (63) "ZZZZ" is not four hex digits`},
		{"11 characters", "ABC6304ZZZZ", `brcode: want a payload ending in field 63 ("6304" and four hex digits)`},
		{"a trailing fragment", withCRC(head + "5802BR5913Fulano de Tal6008BRASILIA" + "12"), `brcode: at character 119: "12" is too short for an ID and a length`},
		{"the last field 2 short", withCRC(head + "5802BR5913Fulano de Tal6010BRASILIA"), "brcode: at character 107: field 60's length 10 runs past the end"},
		{"a sub-field fragment", withCRC("000201" + "26210014br.gov.bcb.pix015" + "52040000" + "5303986" + "5802BR5901A6001B"),
			`brcode: inside field 26 at character 19: "015" is too short for an ID and a length`},
		{"a repeated sub-field", withCRC("000201" + "26360014br.gov.bcb.pix0014br.gov.bcb.pix" + "52040000" + "5303986" + "5802BR5901A6001B"),
			"brcode: inside field 26 at character 19: field 26-00 appears twice"},
		{"an empty category", withCRC("000201" + "26580014br.gov.bcb.pix0136123e4567-e12b-12d1-a456-426655440000" + "5200" + "5303986" + "5802BR5901A6001B"),
			"brcode: fields 52, 53 and 58 must not be empty"},
		{"no GUI", withCRC("000201" + "26080104abcd" + "52040000" + "5303986" + "5802BR5901A6001B"), "brcode: merchant account (26) has no GUI (00)"},
		{"a second format indicator", withCRC("000201" + "000201" + "26580014br.gov.bcb.pix0136123e4567-e12b-12d1-a456-426655440000"), "brcode: field 00 appears twice"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := pix.Parse(tc.in)
			fieldError(t, err, tc.err)
		})
	}
}

// TestValidateKeyDomain: every character of an e-mail key's domain is checked.
func TestValidateKeyDomain(t *testing.T) {
	t.Parallel()
	_, err := pix.ValidateKey("pix@bcb_gov.br")
	fieldError(t, err, `pix.key: e-mail key "pix@bcb_gov.br": character _ is not allowed in the domain`)
	if typ, err := pix.ValidateKey("pix@bcb-gov.br"); err != nil || typ != pix.KeyEmail {
		t.Errorf("ValidateKey(pix@bcb-gov.br) = %s, %v; want an e-mail key", typ, err)
	}
}

// TestValidateKeyRandomDigits: a random key's hex digits run from 0 to 9 and a to f; the
// characters next to those ranges are refused.
func TestValidateKeyRandomDigits(t *testing.T) {
	t.Parallel()
	for _, key := range []string{"0a9f4567-e12b-12d1-a456-42665544ffff", "99999999-0000-aaaa-ffff-000000000000"} {
		if typ, err := pix.ValidateKey(key); err != nil || typ != pix.KeyEVP {
			t.Errorf("ValidateKey(%s) = %s, %v; want a random key", key, typ, err)
		}
	}
	for _, key := range []string{"/a9f4567-e12b-12d1-a456-42665544ffff", ":a9f4567-e12b-12d1-a456-42665544ffff",
		"`a9f4567-e12b-12d1-a456-42665544ffff", "ga9f4567-e12b-12d1-a456-42665544ffff"} {
		_, err := pix.ValidateKey(key)
		fieldError(t, err, `pix.key: random key "`+key+`": want a lower-case UUID (123e4567-e12b-12d1-a456-426655440000)`)
	}
}

// TestValidateKeyDomainCharacters: an e-mail key's domain takes lower-case letters a to z,
// digits 0 to 9, dots and hyphens; the characters next to those ranges are refused.
func TestValidateKeyDomainCharacters(t *testing.T) {
	t.Parallel()
	if typ, err := pix.ValidateKey("a@az09.za90"); err != nil || typ != pix.KeyEmail {
		t.Errorf("ValidateKey(a@az09.za90) = %s, %v; want an e-mail key", typ, err)
	}
	for _, c := range []string{"`", "{", "/", ":"} {
		key := "a@b" + c + ".com"
		_, err := pix.ValidateKey(key)
		fieldError(t, err, `pix.key: e-mail key "`+key+`": character `+c+` is not allowed in the domain`)
	}
}

// TestNormalizeTextCharacters: letters A to Z (lower case raised), digits 0 to 9 and
// " . , - / & '" pass; the characters next to those ranges are refused with their place.
func TestNormalizeTextCharacters(t *testing.T) {
	t.Parallel()
	got, err := pix.NormalizeText("pix.city", "  az AZ  09 .,-/&'  ", 25)
	if err != nil || got != "AZ AZ 09 .,-/&'" {
		t.Errorf("NormalizeText = %q, %v; want %q", got, err, "AZ AZ 09 .,-/&'")
	}
	for _, tc := range []struct{ in, err string }{
		{"A@", `pix.city: character '@' at 2 is not allowed (letters, digits, space and . , - / & ' after removing accents)`},
		{"Z[", `pix.city: character '[' at 2 is not allowed (letters, digits, space and . , - / & ' after removing accents)`},
		{"9:", `pix.city: character ':' at 2 is not allowed (letters, digits, space and . , - / & ' after removing accents)`},
		{"`", "pix.city: character '`' at 1 is not allowed (letters, digits, space and . , - / & ' after removing accents)"},
		{"{", `pix.city: character '{' at 1 is not allowed (letters, digits, space and . , - / & ' after removing accents)`},
		{"   ", "pix.city: required"},
		{"ABCDEFGHIJKLMNOP", `pix.city: "ABCDEFGHIJKLMNOP" is 16 characters, want at most 15: choose a shorter form`},
	} {
		_, err := pix.NormalizeText("pix.city", tc.in, 15)
		fieldError(t, err, tc.err)
	}
	if got, err := pix.NormalizeText("pix.city", "ABCDEFGHIJKLMNO", 15); err != nil || got != "ABCDEFGHIJKLMNO" {
		t.Errorf("NormalizeText of 15 characters = %q, %v", got, err)
	}
}

// TestTxIDPrefixLetters: a txid prefix is letters A to Z; '@' and '[' next to them are not.
func TestTxIDPrefixLetters(t *testing.T) {
	t.Parallel()
	if err := pix.ValidateTxIDPrefix("AZ"); err != nil {
		t.Errorf("ValidateTxIDPrefix(AZ) = %v, want nil", err)
	}
	for _, p := range []string{"A@", "Z[", "a"} {
		fieldError(t, pix.ValidateTxIDPrefix(p), `pix.txid_prefix: want 1 to 6 upper-case letters A-Z, got "`+p+`"`)
	}
	if _, err := pix.TxID("BLD", 0); err == nil || err.Error() != "installment_id: must be at least 1, got 0" {
		t.Errorf("TxID(BLD, 0) = %v, want installment_id: must be at least 1, got 0", err)
	}
}

// TestEncodeAccountExtra: an extra merchant account sub-field is written inside field 26
// after the key (CRC worked out apart); the IDs the named sub-fields use, and an ID that is
// not two digits, are refused.
func TestEncodeAccountExtra(t *testing.T) {
	t.Parallel()
	base := pix.Payload{Key: "pix@bcb.gov.br", Name: "FULANO", City: "BRASILIA"}
	p := base
	p.AccountExtra = []pix.Field{{ID: "03", Value: "extra"}}
	got, err := pix.Encode(p)
	if want := "000201" + "26450014br.gov.bcb.pix0114pix@bcb.gov.br0305extra" + "52040000" + "5303986" + "5802BR5906FULANO6008BRASILIA" + "630495DB"; err != nil || got != want {
		t.Errorf("Encode = %q, %v; want %q", got, err, want)
	}
	for _, id := range []string{"00", "01", "02", "25", "3"} {
		p := base
		p.AccountExtra = []pix.Field{{ID: id, Value: "x"}}
		_, err := pix.Encode(p)
		fieldError(t, err, `brcode: extra merchant account field "`+id+`": want a two-digit ID other than 00, 01, 02 and 25`)
	}
	for _, id := range []string{"05", "5"} {
		p := base
		p.AdditionalExtra = []pix.Field{{ID: id, Value: "x"}}
		_, err := pix.Encode(p)
		fieldError(t, err, `brcode: extra additional data field "`+id+`": want a two-digit ID other than 05`)
	}
}
