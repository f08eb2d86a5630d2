package cnab240

import "fmt"

// LineLength is the length of every CNAB 240 line, without its line end.
const LineLength = 240

// Field is one fixed-width field: positions From..To, 1-based and inclusive as in the
// FEBRABAN manual, and the name errors give it ("segment U date paid").
type Field struct {
	// Name names the field in errors.
	Name string
	// From and To are the field's first and last positions (1-based, inclusive).
	From, To int
}

// Width is the number of characters of the field.
func (f Field) Width() int { return f.To - f.From + 1 }

// bytes returns the field's characters of a 240-character line.
func (f Field) bytes(line []byte) []byte { return line[f.From-1 : f.To] }

// Layout is the table of positions the parser reads and the writer writes.
type Layout struct {
	// Bank, Lot, RecordType, Sequence, Segment and Movement are common to all records (the
	// last three read in detail records only).
	Bank, Lot, RecordType, Sequence, Segment, Movement Field
	// FileHeader are the fields of record type 0.
	FileHeader FileHeaderFields
	// SegmentT are the fields of a detail's segment T.
	SegmentT SegmentTFields
	// SegmentU are the fields of a detail's segment U.
	SegmentU SegmentUFields
	// BatchTrailerRecords is the batch trailer's count of the batch's records (header and trailer included).
	BatchTrailerRecords Field
	// FileTrailerBatches and FileTrailerRecords are the file trailer's counts of batches and of records.
	FileTrailerBatches, FileTrailerRecords Field
}

// FileHeaderFields are the positions read from the file header.
type FileHeaderFields struct {
	// FileCode is 1 for a remittance (remessa) and 2 for a return file (retorno).
	FileCode Field
	// GeneratedOn is the generation date, DDMMAAAA.
	GeneratedOn Field
	// Sequence is the file's sequence number (NSA).
	Sequence Field
}

// SegmentTFields are the positions read from segment T.
type SegmentTFields struct {
	// NossoNumero identifies the boleto at the bank (alphanumeric, bank-specific layout).
	NossoNumero Field
	// DocumentNumber is the business's own number of the boleto ("seu número").
	DocumentNumber Field
	// DueDate is the due date, DDMMAAAA.
	DueDate Field
	// NominalAmount is the boleto's amount in cents.
	NominalAmount Field
}

// SegmentUFields are the positions read from segment U.
type SegmentUFields struct {
	// InterestAndFines is the interest, fine and charges paid, in cents.
	InterestAndFines Field
	// Discount is the discount granted, in cents.
	Discount Field
	// AmountPaid is the amount the payer paid, in cents.
	AmountPaid Field
	// NetCredited is the amount credited to the business, in cents.
	NetCredited Field
	// DatePaid is the day the payer paid (the payment's date), DDMMAAAA.
	DatePaid Field
	// DateCredited is the day the bank credits the business, DDMMAAAA.
	DateCredited Field
}

// FEBRABAN240 is the FEBRABAN CNAB 240 cobrança return layout.
var FEBRABAN240 = Layout{
	Bank:       Field{"bank code", 1, 3},
	Lot:        Field{"lote", 4, 7},
	RecordType: Field{"record type", 8, 8},
	Sequence:   Field{"sequence", 9, 13},
	Segment:    Field{"segment", 14, 14},
	Movement:   Field{"movement code", 16, 17},
	FileHeader: FileHeaderFields{
		FileCode:    Field{"file header file code", 143, 143},
		GeneratedOn: Field{"file header generation date", 144, 151},
		Sequence:    Field{"file header file sequence", 158, 163},
	},
	SegmentT: SegmentTFields{
		NossoNumero:    Field{"segment T nosso número", 38, 57},
		DocumentNumber: Field{"segment T document number", 59, 73},
		DueDate:        Field{"segment T due date", 74, 81},
		NominalAmount:  Field{"segment T nominal amount", 82, 96},
	},
	SegmentU: SegmentUFields{
		InterestAndFines: Field{"segment U interest, fine and charges", 18, 32},
		Discount:         Field{"segment U discount", 33, 47},
		AmountPaid:       Field{"segment U amount paid", 78, 92},
		NetCredited:      Field{"segment U net credited", 93, 107},
		DatePaid:         Field{"segment U date paid", 138, 145},
		DateCredited:     Field{"segment U date credited", 146, 153},
	},
	BatchTrailerRecords: Field{"batch trailer record count", 18, 23},
	FileTrailerBatches:  Field{"file trailer batch count", 18, 23},
	FileTrailerRecords:  Field{"file trailer record count", 24, 29},
}

// fields lists every field of the layout with the width it must have (0 for any number of at
// most 18 digits, -1 for any text).
func (l Layout) fields() []struct {
	f     Field
	width int
} {
	return []struct {
		f     Field
		width int
	}{
		{l.Bank, 3}, {l.Lot, 0}, {l.RecordType, 1}, {l.Sequence, 0}, {l.Segment, 1}, {l.Movement, 2},
		{l.FileHeader.FileCode, 1}, {l.FileHeader.GeneratedOn, 8}, {l.FileHeader.Sequence, 0},
		{l.SegmentT.NossoNumero, -1}, {l.SegmentT.DocumentNumber, -1}, {l.SegmentT.DueDate, 8}, {l.SegmentT.NominalAmount, 0},
		{l.SegmentU.InterestAndFines, 0}, {l.SegmentU.Discount, 0}, {l.SegmentU.AmountPaid, 0}, {l.SegmentU.NetCredited, 0},
		{l.SegmentU.DatePaid, 8}, {l.SegmentU.DateCredited, 8},
		{l.BatchTrailerRecords, 0}, {l.FileTrailerBatches, 0}, {l.FileTrailerRecords, 0},
	}
}

// Validate checks that every field lies within the 240 positions, that the dates are 8 wide
// and the codes as wide as FEBRABAN's, and that numeric fields fit 18 digits.
func (l Layout) Validate() error {
	for _, x := range l.fields() {
		f := x.f
		switch {
		case f.Name == "":
			return fmt.Errorf("layout: a field at %d–%d has no name", f.From, f.To)
		case f.From < 1 || f.To > LineLength || f.From > f.To:
			return fmt.Errorf("layout: %s: positions %d–%d are not within 1–%d", f.Name, f.From, f.To, LineLength)
		case x.width > 0 && f.Width() != x.width:
			return fmt.Errorf("layout: %s: %d positions, want %d", f.Name, f.Width(), x.width)
		case x.width == 0 && f.Width() > 18:
			return fmt.Errorf("layout: %s: %d positions, want at most 18", f.Name, f.Width())
		}
	}
	return nil
}
