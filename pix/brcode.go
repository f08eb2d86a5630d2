package pix

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/billingd/billingd/billing"
	"github.com/shopspring/decimal"
)

// GUI is the globally unique identifier of PIX in the merchant account field (26-00).
const GUI = "br.gov.bcb.pix"

// Limits of the payload's text fields.
const (
	// MaxNameLength is the longest receiver name (field 59).
	MaxNameLength = 25
	// MaxCityLength is the longest receiver city (field 60).
	MaxCityLength = 15
	// MaxTxIDLength is the longest txid (field 62-05).
	MaxTxIDLength = 25
)

// Field is one ID-length-value field of a payload kept as read: ID is two digits.
type Field struct {
	// ID is the field's two-digit identifier.
	ID string
	// Value is the field's value.
	Value string
}

// Payload is the content of a BR Code. Encode writes it and Parse reads it; fields the package
// does not interpret are kept in the Extra lists so a parsed payload re-encodes unchanged.
type Payload struct {
	// PointOfInitiation is field 01: "" (absent), "11" (reusable) or "12" (single use).
	PointOfInitiation string
	// GUI is field 26-00 as written; Encode writes the constant GUI when it is empty.
	GUI string
	// Key is the receiver's PIX key (26-01).
	Key string
	// Description is the free text for the payer (26-02); "" when absent.
	Description string
	// URL is the location of a dynamic payload (26-25); "" for a static one.
	URL string
	// MerchantCategory is field 52; Encode writes "0000" when it is empty.
	MerchantCategory string
	// Currency is field 53; Encode writes "986" (real) when it is empty.
	Currency string
	// Amount is field 54; not Valid when the payer types the amount.
	Amount decimal.NullDecimal
	// Country is field 58; Encode writes "BR" when it is empty.
	Country string
	// Name is the receiver's name (59), at most 25 characters.
	Name string
	// City is the receiver's city (60), at most 15 characters.
	City string
	// PostalCode is field 61; "" when absent.
	PostalCode string
	// TxID is the transaction id (62-05), letters and digits or "***"; "" when absent.
	TxID string
	// Extra are top-level fields not named above (27–51, 55–57, 64, 80–99…), in ID order.
	Extra []Field
	// AccountExtra are sub-fields of 26 not named above.
	AccountExtra []Field
	// AdditionalExtra are sub-fields of 62 other than 05.
	AdditionalExtra []Field
}

// Encode writes p as a BR Code: fields in ascending ID order, then "6304" and the CRC. It
// refuses a payload Parse would refuse, with a *billing.FieldError on "brcode".
func Encode(p Payload) (string, error) {
	if err := p.check(); err != nil {
		return "", err
	}
	account := []Field{{"00", or(p.GUI, GUI)}}
	account = appendIf(account, "01", p.Key)
	account = appendIf(account, "02", p.Description)
	account = appendIf(account, "25", p.URL)
	account = append(account, p.AccountExtra...)
	accountText, err := writeFields("26", account)
	if err != nil {
		return "", err
	}
	top := []Field{{"00", "01"}}
	top = appendIf(top, "01", p.PointOfInitiation)
	top = append(top, Field{"26", accountText}, Field{"52", or(p.MerchantCategory, "0000")}, Field{"53", or(p.Currency, "986")})
	if p.Amount.Valid {
		top = append(top, Field{"54", p.Amount.Decimal.StringFixed(2)})
	}
	top = append(top, Field{"58", or(p.Country, "BR")}, Field{"59", p.Name}, Field{"60", p.City})
	top = appendIf(top, "61", p.PostalCode)
	if p.TxID != "" || len(p.AdditionalExtra) > 0 {
		additional := appendIf(nil, "05", p.TxID)
		additional = append(additional, p.AdditionalExtra...)
		text, err := writeFields("62", additional)
		if err != nil {
			return "", err
		}
		top = append(top, Field{"62", text})
	}
	top = append(top, p.Extra...)
	body, err := writeFields("", top)
	if err != nil {
		return "", err
	}
	body += "6304"
	const hex = "0123456789ABCDEF"
	crc := CRC16(body)
	return body + string([]byte{hex[crc>>12], hex[crc>>8&15], hex[crc>>4&15], hex[crc&15]}), nil
}

