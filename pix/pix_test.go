package pix_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/pix"
	"github.com/shopspring/decimal"
)

// bcbExample is the static payload printed in the BCB's "Manual de Padrões para Iniciação do
// Pix" (Regulamento Pix, Anexo II; the example of the static QR code without an amount).
const bcbExample = "00020126580014br.gov.bcb.pix0136123e4567-e12b-12d1-a456-4266554400005204000053039865802BR5913Fulano de Tal6008BRASILIA62070503***63041D3D"

// dynamicExample is a dynamic payload (a PSP's URL instead of a key) as quoted in public BR
// Code test suites.
const dynamicExample = "00020126850014br.gov.bcb.pix2563pix.voluti.com.br/qr/v3/at/c75d8412-3935-49d1-9d80-6435716962665204000053039865802BR5925SMARTPAY_SERVICOS_DIGITAI6013FLORIANOPOLIS62070503***6304575A"

func money(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func fieldError(t *testing.T, err error, want string) {
	t.Helper()
	var fe *billing.FieldError
	if !errors.As(err, &fe) || err.Error() != want {
		t.Fatalf("error %v, want the FieldError %q", err, want)
	}
}

func TestParsePublished(t *testing.T) {
	t.Parallel()
	p, err := pix.Parse(bcbExample)
	if err != nil {
		t.Fatal(err)
	}
	if p.Key != "123e4567-e12b-12d1-a456-426655440000" || p.Name != "Fulano de Tal" || p.City != "BRASILIA" || p.TxID != "***" ||
		p.Amount.Valid || p.MerchantCategory != "0000" || p.Currency != "986" || p.Country != "BR" || p.GUI != pix.GUI {
		t.Fatalf("BCB example read as %+v", p)
	}
	if got, err := pix.Encode(p); err != nil || got != bcbExample {
		t.Fatalf("BCB example re-encodes as %q, %v", got, err)
	}
	// Fields in another order read the same; Encode writes them in ascending ID order again.
	shuffled := "000201" + "5802BR" + "5913Fulano de Tal" + "6008BRASILIA" + "62070503***" + "52040000" + "5303986" +
		"26580014br.gov.bcb.pix0136123e4567-e12b-12d1-a456-426655440000" + "6304"
	shuffled += hex4(refCRC16(shuffled))
	if q, err := pix.Parse(shuffled); err != nil || !samePayload(q, p) {
		t.Fatalf("shuffled BCB example read as %+v, %v; want %+v", q, err, p)
	} else if got, err := pix.Encode(q); err != nil || got != bcbExample {
		t.Fatalf("shuffled BCB example re-encodes as %q, %v; want the example", got, err)
	}
	d, err := pix.Parse(dynamicExample + "\n")
	if err != nil {
		t.Fatal(err)
	}
	if d.Key != "" || d.URL != "pix.voluti.com.br/qr/v3/at/c75d8412-3935-49d1-9d80-643571696266" || d.Name != "SMARTPAY_SERVICOS_DIGITAI" || d.City != "FLORIANOPOLIS" {
		t.Fatalf("dynamic example read as %+v", d)
	}
	if got, err := pix.Encode(d); err != nil || got != dynamicExample {
		t.Fatalf("dynamic example re-encodes as %q, %v", got, err)
	}
}

// TestIssue pins exact payloads; every field is spelled out below and the CRC is recomputed by
// the bit-by-bit reference.
func TestIssue(t *testing.T) {
	t.Parallel()
	is, err := pix.NewIssuer(pix.Receiver{Key: "123e4567-e12b-12d1-a456-426655440000", Name: "  Academia  São João ", City: "São Paulo", TxIDPrefix: "BLD"})
	if err != nil {
		t.Fatal(err)
	}
	if r := is.Receiver(); r.Name != "ACADEMIA SAO JOAO" || r.City != "SAO PAULO" {
		t.Fatalf("normalised receiver %+v", r)
	}
	for _, tc := range []struct {
		charge pix.Charge
		txid   string
		body   string
		crc    string
	}{
		{
			charge: pix.Charge{InstallmentID: 1234567, Amount: money("99.9")},
			txid:   "BLD1234567",
			body: "000201" + "26580014br.gov.bcb.pix0136123e4567-e12b-12d1-a456-426655440000" + "52040000" + "5303986" + "540599.90" +
				"5802BR" + "5917ACADEMIA SAO JOAO" + "6009SAO PAULO" + "62140510BLD1234567" + "6304",
			crc: "EE22",
		},
		{
			charge: pix.Charge{InstallmentID: 9223372036854775807, Amount: money("1234567890.12")},
			txid:   "BLD9223372036854775807",
			body: "000201" + "26580014br.gov.bcb.pix0136123e4567-e12b-12d1-a456-426655440000" + "52040000" + "5303986" + "54131234567890.12" +
				"5802BR" + "5917ACADEMIA SAO JOAO" + "6009SAO PAULO" + "62260522BLD9223372036854775807" + "6304",
		},
	} {
		got, err := is.Issue(tc.charge)
		if err != nil {
			t.Fatal(err)
		}
		want := tc.body + hex4(refCRC16(tc.body))
		if tc.crc != "" && !strings.HasSuffix(want, tc.crc) {
			t.Fatalf("reference CRC of %q is not %s", tc.body, tc.crc)
		}
		if got.TxID != tc.txid || got.BRCode != want {
			t.Fatalf("Issue(%+v) = %+v, want txid %s and %s", tc.charge, got, tc.txid, want)
		}
		p, err := pix.Parse(got.BRCode)
		if err != nil || p.TxID != tc.txid || !p.Amount.Valid || !p.Amount.Decimal.Equal(tc.charge.Amount) {
			t.Fatalf("Parse(issued) = %+v, %v", p, err)
		}
		if id, ok := pix.ParseTxID("BLD", p.TxID); !ok || id != tc.charge.InstallmentID {
			t.Fatalf("ParseTxID(%s) = %d, %v; want %d", p.TxID, id, ok, tc.charge.InstallmentID)
		}
	}
	out, err := is.IssueAll([]pix.Charge{{InstallmentID: 1, Amount: money("1")}, {InstallmentID: 2, Amount: money("0")}})
	fieldError(t, err, "charges[1].amount: want a positive amount with at most two decimals and 13 characters, got 0")
	if out != nil {
		t.Fatalf("IssueAll returned %d payloads with an error", len(out))
	}
	_, err = is.IssueAll([]pix.Charge{{InstallmentID: 0, Amount: money("1")}})
	fieldError(t, err, "charges[0].installment_id: must be at least 1, got 0")
	_, err = is.Issue(pix.Charge{InstallmentID: 5, Amount: money("1.005")})
	fieldError(t, err, "amount: want a positive amount with at most two decimals and 13 characters, got 1.005")
	_, err = is.Issue(pix.Charge{InstallmentID: 5, Amount: money("12345678901.00")})
	fieldError(t, err, "amount: want a positive amount with at most two decimals and 13 characters, got 12345678901")
}

// hex4 writes v as four upper-case hex digits.
func hex4(v uint16) string {
	const digits = "0123456789ABCDEF"
	return string([]byte{digits[v>>12], digits[v>>8&15], digits[v>>4&15], digits[v&15]})
}

func TestValidateKey(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		key string
		typ pix.KeyType
		err string
	}{
		{"11144477735", pix.KeyCPF, ""},
		{"11222333000181", pix.KeyCNPJ, ""},
		{"12ABC34501DE35", pix.KeyCNPJ, ""}, // the Receita Federal's alphanumeric CNPJ example
		{"pix@bcb.gov.br", pix.KeyEmail, ""},
		{"fulano.de_tal+cobranca@exemplo.com.br", pix.KeyEmail, ""},
		{"+5511987654321", pix.KeyPhone, ""},
		{"+556133334444", pix.KeyPhone, ""},
		{"123e4567-e12b-12d1-a456-426655440000", pix.KeyEVP, ""},
		{"", "", "pix.key: required"},
		{"11144477736", "", `pix.key: CPF key "11144477736": check digits do not match (a phone key starts with +55)`},
		{"11111111111", "", `pix.key: CPF key "11111111111": check digits do not match (a phone key starts with +55)`},
		{"11222333000182", "", `pix.key: CNPJ key "11222333000182": check digits do not match`},
		{"111.444.777-35", "", `pix.key: "111.444.777-35": write the key as the DICT stores it, without punctuation (CPF 11 digits, CNPJ 14 characters, phone +55…)`},
		{"Pix@bcb.gov.br", "", `pix.key: e-mail key "Pix@bcb.gov.br": write it in lower case, as the DICT stores it`},
		{"pix@bcb", "", `pix.key: e-mail key "pix@bcb": the domain needs dot-separated labels`},
		{"a@b@c.com", "", `pix.key: e-mail key "a@b@c.com": want one @ between a name and a domain`},
		{"pi x@bcb.gov.br", "", `pix.key: e-mail key "pi x@bcb.gov.br": character   is not allowed before the @`},
		{"+1415555123", "", `pix.key: phone key "+1415555123": want +55, a two-digit area code and an 8- or 9-digit number, digits only (+5511987654321)`},
		{"+5501987654321", "", `pix.key: phone key "+5501987654321": want +55, a two-digit area code and an 8- or 9-digit number, digits only (+5511987654321)`},
		{"+55 11 98765-4321", "", `pix.key: phone key "+55 11 98765-4321": want +55, a two-digit area code and an 8- or 9-digit number, digits only (+5511987654321)`},
		{"123E4567-E12B-12D1-A456-426655440000", "", `pix.key: random key "123E4567-E12B-12D1-A456-426655440000": want a lower-case UUID (123e4567-e12b-12d1-a456-426655440000)`},
		{"chave", "", `pix.key: "chave" is not a CPF (11 digits), CNPJ (14), e-mail, +55 phone or random key (UUID)`},
		{strings.Repeat("a", 70) + "@bcb.gov.br", "", "pix.key: want at most 77 characters, got 81"},
	} {
		typ, err := pix.ValidateKey(tc.key)
		if tc.err != "" {
			fieldError(t, err, tc.err)
			continue
		}
		if err != nil || typ != tc.typ {
			t.Errorf("ValidateKey(%q) = %s, %v; want %s", tc.key, typ, err, tc.typ)
		}
	}
}

