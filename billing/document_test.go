package billing

import (
	"strings"
	"testing"
)

// TestParseDocument: a CPF or CNPJ with or without its punctuation is read to its digits; a
// wrong check digit (either one), a repeated digit, a wrong length or a stray character is
// refused, saying why.
func TestParseDocument(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, kind, digits, err string
	}{
		{"123.456.789-09", DocumentCPF, "12345678909", ""},
		{"12345678909", DocumentCPF, "12345678909", ""},
		{"529.982.247-25", DocumentCPF, "52998224725", ""},
		{"987.654.321-00", DocumentCPF, "98765432100", ""},
		{"11.222.333/0001-81", DocumentCNPJ, "11222333000181", ""},
		{"11222333000181", DocumentCNPJ, "11222333000181", ""},
		{"123.456.789-08", "", "", "CPF 12345678908: check digit 2 is 8, want 9"},
		{"123.456.789-19", "", "", "CPF 12345678919: check digit 1 is 1, want 0"},
		{"11.222.333/0001-82", "", "", "CNPJ 11222333000182: check digit 2 is 2, want 1"},
		{"11.222.333/0001-91", "", "", "CNPJ 11222333000191: check digit 1 is 9, want 8"},
		{"111.111.111-11", "", "", "CPF 11111111111: a number of one repeated digit is not a valid CPF"},
		{"00.000.000/0000-00", "", "", "a number of one repeated digit is not a valid CNPJ"},
		{"1234567890", "", "", "got 10 digits"},
		{"123456789012", "", "", "got 12 digits"},
		{"", "", "", "got 0 digits"},
		{"123.456.789-0X", "", "", `got the character 'X'`},
		{"123,456,789-09", "", "", `got the character ','`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			kind, digits, err := ParseDocument(tt.in)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("ParseDocument(%q) = %q, %q, %v; want an error containing %q", tt.in, kind, digits, err, tt.err)
				}
				return
			}
			if err != nil || kind != tt.kind || digits != tt.digits {
				t.Fatalf("ParseDocument(%q) = %q, %q, %v; want %q, %q", tt.in, kind, digits, err, tt.kind, tt.digits)
			}
		})
	}
}

// TestValidMunicipalityCode: seven digits starting with a federative unit's IBGE code.
func TestValidMunicipalityCode(t *testing.T) {
	t.Parallel()
	for code, want := range map[string]bool{
		"3550308": true, "3304557": true, "5300108": true, "1100015": true,
		"355030": false, "35503080": false, "3450308": false, "9950308": false, "355030x": false, "": false,
	} {
		if got := ValidMunicipalityCode(code); got != want {
			t.Errorf("ValidMunicipalityCode(%q) = %v, want %v", code, got, want)
		}
	}
}

// FuzzParseDocument: any input either is refused or yields 11 or 14 digits whose check
// digits hold, and parsing the digits again gives the same answer.
func FuzzParseDocument(f *testing.F) {
	for _, s := range []string{"123.456.789-09", "11.222.333/0001-81", "111.111.111-11", "", "abc", "1234567890123456"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		kind, digits, err := ParseDocument(s)
		if err != nil {
			return
		}
		if (kind == DocumentCPF) != (len(digits) == 11) || (kind == DocumentCNPJ) != (len(digits) == 14) {
			t.Fatalf("ParseDocument(%q) = %q, %q", s, kind, digits)
		}
		n := len(digits)
		if checkDigit(digits[:n-2], kind) != int(digits[n-2]-'0') || checkDigit(digits[:n-1], kind) != int(digits[n-1]-'0') {
			t.Fatalf("ParseDocument(%q) accepted %q with a wrong check digit", s, digits)
		}
		k2, d2, err := ParseDocument(digits)
		if err != nil || k2 != kind || d2 != digits {
			t.Fatalf("ParseDocument(%q) = %q, %q, %v; ParseDocument(%q) = %q, %q", s, kind, digits, err, digits, k2, d2)
		}
	})
}
