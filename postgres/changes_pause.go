package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/records"
)

// PauseContract pauses a monthly contract for req.Months months (1–4) from the first service
// period starting on or after req.From, at once: that period and every later open one move
// req.Months months later (the service anchor moves, billing.PauseAnchor, and each is
// recomputed with generation's code), so no installment falls in the pause; the term end
// moves with them; the pause window is recorded on the contract, where block-delinquent and
// benefit uses read it. Refused: a contract not active, with an overdue installment, paused
// now, or paused less than settings.PauseMinMonths months before (409 naming when); a paid
// period inside or after the pause (409); a date in the past or a bad length (422). A
// package contract pauses from req.From itself and moves no installment (pausePackage).
func (s *Store) PauseContract(ctx context.Context, contractID int64, req records.PauseRequest, settings records.ChangeSettings) (records.ContractChange, error) {
	var out records.ContractChange
	err := s.withChangedContract(ctx, contractID, func(tx pgx.Tx, st changeState) error {
		if err := billing.CheckPauseMonths(req.Months); err != nil {
			return err
		}
		if req.From.Before(req.Today) {
			return billing.Fieldf("from", "%s is in the past (today is %s)", billing.FormatDate(req.From), billing.FormatDate(req.Today))
		}
		if st.plan.Period != billing.Monthly {
			return billing.Fieldf("months", "only a monthly plan's contract pauses by months; plan %d is %s", st.plan.ID, st.plan.Period)
		}
		if st.c.Status != billing.StatusActive {
			return fmt.Errorf("%w: contract %d is %s: only an active contract can pause", billing.ErrConflict, contractID, st.c.Status)
		}
		if done, ok, err := appliedAgain(ctx, tx, contractID, billing.ChangePause,
			`to_value->>'from' = $3 AND (to_value->>'months')::int = $4 AND requested_on = $5`,
			billing.FormatDate(req.From), req.Months, req.Today); err != nil || ok {
			out = done
			return err
		}
		if !st.pausedUntil.IsZero() && !st.pausedUntil.Before(req.Today) {
			return fmt.Errorf("%w: contract %d is paused from %s to %s", billing.ErrConflict, contractID,
				billing.FormatDate(st.pausedFrom), billing.FormatDate(st.pausedUntil))
		}
		if st.plan.Kind == billing.KindPackage {
			done, err := pausePackage(ctx, tx, contractID, req, settings, st)
			out = done
			return err
		}
		all, err := recurringOf(ctx, tx, []int64{contractID})
		if err != nil {
			return err
		}
		var first *openRecurring
		for i := range all[contractID] {
			it := &all[contractID][i]
			if it.state == "open" && it.due.Before(req.Today) {
				return fmt.Errorf("%w: contract %d's installment %d is overdue since %s: it is paid before a pause",
					billing.ErrConflict, contractID, it.id, billing.FormatDate(it.due))
			}
			if it.start.Before(req.From) {
				continue
			}
			if it.state == "paid" {
				return fmt.Errorf("%w: contract %d's installment %d (service %s to %s) is already paid: a pause cannot move a paid period",
					billing.ErrConflict, contractID, it.id, billing.FormatDate(it.start), billing.FormatDate(it.end))
			}
			if first == nil && it.state == "open" {
				first = it
			}
		}
		if first == nil {
			return billing.Fieldf("from", "no open service period of contract %d starts on or after %s", contractID, billing.FormatDate(req.From))
		}
		if err := checkPauseLimit(ctx, tx, contractID, first.start, settings.PauseMinMonths); err != nil {
			return err
		}
		cal, err := LoadCalendar(ctx, tx)
		if err != nil {
			return err
		}
		spec := st.spec()
		spec.Start = billing.PauseAnchor(st.anchor, req.Months)
		var r redates
		var until time.Time
		for _, it := range all[contractID] {
			if it.state != "open" || it.sequence < first.sequence {
				continue
			}
			next, ok := billing.RecurringAt(spec, it.sequence, cal)
			if !ok {
				return fmt.Errorf("contract %d: no installment %d after the pause", contractID, it.sequence)
			}
			if it.sequence == first.sequence {
				until = next.ServiceStart.AddDate(0, 0, -1)
			}
			next.Amount = it.planAmount
			r.add(it, next)
		}
		r.contracts = []int64{contractID}
		to := map[string]any{"from": billing.FormatDate(req.From), "months": req.Months, "paused_from": billing.FormatDate(first.start), "paused_until": billing.FormatDate(until),
			"service_anchor": billing.FormatDate(spec.Start), "redated": len(r.items)}
		ch := records.ContractChange{ContractID: contractID, Kind: billing.ChangePause, RequestedOn: req.Today, EffectiveOn: first.start,
			From: map[string]any{"service_anchor": billing.FormatDate(st.anchor), "term_end": billing.FormatDate(st.c.TermEnd)},
			To:   to, Status: billing.ChangeApplied, AppliedOn: req.Today, Actor: req.Actor, Reason: req.Reason}
		rec, created, err := insertChange(ctx, tx, ch, func(old map[string]any) bool { return sameKeys(old, to, "months") })
		if err != nil || !created {
			out = rec
			return err
		}
		r.by(records.RedatePause, contractID, rec.ID)
		if _, err := tx.Exec(ctx, `UPDATE contracts SET service_anchor = $2, paused_from = $3, paused_until = $4, updated_at = now()
			WHERE id = $1`, contractID, spec.Start, first.start, until); err != nil {
			return fmt.Errorf("pause contract %d: %w", contractID, err)
		}
		if err := r.write(ctx, tx); err != nil {
			return err
		}
		out, err = withTermEnd(ctx, tx, rec)
		return err
	})
	return out, err
}

