package pix

import (
	"strings"

	"github.com/billingd/billingd/billing"
)

// foldAccents maps the accented letters of Portuguese (and a few neighbours) to ASCII.
var foldAccents = strings.NewReplacer(
	"á", "a", "à", "a", "â", "a", "ã", "a", "ä", "a", "Á", "A", "À", "A", "Â", "A", "Ã", "A", "Ä", "A",
	"é", "e", "è", "e", "ê", "e", "ë", "e", "É", "E", "È", "E", "Ê", "E", "Ë", "E",
	"í", "i", "ì", "i", "î", "i", "ï", "i", "Í", "I", "Ì", "I", "Î", "I", "Ï", "I",
	"ó", "o", "ò", "o", "ô", "o", "õ", "o", "ö", "o", "Ó", "O", "Ò", "O", "Ô", "O", "Õ", "O", "Ö", "O",
	"ú", "u", "ù", "u", "û", "u", "ü", "u", "Ú", "U", "Ù", "U", "Û", "U", "Ü", "U",
	"ç", "c", "Ç", "C", "ñ", "n", "Ñ", "N",
)

// NormalizeText returns s as a BR Code name or city: accents removed, upper case, runs of
// white space collapsed to one space and trimmed. A character outside A–Z, 0–9, space and
// . , - / & ' after that is refused with a *billing.FieldError on field; so is a result
// longer than max characters or empty.
func NormalizeText(field, s string, max int) (string, error) {
	out := strings.ToUpper(strings.Join(strings.Fields(foldAccents.Replace(s)), " "))
	for i, r := range out {
		if !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune(" .,-/&'", r)) {
			return "", billing.Fieldf(field, "character %q at %d is not allowed (letters, digits, space and . , - / & ' after removing accents)", r, i+1)
		}
	}
	switch {
	case out == "":
		return "", billing.Fieldf(field, "required")
	case len(out) > max:
		return "", billing.Fieldf(field, "%q is %d characters, want at most %d: choose a shorter form", out, len(out), max)
	}
	return out, nil
}