func TestReceiverValidate(t *testing.T) {
	t.Parallel()
	ok := pix.Receiver{Key: "11222333000181", Name: "Padaria São João Ltda.", City: "Brasília", TxIDPrefix: "PSJ"}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	is, _ := pix.NewIssuer(ok)
	if r := is.Receiver(); r.Name != "PADARIA SAO JOAO LTDA." || r.City != "BRASILIA" {
		t.Fatalf("normalised %+v", r)
	}
	for _, tc := range []struct {
		change func(*pix.Receiver)
		err    string
	}{
		{func(r *pix.Receiver) { r.Key = "x" }, `pix.key: "x" is not a CPF (11 digits), CNPJ (14), e-mail, +55 phone or random key (UUID)`},
		{func(r *pix.Receiver) { r.Name = "Academia de Ginástica Corpo em Movimento" }, `pix.receiver_name: "ACADEMIA DE GINASTICA CORPO EM MOVIMENTO" is 40 characters, want at most 25: choose a shorter form`},
		{func(r *pix.Receiver) { r.Name = "Café ☕" }, `pix.receiver_name: character '☕' at 6 is not allowed (letters, digits, space and . , - / & ' after removing accents)`},
		{func(r *pix.Receiver) { r.Name = "   " }, "pix.receiver_name: required"},
		{func(r *pix.Receiver) { r.City = "São José dos Campos" }, `pix.city: "SAO JOSE DOS CAMPOS" is 19 characters, want at most 15: choose a shorter form`},
		{func(r *pix.Receiver) { r.TxIDPrefix = "" }, `pix.txid_prefix: want 1 to 6 upper-case letters, got ""`},
		{func(r *pix.Receiver) { r.TxIDPrefix = "ABCDEFG" }, `pix.txid_prefix: want 1 to 6 upper-case letters, got "ABCDEFG"`},
		{func(r *pix.Receiver) { r.TxIDPrefix = "AB1" }, `pix.txid_prefix: want 1 to 6 upper-case letters A-Z, got "AB1"`},
	} {
		r := ok
		tc.change(&r)
		fieldError(t, r.Validate(), tc.err)
		_, err := pix.NewIssuer(r)
		fieldError(t, err, tc.err)
	}
}

