// Package cnab240 reads CNAB 240 return files ("retorno de cobrança", FEBRABAN layout) and
// writes them for tests and simulators.
//
// The package does no I/O beyond the io.Reader and io.Writer it is given and never reads the
// clock. Amounts are shopspring/decimal (the file's cents, exactly); dates are time.Time values
// at 00:00 UTC, the zero time where the file writes 00000000.
//
// # Layout
//
// Every line is 240 characters: positions 1–3 bank code, 4–7 lote, 8 record type (0 file
// header, 1 batch header, 3 detail, 5 batch trailer, 9 file trailer), 9–13 the record's
// sequence in its batch, 14 the detail's segment, 16–17 the movement code. A return file's
// details come in pairs: segment T (38–57 nosso número, 59–73 document number, 74–81 due date
// DDMMAAAA, 82–96 nominal amount in cents) then segment U (18–32 interest, fine and charges,
// 33–47 discount, 78–92 amount paid, 93–107 net credited, 138–145 date paid, 146–153 date
// credited). The file header carries the file code (143, 2 for a return file), the generation
// date (144–151) and the file's sequence number (158–163); the batch trailer the batch's record
// count (18–23); the file trailer the number of batches (18–23) and of records (24–29). These
// positions are the table FEBRABAN240, a Layout value: a bank that moves a field at the edges
// gets a copy of the table with that field changed, not code of its own.
//
// # What is refused
//
// A malformed file is refused whole, with the line number and the field: a line that is not
// 240 characters (CRLF and LF line ends are both accepted, and empty or Ctrl-Z lines after the
// file trailer), an unknown record type, records out of order, a detail of another bank or
// lote, a segment T without its segment U (or a U without its T), non-digits in a numeric
// field, a date that does not exist, a payment (movement 06 or 17) without a date paid, a file
// that is not a return file, and trailer counts that disagree with the records. Other detail
// segments (a bank's optional Y, for instance) are counted and otherwise skipped.
package cnab240
