package pix_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/billingd/billingd/pix"
)

// refCRC16 is a bit-by-bit CRC16-CCITT-FALSE (the package uses a byte table): each bit of each
// byte, most significant first, is shifted into a 16-bit register that starts at 0xFFFF and is
// XORed with 0x1021 whenever a 1 falls out of the top.
func refCRC16(s string) uint16 {
	reg := uint32(0xFFFF)
	for i := 0; i < len(s); i++ {
		for bit := 7; bit >= 0; bit-- {
			in := uint32(s[i]>>bit) & 1
			top := (reg >> 15) & 1
			reg = (reg << 1) & 0xFFFF
			if top^in == 1 {
				reg ^= 0x1021
			}
		}
	}
	return uint16(reg)
}

func TestCRC16(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want uint16
	}{
		{"", 0xFFFF},
		{"123456789", 0x29B1}, // the catalogued check value of CRC-16/CCITT-FALSE
		// The example of the BCB's "Manual de Padrões para Iniciação do Pix" (static payload), CRC 1D3D.
		{"00020126580014br.gov.bcb.pix0136123e4567-e12b-12d1-a456-4266554400005204000053039865802BR5913Fulano de Tal6008BRASILIA62070503***6304", 0x1D3D},
	} {
		if got, ref := pix.CRC16(tc.in), refCRC16(tc.in); got != tc.want || ref != tc.want {
			t.Errorf("CRC16(%q) = %04X, reference %04X, want %04X", tc.in, got, ref, tc.want)
		}
	}
	rng := rand.New(rand.NewPCG(7, 7))
	for range 5000 {
		b := make([]byte, rng.IntN(300))
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		if got, ref := pix.CRC16(string(b)), refCRC16(string(b)); got != ref {
			t.Fatalf("CRC16(%x) = %04X, reference %04X", b, got, ref)
		}
	}
}

// refKeyDigits recomputes CPF and CNPJ check digits from the Receita Federal's description:
// weights 10..2 then 11..2 for the CPF; 5,4,3,2,9,8,7,6,5,4,3,2 then 6,5,4,3,2,9,8,7,6,5,4,3,2
// for the CNPJ, each character worth its ASCII code minus 48; digit 11 − (sum mod 11), 0 when
// that is 10 or 11.
func refKeyDigits(body string) string {
	weights := map[int][2]string{9: {"098765432", "A098765432"}, 12: {"543298765432", "6543298765432"}}[len(body)]
	digit := func(s, w string) byte {
		sum := 0
		for i := range s {
			wi := int(w[i] - '0')
			if w[i] == 'A' {
				wi = 11
			} else if w[i] == '0' {
				wi = 10
			}
			sum += int(s[i]-'0') * wi
		}
		if d := 11 - sum%11; d < 10 {
			return byte('0' + d)
		}
		return '0'
	}
	d1 := digit(body, weights[0])
	return string(d1) + string(digit(body+string(d1), weights[1]))
}

func TestCrosscheckKeyDigits(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(3, 5))
	const cnpjChars = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	for range 3000 {
		cpf := fmt.Sprintf("%09d", rng.IntN(1_000_000_000))
		cnpj := make([]byte, 12)
		for i := range cnpj {
			cnpj[i] = cnpjChars[rng.IntN(len(cnpjChars))]
		}
		for _, key := range []string{cpf + refKeyDigits(cpf), string(cnpj) + refKeyDigits(string(cnpj))} {
			if typ, err := pix.ValidateKey(key); err != nil && !repeated(key) {
				t.Fatalf("ValidateKey(%s) = %s, %v; the reference digits make it valid", key, typ, err)
			}
			wrong := key[:len(key)-1] + string('0'+(key[len(key)-1]-'0'+1)%10)
			if _, err := pix.ValidateKey(wrong); err == nil {
				t.Fatalf("ValidateKey(%s) accepted a wrong check digit", wrong)
			}
		}
	}
}

// repeated reports whether key is one digit repeated (refused although its digits add up).
func repeated(key string) bool {
	for i := range key {
		if key[i] != key[0] {
			return false
		}
	}
	return true
}
