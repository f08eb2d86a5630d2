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

// ladderContract is one contract as the collection ladder reads it: its ladder state
// (delinquency.LadderState) and what the writes that follow a decision need beside it.
type ladderContract struct {
	id     int64
	status string
	// noticeID is the debt notice of the current delinquency (contracts.ladder_notice_id);
	// zero when none is recorded.
	noticeID int64
	state    delinquency.LadderState
	// episode is the open block episode; nil when there is none.
	episode *ladderEpisode
}

// ladderEpisode is a contract's open block episode and its segments.
type ladderEpisode struct {
	id        int64
	startedOn time.Time
	// segments counts the episode's segments (the open one included): the n of the
	// events' subject keys episode:<id>:<n>.
	segments int
	// openFrom and openLevel are the open segment's start and level (records.LevelPartial,
	// records.LevelTotal); openFrom is zero while a trust unlock lifts the suspension.
	openFrom  time.Time
	openLevel string
}

// ladderQuery says which contracts a ladder read covers and how.
type ladderQuery struct {
	// from and to are the id range of a sweep batch: the contracts in it the ladder has
	// work for (see loadLadder). With ids set they are not used.
	from, to int64
	// ids are the contracts to read, whatever their state (the API, the unblock job, a
	// notice's rendering).
	ids []int64
	// asOf is the date the open installments are judged overdue against.
	asOf time.Time
	// lock locks the contracts read, in ascending id order, for the writes that follow.
	lock bool
	// allOpen reads every open installment, due or not (positions shown to operators, the
	// dates a notice states); otherwise only those overdue as of asOf, and those due in the
	// next reminderDays days.
	allOpen      bool
	reminderDays int
	// loc is the business time zone: the day a notice was sent is its sent_at's date there.
	loc *time.Location
}

// ladderStates are contracts read by loadLadder, in ascending id order.
type ladderStates []ladderContract

// ids returns the contracts' ids.
func (cs ladderStates) ids() []int64 {
	out := make([]int64, len(cs))
	for i, c := range cs {
		out[i] = c.id
	}
	return out
}

