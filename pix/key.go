package pix

import (
	"strings"

	"github.com/billingd/billingd/billing"
)

// KeyType is the kind of a PIX key (chave), as the DICT registers it.
type KeyType string

// The five kinds of PIX key.
const (
	// KeyCPF is an individual's taxpayer number: 11 digits.
	KeyCPF KeyType = "cpf"
	// KeyCNPJ is a company's taxpayer number: 14 characters, numeric or alphanumeric.
	KeyCNPJ KeyType = "cnpj"
	// KeyEmail is an e-mail address in lower case, at most 77 characters.
	KeyEmail KeyType = "email"
	// KeyPhone is a Brazilian mobile number in E.164 form: +55, the area code and the number.
	KeyPhone KeyType = "phone"
	// KeyEVP is a random key: a lower-case UUID.
	KeyEVP KeyType = "evp"
)

// maxKeyLength is the longest key field 26 can hold (99 − "0014br.gov.bcb.pix" − "01LL").
const maxKeyLength = 77

// ValidateKey returns the kind of key, or a *billing.FieldError on "pix.key" saying why key
// is not a PIX key as the DICT stores it (digits only for CPF and CNPJ, lower case for e-mail
// and random keys, +55 for phones). CPF and CNPJ check digits are verified; alphanumeric CNPJs
// are accepted.
func ValidateKey(key string) (KeyType, error) {
	bad := func(format string, args ...any) (KeyType, error) {
		return "", billing.Fieldf("pix.key", format, args...)
	}
	switch {
	case key == "":
		return bad("required")
	case len(key) > maxKeyLength:
		return bad("want at most %d characters, got %d", maxKeyLength, len(key))
	case strings.HasPrefix(key, "+"):
		if !isPhone(key) {
			return bad("phone key %q: want +55, a two-digit area code and an 8- or 9-digit number, digits only (+5511987654321)", key)
		}
		return KeyPhone, nil
	case strings.Contains(key, "@"):
		if reason := emailProblem(key); reason != "" {
			return bad("e-mail key %q: %s", key, reason)
		}
		return KeyEmail, nil
	case len(key) == 36 && strings.Count(key, "-") == 4:
		if !isEVP(key) {
			return bad("random key %q: want a lower-case UUID (123e4567-e12b-12d1-a456-426655440000)", key)
		}
		return KeyEVP, nil
	case len(key) == 11 && billing.AllDigits(key):
		if !validCPF(key) {
			return bad("CPF key %q: check digits do not match (a phone key starts with +55)", key)
		}
		return KeyCPF, nil
	case len(key) == 14 && isCNPJShape(key):
		if !validCNPJ(key) {
			return bad("CNPJ key %q: check digits do not match", key)
		}
		return KeyCNPJ, nil
	case strings.ContainsAny(key, ".-/ ()"):
		return bad("%q: write the key as the DICT stores it, without punctuation (CPF 11 digits, CNPJ 14 characters, phone +55…)", key)
	}
	return bad("%q is not a CPF (11 digits), CNPJ (14), e-mail, +55 phone or random key (UUID)", key)
}

// isPhone reports whether key is +55, an area code of two non-zero digits and 8 or 9 digits.
func isPhone(key string) bool {
	rest, ok := strings.CutPrefix(key, "+55")
	if !ok || (len(rest) != 10 && len(rest) != 11) || !billing.AllDigits(rest) {
		return false
	}
	return rest[0] != '0' && rest[1] != '0'
}

// emailProblem returns why key is not an e-mail key as the DICT stores it, or "".
func emailProblem(key string) string {
	local, domain, _ := strings.Cut(key, "@")
	switch {
	case local == "" || domain == "" || strings.Contains(domain, "@"):
		return "want one @ between a name and a domain"
	case key != strings.ToLower(key):
		return "write it in lower case, as the DICT stores it"
	case !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") || strings.Contains(domain, ".."):
		return "the domain needs dot-separated labels"
	}
	for i := 0; i < len(local); i++ {
		if c := local[i]; !isLowerAlnum(c) && !strings.ContainsRune(".!#$&'*+/=?^_`{|}~-", rune(c)) {
			return "character " + string(rune(c)) + " is not allowed before the @"
		}
	}
	for i := 0; i < len(domain); i++ {
		if c := domain[i]; !isLowerAlnum(c) && c != '.' && c != '-' {
			return "character " + string(rune(c)) + " is not allowed in the domain"
		}
	}
	return ""
}

// isEVP reports whether key is a lower-case UUID (8-4-4-4-12 hex digits).
func isEVP(key string) bool {
	for i := 0; i < len(key); i++ {
		c := key[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
				return false
			}
		}
	}
	return true
}

// validCPF checks the two modulo-11 check digits of an 11-digit CPF; the eleven repeated-digit
// numbers (000.000.000-00 …) pass the arithmetic but are not valid CPFs.
func validCPF(s string) bool {
	if strings.Count(s, s[:1]) == len(s) {
		return false
	}
	return checkDigit11(s[:9], 10) == s[9] && checkDigit11(s[:10], 11) == s[10]
}

// checkDigit11 returns the CPF digit of s with weights from firstWeight down to 2.
func checkDigit11(s string, firstWeight int) byte {
	sum := 0
	for i := 0; i < len(s); i++ {
		sum += int(s[i]-'0') * (firstWeight - i)
	}
	if r := sum % 11; r >= 2 {
		return byte('0' + 11 - r)
	}
	return '0'
}

// isCNPJShape reports whether s is 12 characters of 0–9 or A–Z followed by two digits.
func isCNPJShape(s string) bool {
	for i := 0; i < 12; i++ {
		if c := s[i]; !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return billing.AllDigits(s[12:])
}

// validCNPJ checks the two modulo-11 check digits of a CNPJ; each character counts as its
// ASCII code minus 48 (so letters work for the alphanumeric CNPJ), weights 2..9 from the right.
func validCNPJ(s string) bool {
	if billing.AllDigits(s) && strings.Count(s, s[:1]) == len(s) {
		return false
	}
	digit := func(body string) byte {
		sum, w := 0, 2
		for i := len(body) - 1; i >= 0; i-- {
			sum += int(body[i]-'0') * w
			if w++; w > 9 {
				w = 2
			}
		}
		if r := sum % 11; r >= 2 {
			return byte('0' + 11 - r)
		}
		return '0'
	}
	return digit(s[:12]) == s[12] && digit(s[:13]) == s[13]
}

// isLowerAlnum reports whether c is a lower-case ASCII letter or a digit.
func isLowerAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
}
