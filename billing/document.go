package billing

import (
	"fmt"
	"strings"
)

// Kinds of a Brazilian taxpayer document.
const (
	// DocumentCPF is a person's Cadastro de Pessoas Físicas: 11 digits, the last two check digits.
	DocumentCPF = "cpf"
	// DocumentCNPJ is a company's Cadastro Nacional da Pessoa Jurídica: 14 digits, the last two
	// check digits.
	DocumentCNPJ = "cnpj"
)

// ParseDocument reads a CPF or a CNPJ written with or without its punctuation ("123.456.789-09",
// "12345678909", "11.222.333/0001-81") and returns its kind and its digits. It refuses any other
// character, a length other than 11 or 14 digits, a number of one repeated digit (such as
// 111.111.111-11, which passes the check-digit arithmetic but is never issued) and a wrong check
// digit, saying which.
func ParseDocument(s string) (kind, digits string, err error) {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '.' || r == '-' || r == '/' || r == ' ':
		default:
			return "", "", fmt.Errorf("want a CPF (11 digits) or a CNPJ (14 digits), with or without . - /, got the character %q", r)
		}
	}
	digits = b.String()
	switch len(digits) {
	case 11:
		kind = DocumentCPF
	case 14:
		kind = DocumentCNPJ
	default:
		return "", "", fmt.Errorf("want a CPF (11 digits) or a CNPJ (14 digits), got %d digits", len(digits))
	}
	if strings.Count(digits, digits[:1]) == len(digits) {
		return "", "", fmt.Errorf("%s %s: a number of one repeated digit is not a valid %s", strings.ToUpper(kind), digits, strings.ToUpper(kind))
	}
	n := len(digits)
	for _, pos := range []int{n - 2, n - 1} {
		want := checkDigit(digits[:pos], kind)
		if got := int(digits[pos] - '0'); got != want {
			return "", "", fmt.Errorf("%s %s: check digit %d is %d, want %d", strings.ToUpper(kind), digits, pos-n+3, got, want)
		}
	}
	return kind, digits, nil
}

// checkDigit computes the next check digit of the digits of a CPF or CNPJ: the weighted sum
// modulo 11 (CPF weights count down from len+1; CNPJ's from 2 to 9 repeated, right to left),
// 0 when the remainder is below 2, 11 minus it otherwise.
func checkDigit(digits, kind string) int {
	sum := 0
	for i := range len(digits) {
		d := int(digits[i] - '0')
		var w int
		if kind == DocumentCPF {
			w = len(digits) + 1 - i
		} else {
			w = 2 + (len(digits)-1-i)%8
		}
		sum += d * w
	}
	r := sum % 11
	if r < 2 {
		return 0
	}
	return 11 - r
}

// ibgeStates are the IBGE codes of Brazil's 27 federative units, the first two digits of a
// municipality code.
var ibgeStates = map[string]bool{"11": true, "12": true, "13": true, "14": true, "15": true, "16": true, "17": true,
	"21": true, "22": true, "23": true, "24": true, "25": true, "26": true, "27": true, "28": true, "29": true,
	"31": true, "32": true, "33": true, "35": true, "41": true, "42": true, "43": true,
	"50": true, "51": true, "52": true, "53": true}

// ValidMunicipalityCode reports whether code is written as an IBGE municipality code: seven
// digits, the first two the code of a federative unit (35 São Paulo, 33 Rio de Janeiro, 53
// the Distrito Federal…). The seventh is IBGE's check digit, which a few municipalities do
// not follow, so it is not checked.
func ValidMunicipalityCode(code string) bool {
	return len(code) == 7 && ibgeStates[code[:2]] && AllDigits(code)
}
