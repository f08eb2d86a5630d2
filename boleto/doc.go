// Package boleto makes and reads the FEBRABAN bank slip ("boleto de cobrança") of an
// installment: the 44-digit barcode and the 47-digit linha digitável, with their check
// digits, the post-2025 due-date factor and a bank-specific 25-digit free field that carries
// the nosso número identifying the installment at the bank.
//
// The package does no I/O and never reads the clock: every function is a pure computation
// over its arguments. Civil dates are time.Time values at 00:00 UTC (as in package billing);
// amounts are shopspring/decimal and never pass through float64. Bad settings and bad input
// are *billing.FieldError values naming the field ("bank.agency: want 4 digits, got \"12a\"").
//
// # Barcode and linha digitável
//
// The barcode is bank (3) · currency 9 (1) · general check digit (1, modulo 11 with weights
// 2..9 from the right; a result of 0, 10 or 11 is written as 1) · due-date factor (4) ·
// amount in cents (10) · free field (25). The linha digitável rearranges it in five fields:
// bank, currency and free field 1–5 plus a modulo-10 check digit; free field 6–15 plus a
// check digit; free field 16–25 plus a check digit; the general check digit; factor and
// amount. The modulo-10 digit weighs the digits 2, 1, 2, … from the right and adds the digits
// of each product.
//
// # Due-date factor window
//
// The factor counted days from 1997-10-07 and reached 9999 on 2025-02-21; on 2025-02-22 it
// restarted at 1000. This package implements only the new base: factor f is the day
// 2025-02-22 + (f − 1000), so the window is 2025-02-22 (1000) to 2049-10-13 (9999). A due
// date outside it is refused with an error saying so; a factor 0001–0999 is refused when
// reading; factor 0000 (a boleto without a due date) is read as a zero DueDate. A boleto
// printed before 2025-02-22 under the old base is read under the new one (its factor names a
// day 24.6 years later): such boletos were long overdue when the base restarted.
//
// # Layouts (the free field)
//
// The free field is the bank's. A Layout composes it from Settings and the installment's
// nosso-número sequence number. Supported (see Layouts):
//
//   - Banco do Brasil (001), convênio of 7 digits, carteira 17 or 18: "000000" · convênio (7) ·
//     sequence (10) · carteira (2); the nosso número is convênio + sequence (17 digits, no check
//     digit).
//   - Itaú (341), carteiras 109 and 175: carteira (3) · nosso número (8) · DAC of agência, conta,
//     carteira and nosso número (modulo 10) · agência (4) · conta (5) · DAC of agência and conta
//     (modulo 10) · "000"; printed "175/12345678-6".
//   - Bradesco (237): agência (4) · carteira (2) · nosso número (11) · conta (7) · "0"; the
//     nosso número's check digit is modulo 11 with weights 2..7 over carteira + nosso número
//     ("P" when the remainder is 1), printed "09/00000000001-1".
//   - Any other bank through a generic TemplateLayout: Settings.FreeFieldTemplate spells the 25
//     positions with letters (A agência, K conta, W carteira, V convênio, N sequence, digits
//     literal), e.g. "AAAAWWNNNNNNNNNNNKKKKKKK0" is Bradesco's layout.
//
// Banco do Brasil and Bradesco are themselves TemplateLayout values in a table; Itaú needs
// code (its free field carries check digits). Adding a bank is adding a table entry, or a
// type implementing Layout (docs/payments.md, "Adding a bank").
//
// # Why no library
//
// The Go boleto libraries found (goleto/goleto, fonini/go-boleto-utils, hubcash/boleto) were
// judged and not used: goleto has no license file and reads time.Now() to place the factor in
// a sliding window; go-boleto-utils only parses, with float64 amounts and the pre-2025 factor;
// hubcash/boleto has been unmaintained since 2017 and predates the factor restart. None composes
// a bank's free field with its nosso-número check digit, and none was served by the module
// proxy available here. The rules are short and are pinned by tests against published examples.
package boleto