func TestTxID(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		prefix string
		id     int64
		want   string
	}{
		{"BLD", 1, "BLD1"},
		{"A", 42, "A42"},
		{"ABCDEF", 9223372036854775807, "ABCDEF9223372036854775807"}, // the longest: 25 characters
	} {
		got, err := pix.TxID(tc.prefix, tc.id)
		if err != nil || got != tc.want || len(got) > pix.MaxTxIDLength {
			t.Errorf("TxID(%s, %d) = %q, %v; want %q", tc.prefix, tc.id, got, err, tc.want)
		}
		if id, ok := pix.ParseTxID(tc.prefix, got); !ok || id != tc.id {
			t.Errorf("ParseTxID(%s, %s) = %d, %v", tc.prefix, got, id, ok)
		}
	}
	for _, tc := range []struct{ prefix, txid string }{
		{"BL", "BLD123"},  // another business's prefix that starts the same way
		{"BLD", "BLD"},    // no id
		{"BLD", "BLD012"}, // leading zero: TxID never writes one
		{"BLD", "BLD12A"},
		{"BLD", "XYZ12"},
		{"BLD", "BLD9223372036854775808"}, // overflow
		{"bld", "bld12"},                  // not a valid prefix
		{"BLD", "***"},
	} {
		if id, ok := pix.ParseTxID(tc.prefix, tc.txid); ok {
			t.Errorf("ParseTxID(%s, %s) = %d, want not ours", tc.prefix, tc.txid, id)
		}
	}
}