// withTermEnd adds the contract's term end after the change to its to value.
func withTermEnd(ctx context.Context, tx pgx.Tx, ch records.ContractChange) (records.ContractChange, error) {
	out, err := scanChange(tx.QueryRow(ctx, `UPDATE contract_changes ch SET to_value = ch.to_value
			|| jsonb_build_object('term_end', (SELECT term_end FROM contracts WHERE id = ch.contract_id))
		WHERE ch.id = $1 RETURNING `+changeColumns, ch.ID))
	if err != nil {
		return out, fmt.Errorf("record change %d: %w", ch.ID, err)
	}
	return out, nil
}

// checkPauseLimit refuses a pause starting fewer than minMonths months after the start of
// the contract's last applied pause, naming the first day the next may start.
func checkPauseLimit(ctx context.Context, tx pgx.Tx, contractID int64, start time.Time, minMonths int) error {
	if minMonths <= 0 {
		return nil
	}
	var last time.Time
	var id int64
	err := tx.QueryRow(ctx, `SELECT id, effective_on FROM contract_changes WHERE contract_id = $1 AND kind = 'pause'
		AND status = 'applied' ORDER BY effective_on DESC, id DESC LIMIT 1`, contractID).Scan(&id, &last)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read contract %d's last pause: %w", contractID, err)
	}
	next := billing.AddMonthsClamped(last, minMonths, last.Day())
	if start.Before(next) {
		return fmt.Errorf("%w: from: contract %d paused from %s (change %d); the next pause may start from %s (BILLINGD_PAUSE_MIN_MONTHS is %d)",
			billing.ErrConflict, contractID, billing.FormatDate(last), id, billing.FormatDate(next), minMonths)
	}
	return nil
}

// ResumeContract ends a contract's pause on req.On (today or later, inside the pause or
// before it starts): the service restarts on the first day, on or after req.On, that is a
// whole number of months after the pause's start, and the open periods after the pause move
// back by the months not used (the anchor of before the pause plus the months used). A
// contract not paused, or whose pause ends before req.On, is a conflict.
func (s *Store) ResumeContract(ctx context.Context, contractID int64, req records.ResumeRequest) (records.ContractChange, error) {
	var out records.ContractChange
	err := s.withChangedContract(ctx, contractID, func(tx pgx.Tx, st changeState) error {
		if req.On.Before(req.Today) {
			return billing.Fieldf("on", "%s is in the past (today is %s)", billing.FormatDate(req.On), billing.FormatDate(req.Today))
		}
		if done, ok, err := appliedAgain(ctx, tx, contractID, billing.ChangeResume, `effective_on = $3`, req.On); err != nil || ok {
			out = done
			return err
		}
		if st.pausedFrom.IsZero() || st.pausedUntil.Before(req.On) {
			return fmt.Errorf("%w: contract %d is not paused on %s", billing.ErrConflict, contractID, billing.FormatDate(req.On))
		}
		used := 0
		for billing.AddMonthsClamped(st.pausedFrom, used, st.pausedFrom.Day()).Before(req.On) {
			used++
		}
		restart := billing.AddMonthsClamped(st.pausedFrom, used, st.pausedFrom.Day())
		if restart.After(st.pausedUntil) {
			return fmt.Errorf("%w: contract %d's pause ends on %s: nothing to resume", billing.ErrConflict, contractID,
				billing.FormatDate(st.pausedUntil))
		}
		r, anchor, err := resumeRedates(ctx, tx, contractID, st, used)
		if err != nil {
			return err
		}
		to := map[string]any{"restart": billing.FormatDate(restart), "months_used": used, "service_anchor": billing.FormatDate(anchor),
			"redated": len(r.items)}
		ch := records.ContractChange{ContractID: contractID, Kind: billing.ChangeResume, RequestedOn: req.Today, EffectiveOn: req.On,
			From: map[string]any{"paused_from": billing.FormatDate(st.pausedFrom), "paused_until": billing.FormatDate(st.pausedUntil),
				"service_anchor": billing.FormatDate(st.anchor)},
			To: to, Status: billing.ChangeApplied, AppliedOn: req.Today, Actor: req.Actor, Reason: req.Reason}
		rec, created, err := insertChange(ctx, tx, ch, func(map[string]any) bool { return true })
		if err != nil || !created {
			out = rec
			return err
		}
		r.by(records.RedateResume, contractID, rec.ID)
		// A pause resumed before it used a month is no pause at all.
		if _, err := tx.Exec(ctx, `UPDATE contracts SET service_anchor = $2,
				paused_from = CASE WHEN $4 THEN NULL ELSE paused_from END,
				paused_until = CASE WHEN $4 THEN NULL ELSE $3::date END, updated_at = now()
			WHERE id = $1`, contractID, anchor, restart.AddDate(0, 0, -1), used == 0); err != nil {
			return fmt.Errorf("resume contract %d: %w", contractID, err)
		}
		if err := r.write(ctx, tx); err != nil {
			return err
		}
		out, err = withTermEnd(ctx, tx, rec)
		return err
	})
	return out, err
}