// loadLadder reads contracts with their ladder state: the rule's ladder, the stored step,
// the debt notice's sent day, the open episode and its segments, the open installments
// and, for profiles that count days in default, the installments settled late in the last
// 12 months. A batch (q.ids empty) reads the contracts of its id range the ladder has work
// for: active ones with an installment overdue, or due within a reminder, or a step
// stored, and every partially suspended or blocked one; it also locks, in the same
// ascending pass, the range's contracts with an inactivity discount waiting for an
// installment (attachDiscounts changes their installments), without returning them.
func loadLadder(ctx context.Context, tx Queryer, q ladderQuery) (ladderStates, error) {
	const columns = `SELECT c.id, c.status, c.due_rule_kind = 'prepaid_fixed_day', r.profile, r.min_overdue_installments,
			r.reminder_days, r.notice_after_days, r.partial_suspension_after_days, r.suspension_after_days,
			r.termination_after_days, c.ladder_step, c.ladder_step_since, coalesce(c.ladder_notice_id, 0), n.sent_at`
	const from = `
		FROM contracts c
		JOIN blocking_rules r ON r.id = coalesce(c.blocking_rule_id, (SELECT id FROM blocking_rules WHERE is_default))
		LEFT JOIN notices n ON n.id = c.ladder_notice_id`
	lock := ""
	if q.lock {
		lock = " FOR NO KEY UPDATE OF c"
	}
	var (
		rows pgx.Rows
		err  error
	)
	if q.ids != nil {
		rows, err = tx.Query(ctx, columns+`, true`+from+` WHERE c.id = ANY($1) ORDER BY c.id`+lock, q.ids)
	} else {
		rows, err = tx.Query(ctx, columns+`, d.decide`+from+`
		CROSS JOIN LATERAL (SELECT (c.status IN ('suspended_partial', 'blocked') OR (c.status = 'active' AND (c.ladder_step <> 'none'
			OR EXISTS (SELECT 1 FROM installments i WHERE i.contract_id = c.id AND (installment_overdue(i.state, i.due_date, $3)
				OR (i.state = 'open' AND i.due_date > $3 AND i.due_date <= $3::date + $4::int
					AND i.due_date <= $3::date + r.reminder_days[1]))))))
			-- a paused contract is out of the ladder for its pause (migrations/021_contract_changes.sql)
			AND NOT coalesce($3::date BETWEEN c.paused_from AND c.paused_until, false) AS decide) d
		WHERE c.id BETWEEN $1 AND $2 AND (d.decide OR c.id IN (SELECT contract_id FROM installment_discounts
			WHERE installment_id IS NULL AND contract_id BETWEEN $1 AND $2))
		ORDER BY c.id`+lock, q.from, q.to, q.asOf, q.reminderDays)
	}
	if err != nil {
		return nil, fmt.Errorf("read contracts: %w", err)
	}
	var out ladderStates
	index := map[int64]int{}
	_, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (struct{}, error) {
		var (
			c                     ladderContract
			profile, step         string
			since                 pgtype.Date
			sent                  pgtype.Timestamptz
			decide                bool
			reminders             []int32
			l                     = &c.state.Ladder
			minOverdue, notice    int32
			partial, susp, termin int32
		)
		if err := r.Scan(&c.id, &c.status, &c.state.Prepaid, &profile, &minOverdue, &reminders, &notice, &partial, &susp, &termin,
			&step, &since, &c.noticeID, &sent, &decide); err != nil {
			return struct{}{}, err
		}
		if !decide {
			return struct{}{}, nil // locked for attachDiscounts only
		}
		l.Profile, l.MinOverdue, l.NoticeDays = delinquency.ProfileName(profile), int(minOverdue), int(notice)
		l.PartialSuspensionDays, l.SuspensionDays, l.TerminationDays = int(partial), int(susp), int(termin)
		for _, d := range reminders {
			l.ReminderDays = append(l.ReminderDays, int(d))
		}
		c.state.Step, c.state.StepSince = delinquency.StepKind(step), optDate(since)
		if sent.Valid {
			c.state.NoticeSentOn = billing.DateOf(sent.Time, q.location())
		}
		index[c.id] = len(out)
		out = append(out, c)
		return struct{}{}, nil
	})
	if err != nil {
		return nil, fmt.Errorf("read contracts: %w", err)
	}
	if len(out) == 0 {
		return nil, nil
	}
	ids := out.ids()
	// Only a suspended contract, or one a trust unlock lifted (its stored step still a
	// suspension), has an open episode: the others' are not looked for, so that the day
	// of the first suspensions does not read the episodes the batches before it opened.
	var suspended []int64
	for _, c := range out {
		if c.status != billing.StatusActive || c.state.Step.Suspends() {
			suspended = append(suspended, c.id)
		}
	}
	if err := loadEpisodes(ctx, tx, out, index, suspended); err != nil {
		return nil, err
	}
	// Three statements rather than one with ORs on parameters, so that each is planned
	// for what it reads (the sweep's, every hour: the overdue installments only).
	const installments = `SELECT contract_id, id, kind, sequence, due_date, service_start FROM installments WHERE contract_id = ANY($1) AND `
	switch {
	case q.allOpen:
		rows, err = tx.Query(ctx, installments+`state = 'open' ORDER BY contract_id, due_date, id`, ids)
	case q.reminderDays > 0:
		rows, err = tx.Query(ctx, installments+`(installment_overdue(state, due_date, $2)
			OR (state = 'open' AND due_date > $2 AND due_date <= $2::date + $3::int)) ORDER BY contract_id, due_date, id`,
			ids, q.asOf, q.reminderDays)
	default:
		rows, err = tx.Query(ctx, installments+`installment_overdue(state, due_date, $2) ORDER BY contract_id, due_date, id`, ids, q.asOf)
	}
	if err != nil {
		return nil, fmt.Errorf("read open installments: %w", err)
	}
	_, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (struct{}, error) {
		var contract int64
		var in delinquency.Installment
		var start pgtype.Date
		if err := r.Scan(&contract, &in.ID, &in.Kind, &in.Sequence, &in.Due, &start); err != nil {
			return struct{}{}, err
		}
		in.ServiceStart = optDate(start)
		c := &out[index[contract]]
		c.state.Open = append(c.state.Open, in)
		return struct{}{}, nil
	})
	if err != nil {
		return nil, fmt.Errorf("read open installments: %w", err)
	}
	var counting []int64
	for _, c := range out {
		if _, counts := delinquency.BenefitGate(delinquency.LadderState{Ladder: c.state.Ladder}, q.asOf); counts {
			counting = append(counting, c.id)
		}
	}
	if len(counting) == 0 {
		return out, nil
	}
	// Lei 9.656/98 counts the days in default of the last 12 months, consecutive or not:
	// the installments paid late in them too.
	rows, err = tx.Query(ctx, `SELECT contract_id, due_date, paid_at FROM installments
		WHERE contract_id = ANY($1) AND state = 'paid' AND paid_at > due_date AND paid_at > $2::date - 366`, counting, q.asOf)
	if err != nil {
		return nil, fmt.Errorf("read installments paid late: %w", err)
	}
	_, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (struct{}, error) {
		var contract int64
		var s delinquency.DefaultSpell
		if err := r.Scan(&contract, &s.Due, &s.SettledOn); err != nil {
			return struct{}{}, err
		}
		c := &out[index[contract]]
		c.state.History = append(c.state.History, s)
		return struct{}{}, nil
	})
	if err != nil {
		return nil, fmt.Errorf("read installments paid late: %w", err)
	}
	return out, nil
}