func TestParseRefuses(t *testing.T) {
	t.Parallel()
	// withCRC appends a correct CRC to body so the test reaches the structural checks.
	withCRC := func(body string) string { return body + "6304" + hex4(refCRC16(body+"6304")) }
	const head = "000201" + "26580014br.gov.bcb.pix0136123e4567-e12b-12d1-a456-426655440000"
	const tail = "5802BR5913Fulano de Tal6008BRASILIA62070503***"
	for _, tc := range []struct{ name, in, err string }{
		{"crc", strings.Replace(bcbExample, "1D3D", "1D3E", 1), "brcode: CRC (63) is 1D3E, the payload's is 1D3D"},
		{"altered", strings.Replace(bcbExample, "Fulano", "Fulana", 1), "brcode: CRC (63) is 1D3D, the payload's is 5669"},
		{"no crc", strings.TrimSuffix(bcbExample, "63041D3D"), `brcode: want a payload ending in field 63 ("6304" and four hex digits)`},
		{"crc not hex", strings.Replace(bcbExample, "1D3D", "1D3G", 1), `brcode: CRC (63) "1D3G" is not four hex digits`},
		{"format indicator", withCRC("000202" + head[6:] + "52040000" + "5303986" + tail), `brcode: want payload format indicator 00 "01" first`},
		{"overrun", withCRC(head + "52040000" + "5303986" + "5802BR5999Fulano"), "brcode: at character 90: field 59's length 99 runs past the end"},
		{"bad length", withCRC(head + "52X40000"), `brcode: at character 69: want a two-digit ID and a two-digit length, got "52X4"`},
		{"nested", withCRC("000201" + "26220014br.gov.bcb.pix0199" + "52040000"), "brcode: inside field 26 at character 19: field 01's length 99 runs past the end"},
		{"duplicate", withCRC(head + "52040000" + "52040000" + "5303986" + tail), "brcode: field 52 appears twice"},
		{"missing name", withCRC(head + "52040000" + "5303986" + "5802BR6008BRASILIA"), "brcode: mandatory field 59 is missing"},
		{"currency", withCRC(head + "52040000" + "5303840" + tail), `brcode: currency (53) is "840", want 986 (real)`},
		{"gui", withCRC("000201" + "26580014br.gov.bcb.pax0136123e4567-e12b-12d1-a456-426655440000" + "52040000" + "5303986" + tail), `brcode: merchant account (26-00) is "br.gov.bcb.pax", want br.gov.bcb.pix`},
		{"no key", withCRC("000201" + "26180014br.gov.bcb.pix" + "52040000" + "5303986" + tail), "brcode: merchant account (26) has neither a key (01) nor a URL (25)"},
		{"amount", withCRC(head + "52040000" + "5303986" + "540510,50" + tail), `brcode: amount (54) invalid amount "10,50": want a plain decimal like "99.90" (digits, optionally "." and one or two decimals)`},
		{"long name", withCRC(head + "52040000" + "5303986" + "5802BR5926ABCDEFGHIJKLMNOPQRSTUVWXYZ6008BRASILIA"), "brcode: receiver name (59) is 26 characters, want at most 25"},
		{"long city", withCRC(head + "52040000" + "5303986" + "5802BR5901A6016ABCDEFGHIJKLMNOP"), "brcode: receiver city (60) is 16 characters, want at most 15"},
		{"txid", withCRC(head + "52040000" + "5303986" + "5802BR5913Fulano de Tal6008BRASILIA62080504AB-1"), `brcode: txid (62-05) "AB-1": want letters and digits only, or ***`},
		{"crc in the middle", withCRC(head + "52040000" + "5303986" + "63041234" + tail), "brcode: field 63 (CRC) must be the last field"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := pix.Parse(tc.in)
			fieldError(t, err, tc.err)
		})
	}
}

