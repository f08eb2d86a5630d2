package boleto

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/billingd/billingd/billing"
)

// Layout is one bank's free-field layout: how settings and a nosso-número sequence number
// become the 25 digits of the barcode's free field, and how the bank's CNAB 240 return file
// names the boleto again.
type Layout interface {
	// Name names the layout in messages ("bb-convenio7").
	Name() string
	// Validate checks the settings fields the layout reads and returns the first problem as a
	// *billing.FieldError. BankCode and Agency are checked by Settings.Validate before it.
	Validate(s Settings) error
	// MaxSequence is the largest nosso-número sequence number the layout carries.
	MaxSequence() int64
	// Compose returns the nosso número and the 25-digit free field for sequence number seq
	// (1..MaxSequence) under settings that passed Validate.
	Compose(s Settings, seq int64) (NossoNumero, string)
	// ReturnKey extracts the nosso-número key (NossoNumero.Key) from positions 38–57 of a CNAB
	// 240 segment T ("identificação do título no banco") as this bank writes them; ok is false
	// when the field does not hold one.
	ReturnKey(field string) (key string, ok bool)
}

// NossoNumero is the number that identifies a boleto at the bank.
type NossoNumero struct {
	// Key is the digits that identify the boleto, without check digit: what a return file is
	// matched on (Banco do Brasil: convênio + sequence, 17 digits; Itaú: 8; Bradesco: 11).
	Key string
	// CheckDigit is the bank's check digit of the nosso número, or "" where the layout has none.
	CheckDigit string
	// Printed is the nosso número as printed on the boleto ("175/12345678-6").
	Printed string
}

// builtinLayouts are the layouts selected by bank code when no template is set: the table to
// extend when adding a bank.
var builtinLayouts = map[string]Layout{
	"001": &TemplateLayout{
		LayoutName:    "bb-convenio7",
		FreeField:     "000000VVVVVVVNNNNNNNNNNWW",
		Key:           "VVVVVVVNNNNNNNNNN",
		Wallets:       []string{"17", "18"},
		AccountDigits: 8,
		ReturnOffset:  0, // BB writes the 17-digit nosso número left-aligned in positions 38–57
		ReturnLength:  17,
	},
	"237": &TemplateLayout{
		LayoutName:   "bradesco",
		FreeField:    "AAAAWWNNNNNNNNNNNKKKKKKK0",
		Key:          "NNNNNNNNNNN",
		CheckDigit:   func(wallet, key string) string { return bradescoCheckDigit(wallet + key) },
		PrintWallet:  true,
		ReturnOffset: 8, // 38–40 carteira, 41–45 zeros, 46–56 nosso número, 57 check digit
		ReturnLength: 11,
	},
	"341": itauLayout{},
}

// Layouts returns the built-in layouts by bank code (a copy: the table itself is fixed).
func Layouts() map[string]Layout {
	out := make(map[string]Layout, len(builtinLayouts))
	for k, v := range builtinLayouts {
		out[k] = v
	}
	return out
}

// TemplateLayout is a free-field layout spelled as a 25-character template, one character per
// position: A the agência (4), K the conta (left-padded with zeros to the run's width), W the
// carteira (exactly the run's width), V the convênio (exactly the run's width), N the
// nosso-número sequence number (left-padded with zeros; its width bounds MaxSequence), and a
// digit for itself. Each letter appears as at most one run; N must appear.
type TemplateLayout struct {
	// LayoutName names the layout in messages.
	LayoutName string
	// FreeField is the 25-character template of the free field.
	FreeField string
	// Key is the template of the nosso-número key, from the same letters with the same run
	// widths as FreeField.
	Key string
	// CheckDigit computes the nosso número's check digit from the carteira and the key; nil for none.
	CheckDigit func(wallet, key string) string
	// PrintWallet prints the nosso número as "carteira/key-digit" instead of "key-digit".
	PrintWallet bool
	// Wallets lists the carteiras the layout supports; empty means any.
	Wallets []string
	// AccountDigits is the most digits of the conta when the template has no K (default 12).
	AccountDigits int
	// ReturnOffset and ReturnLength locate the key inside positions 38–57 of a CNAB 240
	// segment T (0-based offset); a zero length means the whole field, trimmed of spaces.
	ReturnOffset, ReturnLength int
}

// NewTemplateLayout returns the generic layout of template, whose nosso-número key is its N
// run, after checking the template (a *billing.FieldError on "bank.free_field_template").
func NewTemplateLayout(template string) (*TemplateLayout, error) {
	l := &TemplateLayout{LayoutName: "template", FreeField: template}
	runs, err := l.runs()
	if err != nil {
		return nil, err
	}
	l.Key = strings.Repeat("N", runs['N'][1])
	return l, nil
}

// Name names the layout.
func (l *TemplateLayout) Name() string { return l.LayoutName }