// check validates the fields Encode and Parse both constrain.
func (p Payload) check() error {
	bad := func(format string, args ...any) error { return billing.Fieldf("brcode", format, args...) }
	switch {
	case p.PointOfInitiation != "" && p.PointOfInitiation != "11" && p.PointOfInitiation != "12":
		return bad("point of initiation (01) is %q, want 11 or 12", p.PointOfInitiation)
	case !strings.EqualFold(or(p.GUI, GUI), GUI):
		return bad("merchant account (26-00) is %q, want %s", p.GUI, GUI)
	case p.Key == "" && p.URL == "":
		return bad("merchant account (26) has neither a key (01) nor a URL (25)")
	case or(p.Currency, "986") != "986":
		return bad("currency (53) is %q, want 986 (real)", p.Currency)
	case p.Name == "":
		return bad("receiver name (59) is missing")
	case len(p.Name) > MaxNameLength:
		return bad("receiver name (59) is %d characters, want at most %d", len(p.Name), MaxNameLength)
	case p.City == "":
		return bad("receiver city (60) is missing")
	case len(p.City) > MaxCityLength:
		return bad("receiver city (60) is %d characters, want at most %d", len(p.City), MaxCityLength)
	case len(p.TxID) > MaxTxIDLength:
		return bad("txid (62-05) is %d characters, want at most %d", len(p.TxID), MaxTxIDLength)
	case p.TxID != "" && p.TxID != "***" && !isAlnum(p.TxID):
		return bad("txid (62-05) %q: want letters and digits only, or ***", p.TxID)
	}
	if p.Amount.Valid {
		if a := p.Amount.Decimal; a.Sign() < 0 || !a.Equal(a.Round(2)) || len(a.StringFixed(2)) > 13 {
			return bad("amount (54) %s: want a non-negative amount with at most two decimals and 13 characters", a.String())
		}
	}
	for _, f := range p.Extra {
		if known[f.ID] || f.ID == "63" || !isFieldID(f.ID) {
			return bad("extra field %q: want a two-digit ID not written from the named fields", f.ID)
		}
	}
	for _, f := range p.AccountExtra {
		if f.ID == "00" || f.ID == "01" || f.ID == "02" || f.ID == "25" || !isFieldID(f.ID) {
			return bad("extra merchant account field %q: want a two-digit ID other than 00, 01, 02 and 25", f.ID)
		}
	}
	for _, f := range p.AdditionalExtra {
		if f.ID == "05" || !isFieldID(f.ID) {
			return bad("extra additional data field %q: want a two-digit ID other than 05", f.ID)
		}
	}
	return nil
}

// known are the top-level IDs Payload names.
var known = map[string]bool{"00": true, "01": true, "26": true, "52": true, "53": true, "54": true, "58": true, "59": true, "60": true, "61": true, "62": true}

// writeFields writes fields in ascending ID order (stable); parent names the enclosing field
// in errors ("" for the top level). A value over 99 characters or a duplicate ID is refused.
func writeFields(parent string, fields []Field) (string, error) {
	byID := func(a, b Field) int { return strings.Compare(a.ID, b.ID) }
	if !slices.IsSortedFunc(fields, byID) {
		fields = slices.Clone(fields)
		slices.SortStableFunc(fields, byID)
	}
	size := 0
	for _, f := range fields {
		size += 4 + len(f.Value)
	}
	b := make([]byte, 0, size)
	for i, f := range fields {
		name := f.ID
		if parent != "" {
			name = parent + "-" + f.ID
		}
		if i > 0 && fields[i-1].ID == f.ID {
			return "", billing.Fieldf("brcode", "field %s appears twice", name)
		}
		if len(f.Value) > 99 {
			return "", billing.Fieldf("brcode", "field %s is %d characters, want at most 99", name, len(f.Value))
		}
		b = append(b, f.ID...)
		b = append(b, byte('0'+len(f.Value)/10), byte('0'+len(f.Value)%10))
		b = append(b, f.Value...)
	}
	return string(b), nil
}