// resumeRedates returns the open periods a resume of contract contractID (locked, st) after
// used months of its pause moves back — those after the pause, recomputed from the anchor
// of before the pause plus used months — and that anchor. A package contract moves nothing
// and keeps its anchor: its installments pay for cycles (the shorter window moves its
// dated cycle's end by the months it keeps, benefits.CycleEndsOnPaused).
func resumeRedates(ctx context.Context, tx pgx.Tx, contractID int64, st changeState, used int) (redates, time.Time, error) {
	var r redates
	r.contracts = []int64{contractID}
	if st.plan.Kind == billing.KindPackage {
		return r, st.anchor, nil
	}
	pause, err := scanChange(tx.QueryRow(ctx, `SELECT `+changeColumns+` FROM contract_changes WHERE contract_id = $1
		AND kind = 'pause' AND status = 'applied' ORDER BY id DESC LIMIT 1`, contractID))
	if err != nil {
		return r, time.Time{}, fmt.Errorf("read contract %d's pause: %w", contractID, err)
	}
	before, err := billing.ParseDate(fmt.Sprint(pause.From["service_anchor"]))
	if err != nil {
		return r, time.Time{}, fmt.Errorf("contract %d's pause %d: service_anchor: %w", contractID, pause.ID, err)
	}
	cal, err := LoadCalendar(ctx, tx)
	if err != nil {
		return r, time.Time{}, err
	}
	all, err := recurringOf(ctx, tx, []int64{contractID})
	if err != nil {
		return r, time.Time{}, err
	}
	spec := st.spec()
	spec.Start = billing.PauseAnchor(before, used)
	for _, it := range all[contractID] {
		if it.state != "open" || !it.start.After(st.pausedUntil) {
			continue
		}
		next, ok := billing.RecurringAt(spec, it.sequence, cal)
		if !ok {
			return r, time.Time{}, fmt.Errorf("contract %d: no installment %d after the resume", contractID, it.sequence)
		}
		next.Amount = it.planAmount
		r.add(it, next)
	}
	return r, spec.Start, nil
}

// appliedAgain finds the applied change of kind a request already made (where, over $3…,
// says which): the same request again answers it and applies nothing.
func appliedAgain(ctx context.Context, tx pgx.Tx, contractID int64, kind, where string, args ...any) (records.ContractChange, bool, error) {
	ch, err := scanChange(tx.QueryRow(ctx, `SELECT `+changeColumns+` FROM contract_changes
		WHERE contract_id = $1 AND kind = $2 AND status = 'applied' AND `+where+` ORDER BY id DESC LIMIT 1`,
		append([]any{contractID, kind}, args...)...))
	if errors.Is(err, pgx.ErrNoRows) {
		return ch, false, nil
	}
	if err != nil {
		return ch, false, fmt.Errorf("read contract %d's %s changes: %w", contractID, kind, err)
	}
	return ch, true, nil
}
