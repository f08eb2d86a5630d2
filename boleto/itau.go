package boleto

import "strconv"

// itauWallets are the Itaú carteiras whose free field and DAC follow the standard rule below
// (carteiras 106, 107, 122, 142, 143, 195, 196 and 198 carry a seu número and client code
// instead, and 126, 131, 146, 150 and 168 compute the DAC over carteira and nosso número only).
var itauWallets = []string{"109", "175"}

// itauLayout is Itaú's (341) free field for its standard carteiras: carteira (3) · nosso número
// (8) · DAC of agência + conta + carteira + nosso número (modulo 10) · agência (4) · conta (5) ·
// DAC of agência + conta (modulo 10) · "000".
type itauLayout struct{}

// Name names the layout.
func (itauLayout) Name() string { return "itau" }

// Validate checks the five-digit conta and the carteira.
func (itauLayout) Validate(s Settings) error {
	if err := checkDigits("bank.account", s.Account, 5); err != nil {
		return err
	}
	if err := checkExactDigits("bank.wallet", s.Wallet, 3); err != nil {
		return err
	}
	return checkWallet("itau", s.Wallet, itauWallets)
}

// MaxSequence is the largest eight-digit nosso número.
func (itauLayout) MaxSequence() int64 { return 99_999_999 }

// Compose writes the free field and the nosso número "carteira/nnnnnnnn-DAC".
func (itauLayout) Compose(s Settings, seq int64) (NossoNumero, string) {
	account := string(appendPadded(nil, s.Account, 5))
	key := string(appendPadded(nil, strconv.FormatInt(seq, 10), 8))
	dac := string(mod10(s.Agency + account + s.Wallet + key))
	free := s.Wallet + key + dac + s.Agency + account + string(mod10(s.Agency+account)) + "000"
	return NossoNumero{Key: key, CheckDigit: dac, Printed: s.Wallet + "/" + key + "-" + dac}, free
}

// ReturnKey reads Itaú's segment T: 38–40 carteira, 41–48 nosso número, 49 DAC.
func (itauLayout) ReturnKey(field string) (string, bool) {
	return spanKey(field, 3, 8)
}