func TestEncodeRefuses(t *testing.T) {
	t.Parallel()
	base := pix.Payload{Key: "pix@bcb.gov.br", Name: "FULANO", City: "BRASILIA"}
	for _, tc := range []struct {
		change func(*pix.Payload)
		err    string
	}{
		{func(p *pix.Payload) { p.Extra = []pix.Field{{ID: "26", Value: "x"}} }, `brcode: extra field "26": want a two-digit ID not written from the named fields`},
		{func(p *pix.Payload) { p.Extra = []pix.Field{{ID: "8", Value: "x"}} }, `brcode: extra field "8": want a two-digit ID not written from the named fields`},
		{func(p *pix.Payload) { p.Extra = []pix.Field{{ID: "80", Value: strings.Repeat("x", 100)}} }, "brcode: field 80 is 100 characters, want at most 99"},
		{func(p *pix.Payload) { p.Extra = []pix.Field{{ID: "80", Value: "a"}, {ID: "80", Value: "b"}} }, "brcode: field 80 appears twice"},
		{func(p *pix.Payload) { p.Key = strings.Repeat("k", 78) }, "brcode: field 26 is 100 characters, want at most 99"},
		{func(p *pix.Payload) { p.Amount = decimal.NewNullDecimal(money("-1")) }, "brcode: amount (54) -1: want a non-negative amount with at most two decimals and 13 characters"},
		{func(p *pix.Payload) { p.PointOfInitiation = "13" }, `brcode: point of initiation (01) is "13", want 11 or 12`},
		{func(p *pix.Payload) { p.Name = "" }, "brcode: receiver name (59) is missing"},
		{func(p *pix.Payload) { p.City = "" }, "brcode: receiver city (60) is missing"},
	} {
		p := base
		tc.change(&p)
		_, err := pix.Encode(p)
		fieldError(t, err, tc.err)
	}
	// Extra fields are written in ID order among the named ones.
	p := base
	p.Extra = []pix.Field{{ID: "80", Value: "z"}, {ID: "27", Value: "y"}}
	p.AdditionalExtra = []pix.Field{{ID: "50", Value: "x"}}
	got, err := pix.Encode(p)
	if err != nil {
		t.Fatal(err)
	}
	want := "000201" + "26360014br.gov.bcb.pix0114pix@bcb.gov.br" + "2701y" + "52040000" + "5303986" + "5802BR" + "5906FULANO" + "6008BRASILIA" + "62055001x" + "8001z" + "6304"
	if want += hex4(refCRC16(want)); got != want {
		t.Fatalf("Encode = %s, want %s", got, want)
	}
	if back, err := pix.Parse(got); err != nil || len(back.Extra) != 2 || back.Extra[0].ID != "27" || back.AdditionalExtra[0].Value != "x" {
		t.Fatalf("Parse(Encode) = %+v, %v", back, err)
	}
}
