package boleto

import (
	"strings"
	"testing"
)

// publishedBoletos are examples published by independent boleto libraries, with the pre-2025
// factors they were printed with; assembleBarcode takes the factor as given, so they pin the
// free-field layouts, the general check digit and the linha digitável's field check digits.
var publishedBoletos = []struct {
	source   string
	settings Settings
	seq      int64
	factor   int
	cents    int64
	free     string
	barcode  string
	linha    string
	printed  string
}{
	{
		source:   "brcobranca spec/brcobranca/boleto/banco_brasil_spec.rb, convênio 7 dígitos, nosso número 10, carteira 17",
		settings: Settings{BankCode: "001", Agency: "3174", Account: "00011672", Wallet: "17", Convenio: "1474166"},
		seq:      328, factor: 6846, cents: 224674,
		free:    "0000001474166000000032817",
		barcode: "00191684600002246740000001474166000000032817",
		linha:   "00190.00009 01474.166004 00000.328179 1 68460000224674",
		printed: "14741660000000328",
	},
	{
		source:   "brcobranca spec/brcobranca/boleto/banco_brasil_spec.rb, convênio 7 dígitos, carteira 18",
		settings: Settings{BankCode: "001", Agency: "4042", Account: "61900", Wallet: "18", Convenio: "1238798"},
		seq:      7777700168, factor: 3769, cents: 72356,
		free:    "0000001238798777770016818",
		barcode: "00194376900000723560000001238798777770016818",
		linha:   "00190.00009 01238.798779 77700.168188 4 37690000072356",
		printed: "12387987777700168",
	},
	{
		source:   "pyboleto tests/test_banco_itau.py (also the boletophp demo page), carteira 175",
		settings: Settings{BankCode: "341", Agency: "1565", Account: "13877", Wallet: "175"},
		seq:      12345678, factor: 4901, cents: 295295,
		free:    "1751234567861565138771000",
		barcode: "34193490100002952951751234567861565138771000",
		linha:   "34191.75124 34567.861561 51387.710000 3 49010000295295",
		printed: "175/12345678-6",
	},
	{
		source:   "brcobranca spec/brcobranca/boleto/bradesco_spec.rb, carteira 03",
		settings: Settings{BankCode: "237", Agency: "4042", Account: "61900", Wallet: "03"},
		seq:      777700168, factor: 3770, cents: 13500,
		free:    "4042030077770016800619000",
		barcode: "23791377000000135004042030077770016800619000",
		linha:   "23794.04201 30077.770011 68006.190000 1 37700000013500",
	},
}

func TestPublishedBoletos(t *testing.T) {
	t.Parallel()
	for _, tc := range publishedBoletos {
		t.Run(tc.source, func(t *testing.T) {
			t.Parallel()
			s := tc.settings
			s.FirstSequence, s.LastSequence = 1, tc.seq
			l, err := s.validated()
			if err != nil {
				t.Fatalf("settings: %v", err)
			}
			nn, free := l.Compose(s, tc.seq)
			if free != tc.free {
				t.Fatalf("free field %s, want %s", free, tc.free)
			}
			if tc.printed != "" && nn.Printed != tc.printed {
				t.Errorf("nosso número printed %s, want %s", nn.Printed, tc.printed)
			}
			bc := assembleBarcode(s.BankCode, tc.factor, tc.cents, free)
			if bc != tc.barcode {
				t.Fatalf("barcode %s, want %s", bc, tc.barcode)
			}
			if got := FormatLinhaDigitavel(linhaFromBarcode(bc)); got != tc.linha {
				t.Fatalf("linha digitável %s, want %s", got, tc.linha)
			}
			if got := barcodeFromLinha(strings.NewReplacer(".", "", " ", "").Replace(tc.linha)); got != tc.barcode {
				t.Fatalf("barcode from linha %s, want %s", got, tc.barcode)
			}
		})
	}
}
