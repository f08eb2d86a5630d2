// Package pix makes and reads the PIX copy-and-paste payload of an installment (the BR Code,
// an EMV Merchant-Presented QR payload), validates PIX keys and derives each installment's
// txid.
//
// The package does no I/O and never reads the clock. Amounts are shopspring/decimal and never
// pass through float64. Bad settings and bad input are *billing.FieldError values naming the
// field ("pix.key: ...", "brcode: ...").
//
// # Payload
//
// A payload is a sequence of ID-length-value fields (two-digit ID, two-digit length, value):
// 00 "01"; 26 the merchant account (00 "br.gov.bcb.pix", 01 the key); 52 "0000"; 53 "986";
// 54 the amount ("99.90"); 58 "BR"; 59 the receiver's name (at most 25 characters); 60 the
// city (at most 15); 62 additional data with 05 the txid (at most 25 letters and digits, or
// "***"); 63 the CRC16-CCITT-FALSE (polynomial 0x1021, initial 0xFFFF, no reflection) of the
// whole string up to and including "6304", as four upper-case hex digits. Encode writes the
// fields in ascending ID order; Parse reads any order, keeps fields it does not interpret,
// and checks the CRC.
//
// # Receiver name and city
//
// Receiver.Validate and NewIssuer normalise the name and city the common way: accents
// removed (São João → SAO JOAO), upper case, runs of spaces collapsed. After that only
// A–Z, 0–9, space and . , - / & ' are accepted; a name longer than 25 or a city longer than
// 15 characters is refused, never cut, so the operator chooses the short form.
//
// # txid
//
// An installment's txid is the business prefix (1 to 6 upper-case letters) followed by the
// installment id in decimal, e.g. "BLD1234567": deterministic, unique across installments and
// businesses (the id's digits cannot be mistaken for the letters of a prefix) and at most 25
// characters. ParseTxID reads the installment id back from a PIX notification.
//
// # Why no library
//
// The Go BR Code libraries found (thalesog/go-pix-utils, thiagozs/go-pixgen, ffss92/qrpix)
// say of themselves that they are under development or unfinished, take amounts as float64
// or integers with no decimal type, and pull in QR image rendering; none was served by the
// module proxy available here. The format is short; the package is pinned by the example of
// the BCB's "Manual de Padrões para Iniciação do Pix" and a second CRC implementation.
package pix
