package boleto

// mod10 returns the modulo-10 check digit of the ASCII digits s: weights 2, 1, 2, … from
// the right, each product's digits added (16 counts 1+6), and 10 minus the sum's remainder
// (0 when the remainder is 0). It is the linha digitável's field digit and Itaú's DAC.
func mod10(s string) byte {
	sum, weight := 0, 2
	for i := len(s) - 1; i >= 0; i-- {
		p := int(s[i]-'0') * weight
		sum += p/10 + p%10
		weight = 3 - weight
	}
	return byte('0' + (10-sum%10)%10)
}

// mod11Sum returns the sum of the digits of s weighted 2, 3, …, maxWeight, 2, … from the right.
func mod11Sum(s string, maxWeight int) int {
	sum, weight := 0, 2
	for i := len(s) - 1; i >= 0; i-- {
		sum += int(s[i]-'0') * weight
		if weight++; weight > maxWeight {
			weight = 2
		}
	}
	return sum
}

// barcodeCheckDigit returns the general check digit of the 43 barcode digits s (the barcode
// without position 5): modulo 11 with weights 2..9, 11 minus the remainder, written as 1 when
// that is 0, 10 or 11.
func barcodeCheckDigit(s string) byte {
	dv := 11 - mod11Sum(s, 9)%11
	if dv == 0 || dv >= 10 {
		return '1'
	}
	return byte('0' + dv)
}

// bradescoCheckDigit returns Bradesco's nosso-número check digit over carteira + nosso número:
// modulo 11 with weights 2..7; remainder 0 gives "0", remainder 1 gives "P", otherwise 11 minus it.
func bradescoCheckDigit(s string) string {
	switch r := mod11Sum(s, 7) % 11; r {
	case 0:
		return "0"
	case 1:
		return "P"
	default:
		return string(rune('0' + 11 - r))
	}
}
