package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/records"
)

// Subjects (issue 19 item 1): a contract covers subjects, each on its own plan, billed on the
// contract's installments as one subject_plan line per subject and service period:
//
//   - generation (installmentBatch.insert) writes, in the statement that creates the
//     installments, one subject_plan line for every subject covering the period's first day
//     (billing.SubjectCovers), the installment's amount including them;
//   - AddSubject adds that line to the open installments already generated whose periods
//     start on or after the day, and a proration line for the days left of the period it
//     starts in (billing.SubjectProrationLine), through changeLines;
//   - EndSubject removes the lines of the open installments whose periods start on or after
//     the day it ends, and credits the days left of the period it ends in.

const subjectColumns = `id, contract_id, kind, name, coalesce(document, ''), birth_date, coalesce(species, ''),
	coalesce(plate, ''), coalesce(model, ''), plan_id, price, line_description, started_on, ended_on`

func scanSubject(row pgx.Row) (billing.Subject, error) {
	var s billing.Subject
	var birth, ended pgtype.Date
	err := row.Scan(&s.ID, &s.ContractID, &s.Kind, &s.Name, &s.Document, &birth, &s.Species, &s.Plate, &s.Model,
		&s.PlanID, &s.Price, &s.LineDescription, &s.StartedOn, &ended)
	s.BirthDate, s.EndedOn = optDate(birth), optDate(ended)
	return s, err
}

// nullText is NULL for an empty string.
func nullText(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// AddSubject adds a subject to a contract from today, on its plan at the plan's price, and
// bills it: a subject_plan line on each open installment whose period starts on or after
// today, and the days left of the period holding today prorated (on that installment, or
// on the next open one when it is paid). Refused, writing nothing: an unknown contract
// (ErrNotFound), a cancelled or finished contract or one on a package (ErrConflict), an
// unknown plan, a package, or a plan of another period than the contract's (422 plan_id),
// a plate the contract already covers (ErrConflict).
func (s *Store) AddSubject(ctx context.Context, contractID int64, in billing.Subject, today time.Time) (billing.Subject, error) {
	var out billing.Subject
	err := RetryTx(ctx, s.Pool, func(tx pgx.Tx) error {
		contractPlan, err := lockSubjectContract(ctx, tx, contractID)
		if err != nil {
			return err
		}
		plan, err := scanPlan(tx.QueryRow(ctx, "SELECT "+planColumns+" FROM plans WHERE id = $1", in.PlanID))
		if errors.Is(err, pgx.ErrNoRows) {
			return billing.Fieldf("plan_id", "no plan with id %d", in.PlanID)
		}
		if err != nil {
			return fmt.Errorf("look up plan %d: %w", in.PlanID, err)
		}
		switch {
		case plan.Kind != billing.KindPlan:
			return billing.Fieldf("plan_id", "plan %d is a %s: a subject's plan is a plan", plan.ID, plan.Kind)
		case plan.Period != contractPlan.Period:
			return billing.Fieldf("plan_id", "plan %d is %s and the contract's plan %d is %s: a subject's plan has the contract's period",
				plan.ID, plan.Period, contractPlan.ID, contractPlan.Period)
		}
		in.ContractID, in.Price, in.StartedOn, in.EndedOn = contractID, plan.Price, today, time.Time{}
		in.LineDescription = billing.SubjectLineDescription(in, plan.Name)
		var birth pgtype.Date
		if !in.BirthDate.IsZero() {
			birth = date(in.BirthDate)
		}
		out, err = scanSubject(tx.QueryRow(ctx, `INSERT INTO contract_subjects (contract_id, kind, name, document, birth_date,
				species, plate, model, plan_id, price, line_description, started_on)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING `+subjectColumns,
			contractID, in.Kind, in.Name, nullText(in.Document), birth, nullText(in.Species), nullText(in.Plate),
			nullText(in.Model), in.PlanID, in.Price, in.LineDescription, today))
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.ConstraintName == "contract_subjects_plate" {
			return fmt.Errorf("%w: contract %d already covers the vehicle %s", billing.ErrConflict, contractID, in.Plate)
		}
		if err != nil {
			return fmt.Errorf("add subject to contract %d: %w", contractID, err)
		}
		if _, err := recordEvents(ctx, tx, []NewEvent{subjectEvent(records.EventSubjectAdded, out, today)}); err != nil {
			return err
		}
		return billSubject(ctx, tx, out, true, today)
	})
	return out, err
}

// EndSubject ends a contract's subject on today: its subject_plan lines leave the open
// installments whose periods start on or after today and the days left of the period
// holding today are credited. A subject already ended is a conflict; an unknown one
// ErrNotFound.
func (s *Store) EndSubject(ctx context.Context, contractID, subjectID int64, today time.Time) (billing.Subject, error) {
	var out billing.Subject
	err := RetryTx(ctx, s.Pool, func(tx pgx.Tx) error {
		if err := lockContract(ctx, tx, contractID); err != nil {
			return err
		}
		sub, err := scanSubject(tx.QueryRow(ctx, "SELECT "+subjectColumns+` FROM contract_subjects
			WHERE id = $1 AND contract_id = $2 FOR UPDATE`, subjectID, contractID))
		if err := notFound(err, "subject", subjectID); err != nil {
			return err
		}
		if !sub.EndedOn.IsZero() {
			return fmt.Errorf("%w: subject %d ended on %s", billing.ErrConflict, subjectID, billing.FormatDate(sub.EndedOn))
		}
		if out, err = scanSubject(tx.QueryRow(ctx, `UPDATE contract_subjects SET ended_on = $2, updated_at = now()
			WHERE id = $1 RETURNING `+subjectColumns, subjectID, today)); err != nil {
			return fmt.Errorf("end subject %d: %w", subjectID, err)
		}
		if _, err := recordEvents(ctx, tx, []NewEvent{subjectEvent(records.EventSubjectEnded, out, today)}); err != nil {
			return err
		}
		return billSubject(ctx, tx, out, false, today)
	})
	return out, err
}

// Subjects lists a contract's subjects, in id order (ended ones included).
func (s *Store) Subjects(ctx context.Context, contractID int64) ([]billing.Subject, error) {
	var exists bool
	if err := s.Pool.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM contracts WHERE id = $1)", contractID).Scan(&exists); err != nil {
		return nil, fmt.Errorf("read contract %d: %w", contractID, err)
	}
	if !exists {
		return nil, fmt.Errorf("%w: contract %d", billing.ErrNotFound, contractID)
	}
	rows, err := s.Pool.Query(ctx, "SELECT "+subjectColumns+" FROM contract_subjects WHERE contract_id = $1 ORDER BY id", contractID)
	if err != nil {
		return nil, fmt.Errorf("read subjects of contract %d: %w", contractID, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (billing.Subject, error) { return scanSubject(r) })
	if err != nil {
		return nil, fmt.Errorf("read subjects of contract %d: %w", contractID, err)
	}
	return out, nil
}

