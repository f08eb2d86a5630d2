package cnab240

// Movement is a detail's movement code ("código de movimento retorno"), two digits.
type Movement string

// The movement codes billingd acts on; others are kept with their code.
const (
	// EntryConfirmed is 02, entrada confirmada: the bank registered the boleto.
	EntryConfirmed Movement = "02"
	// EntryRejected is 03, entrada rejeitada: the bank refused to register the boleto.
	EntryRejected Movement = "03"
	// Paid is 06, liquidação: the boleto was paid.
	Paid Movement = "06"
	// WrittenOff is 09, baixa: the boleto was written off and can no longer be paid.
	WrittenOff Movement = "09"
	// PaidAfterWriteOff is 17, liquidação após baixa: a written-off boleto was paid anyway.
	PaidAfterWriteOff Movement = "17"
)

// IsPayment reports whether the movement records a payment (06 or 17).
func (m Movement) IsPayment() bool { return m == Paid || m == PaidAfterWriteOff }

// Description names the movement in Portuguese, as the FEBRABAN manual does.
func (m Movement) Description() string {
	switch m {
	case EntryConfirmed:
		return "entrada confirmada"
	case EntryRejected:
		return "entrada rejeitada"
	case Paid:
		return "liquidação"
	case WrittenOff:
		return "baixa"
	case PaidAfterWriteOff:
		return "liquidação após baixa"
	}
	return "movimento " + string(m)
}