// runs checks the template and returns each letter's run as {start, length}.
func (l *TemplateLayout) runs() (map[byte][2]int, error) {
	bad := func(format string, args ...any) error {
		return billing.Fieldf("bank.free_field_template", "%q: %s", l.FreeField, fmt.Sprintf(format, args...))
	}
	t := l.FreeField
	if len(t) != 25 {
		return nil, bad("want 25 characters, got %d", len(t))
	}
	runs := map[byte][2]int{}
	for i := 0; i < len(t); i++ {
		c := t[i]
		switch c {
		case 'A', 'K', 'W', 'V', 'N':
		default:
			if c < '0' || c > '9' {
				return nil, bad("character %d (%q) is not one of A K W V N or a digit", i+1, rune(c))
			}
			continue
		}
		if i > 0 && t[i-1] == c {
			continue
		}
		if _, seen := runs[c]; seen {
			return nil, bad("letter %c appears in more than one run", c)
		}
		j := i
		for j < len(t) && t[j] == c {
			j++
		}
		runs[c] = [2]int{i, j - i}
	}
	if _, ok := runs['N']; !ok {
		return nil, bad("no N (nosso-número sequence) positions")
	}
	if a, ok := runs['A']; ok && a[1] != 4 {
		return nil, bad("the agência run is %d positions, want 4", a[1])
	}
	if n := runs['N'][1]; n > 18 {
		return nil, bad("the N run is %d positions, want at most 18", n)
	}
	return runs, nil
}

// Validate checks the conta, carteira and convênio against the template.
func (l *TemplateLayout) Validate(s Settings) error {
	runs, err := l.runs()
	if err != nil {
		return err
	}
	accountDigits := l.AccountDigits
	if k, ok := runs['K']; ok {
		accountDigits = k[1]
	} else if accountDigits == 0 {
		accountDigits = 12
	}
	if err := checkDigits("bank.account", s.Account, accountDigits); err != nil {
		return err
	}
	if w, ok := runs['W']; ok {
		if err := checkExactDigits("bank.wallet", s.Wallet, w[1]); err != nil {
			return err
		}
	}
	if err := checkWallet(l.LayoutName, s.Wallet, l.Wallets); err != nil {
		return err
	}
	if v, ok := runs['V']; ok {
		if err := checkExactDigits("bank.convenio", s.Convenio, v[1]); err != nil {
			return err
		}
	}
	return nil
}

// MaxSequence is the largest number the N run holds.
func (l *TemplateLayout) MaxSequence() int64 {
	n := strings.Count(l.FreeField, "N")
	max := int64(1)
	for i := 0; i < n; i++ {
		max *= 10
	}
	return max - 1
}

// Compose fills the template for sequence number seq.
func (l *TemplateLayout) Compose(s Settings, seq int64) (NossoNumero, string) {
	nn := NossoNumero{Key: fillTemplate(l.Key, s, seq)}
	if l.CheckDigit != nil {
		nn.CheckDigit = l.CheckDigit(s.Wallet, nn.Key)
	}
	nn.Printed = nn.Key
	if nn.CheckDigit != "" {
		nn.Printed += "-" + nn.CheckDigit
	}
	if l.PrintWallet {
		nn.Printed = s.Wallet + "/" + nn.Printed
	}
	return nn, fillTemplate(l.FreeField, s, seq)
}

// fillTemplate writes template t run by run: each run of a letter gets its value left-padded
// with zeros to the run's width (a longer value keeps its last digits); digits stand for themselves.
func fillTemplate(t string, s Settings, seq int64) string {
	b := make([]byte, 0, len(t))
	for i := 0; i < len(t); {
		c := t[i]
		if c >= '0' && c <= '9' {
			b = append(b, c)
			i++
			continue
		}
		j := i
		for j < len(t) && t[j] == c {
			j++
		}
		var v string
		switch c {
		case 'A':
			v = s.Agency
		case 'K':
			v = s.Account
		case 'W':
			v = s.Wallet
		case 'V':
			v = s.Convenio
		case 'N':
			v = strconv.FormatInt(seq, 10)
		}
		b = appendPadded(b, v, j-i)
		i = j
	}
	return string(b)
}

// appendPadded appends v to b left-padded with zeros to width, or its last width characters.
func appendPadded(b []byte, v string, width int) []byte {
	if len(v) >= width {
		return append(b, v[len(v)-width:]...)
	}
	for range width - len(v) {
		b = append(b, '0')
	}
	return append(b, v...)
}

// ReturnKey extracts the key at ReturnOffset/ReturnLength of the segment T field.
func (l *TemplateLayout) ReturnKey(field string) (string, bool) {
	return spanKey(field, l.ReturnOffset, l.ReturnLength)
}

// spanKey returns the digits at offset..offset+length of field, or the whole field trimmed of
// spaces when length is 0; ok is false when they are not all digits.
func spanKey(field string, offset, length int) (string, bool) {
	if length == 0 {
		k := strings.TrimSpace(field)
		return k, k != ""
	}
	if offset+length > len(field) {
		return "", false
	}
	k := field[offset : offset+length]
	return k, billing.AllDigits(k)
}