// lockSubjectContract locks a contract a subject joins and returns its plan: refused when
// it is cancelled or finished, or on a package.
func lockSubjectContract(ctx context.Context, tx pgx.Tx, contractID int64) (billing.Plan, error) {
	var status string
	var planID int64
	err := tx.QueryRow(ctx, "SELECT status, plan_id FROM contracts WHERE id = $1 FOR NO KEY UPDATE", contractID).Scan(&status, &planID)
	if err := notFound(err, "contract", contractID); err != nil {
		return billing.Plan{}, err
	}
	if status == billing.StatusCancelled || status == billing.StatusFinished {
		return billing.Plan{}, fmt.Errorf("%w: contract %d is %s: a subject joins a live contract", billing.ErrConflict, contractID, status)
	}
	plan, err := scanPlan(tx.QueryRow(ctx, "SELECT "+planColumns+" FROM plans WHERE id = $1", planID))
	if err != nil {
		return billing.Plan{}, fmt.Errorf("read contract %d's plan: %w", contractID, err)
	}
	if plan.Kind != billing.KindPlan {
		return billing.Plan{}, fmt.Errorf("%w: contract %d is on a package: its subjects need a plan with service periods", billing.ErrConflict, contractID)
	}
	return plan, nil
}

// billSubject moves a subject's lines on its contract's open installments for its start
// (starting) or end on day: the whole subject_plan line on the periods starting on or after
// day (added when starting, removed when ending) and the proration of the period holding
// day on its installment, or on the first open one after it when that one is paid.
func billSubject(ctx context.Context, tx pgx.Tx, sub billing.Subject, starting bool, day time.Time) error {
	all, err := recurringOf(ctx, tx, []int64{sub.ContractID})
	if err != nil {
		return err
	}
	var (
		change  LineChange
		period  *openRecurring
		carrier *openRecurring
	)
	for i := range all[sub.ContractID] {
		it := &all[sub.ContractID][i]
		if !it.start.After(day) && !it.end.Before(day) {
			period = it
		}
		if it.state != "open" || it.start.Before(day) {
			continue
		}
		if carrier == nil {
			carrier = it
		}
		if starting {
			change.Add = append(change.Add, NewLine{InstallmentID: it.id, Line: subjectPlanLine(sub)})
		}
	}
	if !starting {
		rows, err := tx.Query(ctx, `SELECT l.id FROM installment_lines l JOIN installments i ON i.id = l.installment_id
			WHERE l.contract_id = $1 AND l.source_key = $2 AND i.state = 'open' AND i.service_start >= $3 ORDER BY l.id`,
			sub.ContractID, billing.SubjectSourceKey(sub.ID), day)
		if err != nil {
			return fmt.Errorf("read subject %d's lines: %w", sub.ID, err)
		}
		if change.Remove, err = pgx.CollectRows(rows, pgx.RowTo[int64]); err != nil {
			return fmt.Errorf("read subject %d's lines: %w", sub.ID, err)
		}
	}
	if period != nil {
		if period.state == "open" {
			carrier = period
		}
		if l, ok := billing.SubjectProrationLine(sub, starting, day, period.start, period.end); ok && carrier != nil {
			change.Add = append(change.Add, NewLine{InstallmentID: carrier.id, Line: l})
		}
	}
	_, _, err = changeLines(ctx, tx, change)
	return err
}