// Parse reads a BR Code: it checks the CRC (field 63, the last), the payload format indicator
// (00 "01", the first), the structure of every field, the mandatory fields (26 with the PIX
// GUI and a key or URL, 52, 53 "986", 58, 59, 60) and the limits Encode enforces. Surrounding
// white space is ignored. Errors are *billing.FieldError values on "brcode".
func Parse(s string) (Payload, error) {
	bad := func(format string, args ...any) (Payload, error) {
		return Payload{}, billing.Fieldf("brcode", format, args...)
	}
	s = strings.TrimSpace(s)
	if len(s) < 12 || s[len(s)-8:len(s)-4] != "6304" {
		return bad("want a payload ending in field 63 (\"6304\" and four hex digits)")
	}
	got, err := strconv.ParseUint(s[len(s)-4:], 16, 16)
	if err != nil {
		return bad("CRC (63) %q is not four hex digits", s[len(s)-4:])
	}
	if want := CRC16(s[:len(s)-4]); uint16(got) != want {
		return bad("CRC (63) is %s, the payload's is %04X", s[len(s)-4:], want)
	}
	top, err := readFields("", s[:len(s)-8])
	if err != nil {
		return Payload{}, err
	}
	if len(top) == 0 || top[0].ID != "00" || top[0].Value != "01" {
		return bad("want payload format indicator 00 \"01\" first")
	}
	var p Payload
	seen := map[string]bool{}
	for _, f := range top[1:] {
		if seen[f.ID] || f.ID == "00" {
			return bad("field %s appears twice", f.ID)
		}
		seen[f.ID] = true
		switch f.ID {
		case "01":
			p.PointOfInitiation = f.Value
		case "26":
			sub, err := readFields("26", f.Value)
			if err != nil {
				return Payload{}, err
			}
			for _, g := range sub {
				switch g.ID {
				case "00":
					p.GUI = g.Value
				case "01":
					p.Key = g.Value
				case "02":
					p.Description = g.Value
				case "25":
					p.URL = g.Value
				default:
					p.AccountExtra = append(p.AccountExtra, g)
				}
			}
			if p.GUI == "" {
				return bad("merchant account (26) has no GUI (00)")
			}
		case "52":
			p.MerchantCategory = f.Value
		case "53":
			p.Currency = f.Value
		case "54":
			a, err := billing.ParseMoney(f.Value)
			if err != nil {
				return bad("amount (54) %s", err)
			}
			p.Amount = decimal.NewNullDecimal(a)
		case "58":
			p.Country = f.Value
		case "59":
			p.Name = f.Value
		case "60":
			p.City = f.Value
		case "61":
			p.PostalCode = f.Value
		case "62":
			sub, err := readFields("62", f.Value)
			if err != nil {
				return Payload{}, err
			}
			for _, g := range sub {
				if g.ID == "05" {
					p.TxID = g.Value
				} else {
					p.AdditionalExtra = append(p.AdditionalExtra, g)
				}
			}
		case "63":
			return bad("field 63 (CRC) must be the last field")
		default:
			p.Extra = append(p.Extra, f)
		}
	}
	for _, id := range []string{"26", "52", "53", "58", "59", "60"} {
		if !seen[id] {
			return bad("mandatory field %s is missing", id)
		}
	}
	if p.MerchantCategory == "" || p.Currency == "" || p.Country == "" {
		return bad("fields 52, 53 and 58 must not be empty")
	}
	// Encode writes every list in ascending ID order: keep the extras in that order, so a
	// payload read from a text written in another order re-encodes to one that reads the same.
	for _, extra := range [][]Field{p.Extra, p.AccountExtra, p.AdditionalExtra} {
		slices.SortStableFunc(extra, func(a, b Field) int { return strings.Compare(a.ID, b.ID) })
	}
	if err := p.check(); err != nil {
		return Payload{}, err
	}
	return p, nil
}

// readFields splits s into ID-length-value fields; parent names the enclosing field in errors.
// A sub-field list with a repeated ID is refused.
func readFields(parent string, s string) ([]Field, error) {
	var out []Field
	seen := map[string]bool{}
	for i := 0; i < len(s); {
		where := fmt.Sprintf("at character %d", i+1)
		if parent != "" {
			where = fmt.Sprintf("inside field %s %s", parent, where)
		}
		if len(s)-i < 4 {
			return nil, billing.Fieldf("brcode", "%s: %q is too short for an ID and a length", where, s[i:])
		}
		id, length := s[i:i+2], s[i+2:i+4]
		n, err := strconv.Atoi(length)
		if !isFieldID(id) || err != nil || !isFieldID(length) {
			return nil, billing.Fieldf("brcode", "%s: want a two-digit ID and a two-digit length, got %q", where, s[i:i+4])
		}
		if i+4+n > len(s) {
			return nil, billing.Fieldf("brcode", "%s: field %s's length %d runs past the end", where, id, n)
		}
		if parent != "" && seen[id] {
			return nil, billing.Fieldf("brcode", "%s: field %s-%s appears twice", where, parent, id)
		}
		seen[id] = true
		out = append(out, Field{ID: id, Value: s[i+4 : i+4+n]})
		i += 4 + n
	}
	return out, nil
}

// isFieldID reports whether s is exactly two ASCII digits.
func isFieldID(s string) bool {
	return len(s) == 2 && billing.AllDigits(s)
}

// isAlnum reports whether s is non-empty and only ASCII letters and digits.
func isAlnum(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

// or returns s, or def when s is empty.
func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// appendIf appends the field id=value when value is not empty.
func appendIf(fields []Field, id, value string) []Field {
	if value == "" {
		return fields
	}
	return append(fields, Field{ID: id, Value: value})
}
