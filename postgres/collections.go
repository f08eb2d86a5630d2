package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/delinquency"
	"github.com/billingd/billingd/records"
)

// LadderPositions returns where each of the contracts stands on its rule's collection
// ladder on date on (delinquency.PositionAt over every open installment), with the
// ladder's profile. A contract that is not on the ladder by its status (pending
// activation, cancelled, finished other than by termination) is at none, and its reason
// says why.
func (s *Store) LadderPositions(ctx context.Context, ids []int64, on time.Time) (map[int64]records.LadderPosition, error) {
	out := map[int64]records.LadderPosition{}
	if len(ids) == 0 {
		return out, nil
	}
	states, err := loadLadder(ctx, s.Pool, ladderQuery{ids: ids, asOf: on, allOpen: true, loc: s.location()})
	if err != nil {
		return nil, err
	}
	for _, c := range states {
		out[c.id] = records.LadderPosition{Profile: string(c.state.Ladder.Profile), Position: positionOf(c, on)}
	}
	return out, nil
}

// positionOf is contract c's position on date on, for operators.
func positionOf(c ladderContract, on time.Time) delinquency.Position {
	switch c.status {
	case billing.StatusActive, billing.StatusSuspendedPartial, billing.StatusBlocked:
	default:
		if c.state.Step != delinquency.StepTermination {
			return delinquency.Position{Step: delinquency.StepNone, Reason: "not on the ladder: the contract is " + c.status}
		}
	}
	return delinquency.PositionAt(c.state, on)
}

// Collections lists the contracts on the collection ladder by id: at the stored step f.Step
// (every step but none when empty), taken from f.From to f.To, each with its position on
// date on. It reads the partial index contracts_ladder_step.
func (s *Store) Collections(ctx context.Context, f records.CollectionFilter, on time.Time, page Page) ([]records.CollectionEntry, error) {
	rows, err := s.Pool.Query(ctx, `SELECT id, customer_id, status, ladder_step, ladder_step_since FROM contracts
		WHERE ladder_step <> 'none' AND ($1 = '' OR ladder_step = $1) AND id > $2
		  AND ($3::date IS NULL OR ladder_step_since >= $3) AND ($4::date IS NULL OR ladder_step_since <= $4)
		ORDER BY id LIMIT $5`, f.Step, page.After, date(f.From), date(f.To), page.Size())
	if err != nil {
		return nil, fmt.Errorf("list collections: %w", err)
	}
	entries, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (records.CollectionEntry, error) {
		var e records.CollectionEntry
		var since pgtype.Date
		err := r.Scan(&e.ContractID, &e.CustomerID, &e.Status, &e.Step, &since)
		e.Since = optDate(since)
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("list collections: %w", err)
	}
	ids := make([]int64, len(entries))
	for i, e := range entries {
		ids[i] = e.ContractID
	}
	positions, err := s.LadderPositions(ctx, ids, on)
	if err != nil {
		return nil, err
	}
	for i := range entries {
		p := positions[entries[i].ContractID]
		entries[i].Position, entries[i].Profile = p.Position, p.Profile
	}
	return entries, nil
}