// subjectPlanLine is a subject's whole subject_plan line for one service period.
func subjectPlanLine(sub billing.Subject) billing.Line {
	price := sub.Price
	return billing.Line{Kind: billing.LineSubjectPlan, SourceKey: billing.SubjectSourceKey(sub.ID),
		Description: sub.LineDescription, Quantity: decimalInt(1), UnitPrice: &price, Amount: sub.Price}
}

// RecordSubjectUse records quantity uses of a benefit by one of a contract's subjects on
// usedAt, as RecordUse does for the contract, but on the subject's own quota: the terms of
// the subject's plan (not the contract's override), counted on the subject's own balances,
// so two subjects of one contract never share a quota. A subject the contract does not
// have, or that was not covered on usedAt, is refused naming subject_id.
func (s *Store) RecordSubjectUse(ctx context.Context, contractID, subjectID, benefitID int64, usedAt time.Time, quantity int) (Usage, error) {
	return s.recordUse(ctx, contractID, subjectID, benefitID, usedAt, quantity)
}

// subjectPlanOn returns the plan of a contract's subject covered on day; the caller holds
// the contract.
func subjectPlanOn(ctx context.Context, tx pgx.Tx, contractID, subjectID int64, day time.Time) (int64, error) {
	sub, err := scanSubject(tx.QueryRow(ctx, "SELECT "+subjectColumns+" FROM contract_subjects WHERE id = $1 AND contract_id = $2",
		subjectID, contractID))
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, billing.Fieldf("subject_id", "contract %d has no subject %d", contractID, subjectID)
	}
	if err != nil {
		return 0, fmt.Errorf("read subject %d: %w", subjectID, err)
	}
	if day.Before(sub.StartedOn) || (!sub.EndedOn.IsZero() && !day.Before(sub.EndedOn)) {
		covered := "from " + billing.FormatDate(sub.StartedOn)
		if !sub.EndedOn.IsZero() {
			covered += " to " + billing.FormatDate(sub.EndedOn.AddDate(0, 0, -1))
		}
		return 0, billing.Fieldf("subject_id", "subject %d is not covered on %s (covered %s)", subjectID, billing.FormatDate(day), covered)
	}
	return sub.PlanID, nil
}

// subjectEvent is the subject.added or subject.ended event of subject sub on day: who or
// what the contract covers, on which plan, from (and until) which day.
func subjectEvent(kind string, sub billing.Subject, day time.Time) NewEvent {
	p := map[string]any{"subject_id": sub.ID, "kind": sub.Kind, "name": sub.Name, "plan_id": sub.PlanID,
		"price": billing.FormatMoney(sub.Price), "started_on": billing.FormatDate(sub.StartedOn)}
	for k, v := range map[string]string{"document": sub.Document, "species": sub.Species, "plate": sub.Plate, "model": sub.Model} {
		if v != "" {
			p[k] = v
		}
	}
	if !sub.BirthDate.IsZero() {
		p["birth_date"] = billing.FormatDate(sub.BirthDate)
	}
	if !sub.EndedOn.IsZero() {
		p["ended_on"] = billing.FormatDate(sub.EndedOn)
	}
	return NewEvent{Kind: kind, ContractID: sub.ContractID, Subject: fmt.Sprintf("subject:%d", sub.ID), OccurredOn: day, Payload: p}
}