// location is the business time zone of q (UTC when none is given).
func (q ladderQuery) location() *time.Location {
	if q.loc == nil {
		return time.UTC
	}
	return q.loc
}

// loadEpisodes reads the open block episodes of the contracts ids (at index in out) with
// their segments, and fills each contract's suspension: suspended while a segment is
// open, since the start of the unbroken run of segments that ends with it (a partial
// suspension followed by the total one is one run), and the last day of its trust unlock.
func loadEpisodes(ctx context.Context, tx Queryer, out ladderStates, index map[int64]int, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	// Episodes and their segments are read by id lists, not joined or correlated: the plan
	// stays linear even while the planner still believes the delinquency tables empty.
	rows, err := tx.Query(ctx, `SELECT contract_id, id, started_on, trust_unlock_until FROM block_episodes
		WHERE contract_id = ANY($1) AND ended_on IS NULL`, ids)
	if err != nil {
		return fmt.Errorf("read block episodes: %w", err)
	}
	byEpisode := map[int64]*ladderContract{}
	var episodes []int64
	_, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (struct{}, error) {
		var contract int64
		var trust pgtype.Date
		e := &ladderEpisode{}
		if err := r.Scan(&contract, &e.id, &e.startedOn, &trust); err != nil {
			return struct{}{}, err
		}
		c := &out[index[contract]]
		c.state.TrustUntil = optDate(trust)
		c.episode = e
		byEpisode[e.id] = c
		episodes = append(episodes, e.id)
		return struct{}{}, nil
	})
	if err != nil || len(episodes) == 0 {
		return wrap(err, "read block episodes")
	}
	rows, err = tx.Query(ctx, `SELECT episode_id, blocked_from, blocked_to, level FROM block_segments
		WHERE episode_id = ANY($1) ORDER BY episode_id, blocked_from`, episodes)
	if err != nil {
		return fmt.Errorf("read block segments: %w", err)
	}
	type segment struct {
		from  time.Time
		to    pgtype.Date
		level string
	}
	segments := map[int64][]segment{}
	_, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (struct{}, error) {
		var id int64
		var s segment
		err := r.Scan(&id, &s.from, &s.to, &s.level)
		segments[id] = append(segments[id], s)
		return struct{}{}, err
	})
	if err != nil {
		return fmt.Errorf("read block segments: %w", err)
	}
	for id, c := range byEpisode {
		segs := segments[id]
		e := c.episode
		e.segments = len(segs)
		last := len(segs) - 1
		if last < 0 || segs[last].to.Valid {
			continue
		}
		e.openFrom, e.openLevel = segs[last].from, segs[last].level
		since := segs[last].from
		for i := last - 1; i >= 0 && segs[i].to.Valid && segs[i].to.Time.Equal(since); i-- {
			since = segs[i].from
		}
		c.state.Suspended, c.state.SuspendedSince = true, since
	}
	return nil
}

// levelOf is the segment level a suspending step puts the contract at.
func levelOf(k delinquency.StepKind) string {
	if k == delinquency.StepPartialSuspension {
		return records.LevelPartial
	}
	return records.LevelTotal
}
