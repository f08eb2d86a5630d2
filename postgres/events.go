package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
)

// NewEvent is an event a transaction records with the change it makes: its kind
// (records.Event*), the contract, the business identity of the change (subject_key, such as
// "installment:123"), its business date and its payload.
type NewEvent struct {
	Kind       string
	ContractID int64
	Subject    string
	OccurredOn time.Time
	Payload    any
}

// recordEvents writes events in the caller's transaction with one statement; an event whose
// (kind, subject) is already recorded is skipped, so a rerun records nothing twice. Set-based
// sweeps may instead write their events inside their own statements (INSERT INTO events
// (kind, contract_id, subject_key, occurred_on, payload) SELECT … ON CONFLICT (kind,
// subject_key) DO NOTHING); both are the same row.
func recordEvents(ctx context.Context, tx pgx.Tx, events []NewEvent) (int64, error) {
	if len(events) == 0 {
		return 0, nil
	}
	kinds := make([]string, len(events))
	contracts := make([]int64, len(events))
	subjects := make([]string, len(events))
	days := make([]pgtype.Date, len(events))
	payloads := make([]string, len(events))
	for i, e := range events {
		payload := e.Payload
		if payload == nil {
			payload = map[string]any{}
		}
		b, err := json.Marshal(payload)
		if err != nil {
			return 0, fmt.Errorf("event %s %s: payload: %w", e.Kind, e.Subject, err)
		}
		kinds[i], contracts[i], subjects[i], days[i], payloads[i] = e.Kind, e.ContractID, e.Subject, date(e.OccurredOn), string(b)
	}
	tag, err := tx.Exec(ctx, `INSERT INTO events (kind, contract_id, subject_key, occurred_on, payload)
		SELECT k, c, s, d, p::jsonb FROM unnest($1::text[], $2::bigint[], $3::text[], $4::date[], $5::text[]) AS u(k, c, s, d, p)
		ON CONFLICT (kind, subject_key) DO NOTHING`, kinds, contracts, subjects, days, payloads)
	if err != nil {
		return 0, fmt.Errorf("record %d events: %w", len(events), err)
	}
	return tag.RowsAffected(), nil
}
