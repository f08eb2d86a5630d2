package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/boleto"
	"github.com/billingd/billingd/delinquency"
	"github.com/billingd/billingd/notifications"
)

// WelcomeReference is the reference of a contract's welcome notice: there is one per contract.
const WelcomeReference = "welcome"

// ErrNoticeLocked is returned when another worker holds a notice.
var ErrNoticeLocked = errors.New("notice is being delivered by another worker")

const noticeColumns = `id, contract_id, kind, reference, state, coalesce(recipient, ''), coalesce(subject, ''),
	coalesce(html_body, ''), coalesce(text_body, ''), template_id, coalesce(subject_override, ''),
	coalesce(message_id, ''), attempts, coalesce(last_error, ''), created_at, rendered_at, sent_at`

func scanNotice(row pgx.Row) (Notice, error) {
	var n Notice
	err := row.Scan(&n.ID, &n.ContractID, &n.Kind, &n.Reference, &n.State, &n.Recipient, &n.Subject, &n.HTML, &n.Text,
		&n.TemplateID, &n.SubjectOverride, &n.MessageID, &n.Attempts, &n.LastError, &n.CreatedAt, &n.RenderedAt, &n.SentAt)
	return n, err
}

// InsertWelcome records, in the contract's transaction, the welcome notice of contract and
// returns its id.
func InsertWelcome(ctx context.Context, tx pgx.Tx, c billing.Contract, w Welcome) (int64, error) {
	if w.TemplateID != nil {
		var kind string
		err := tx.QueryRow(ctx, "SELECT kind FROM email_templates WHERE id = $1", *w.TemplateID).Scan(&kind)
		if errors.Is(err, pgx.ErrNoRows) {
			return 0, billing.Fieldf("welcome_email_template_id", "no e-mail template with id %d", *w.TemplateID)
		}
		if err != nil {
			return 0, fmt.Errorf("look up welcome template: %w", err)
		}
		if kind != notifications.KindWelcome {
			return 0, billing.Fieldf("welcome_email_template_id", "template %d is a %s template, not a welcome one", *w.TemplateID, kind)
		}
	}
	var id int64
	err := tx.QueryRow(ctx, `INSERT INTO notices (contract_id, kind, reference, recipient, subject_override, template_id)
		SELECT $1, 'welcome', $2, coalesce(nullif($3, ''), cu.email), nullif($4, ''), $5
		FROM customers cu WHERE cu.id = $6 RETURNING id`,
		c.ID, WelcomeReference, w.To, w.Subject, w.TemplateID, c.CustomerID).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("record welcome notice of contract %d: %w", c.ID, err)
	}
	return id, nil
}

// Notices lists notices by id.
func (s *Store) Notices(ctx context.Context, f NoticeFilter, page Page) ([]Notice, error) {
	rows, err := s.Pool.Query(ctx, "SELECT "+noticeColumns+` FROM notices
		WHERE id > $1 AND ($2::bigint = 0 OR contract_id = $2) AND ($3 = '' OR kind = $3) AND ($4 = '' OR state = $4)
		ORDER BY id LIMIT $5`, page.After, f.ContractID, f.Kind, f.State, page.Size())
	if err != nil {
		return nil, fmt.Errorf("list notices: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Notice, error) { return scanNotice(r) })
}

// GetNotice returns the notice with the given id.
func (s *Store) GetNotice(ctx context.Context, id int64) (Notice, error) {
	n, err := scanNotice(s.Pool.QueryRow(ctx, "SELECT "+noticeColumns+" FROM notices WHERE id = $1", id))
	return n, notFound(err, "notice", id)
}

// LockNotice locks a notice for delivery inside tx. Another worker holding it is
// ErrNoticeLocked; a missing notice billing.ErrNotFound.
func LockNotice(ctx context.Context, tx pgx.Tx, id int64) (Notice, error) {
	n, err := scanNotice(tx.QueryRow(ctx, "SELECT "+noticeColumns+" FROM notices WHERE id = $1 FOR UPDATE SKIP LOCKED", id))
	if !errors.Is(err, pgx.ErrNoRows) {
		if err != nil {
			return Notice{}, fmt.Errorf("lock notice %d: %w", id, err)
		}
		return n, nil
	}
	var exists bool
	if err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM notices WHERE id = $1)", id).Scan(&exists); err != nil {
		return Notice{}, fmt.Errorf("look up notice %d: %w", id, err)
	}
	if exists {
		return Notice{}, ErrNoticeLocked
	}
	return Notice{}, fmt.Errorf("%w: notice %d", billing.ErrNotFound, id)
}

// RenderNotice renders a notice with its resolved template over its contract, customer,
// plan, (for coming_due, overdue and reminder) installment and (for the collection kinds,
// notifications.IsCollection) the debt and the ladder's dates on the business date of now
// in loc, records the result (state rendered) and returns the notice as rendered. A
// collection notice states what is owed on the day it is rendered, so its delivery renders
// it again on a later day (see NeedsRendering).
func RenderNotice(ctx context.Context, tx pgx.Tx, n Notice, now time.Time, loc *time.Location) (Notice, error) {
	var (
		cust billing.Customer
		plan billing.Plan
	)
	c, err := scanContract(tx.QueryRow(ctx, "SELECT "+contractColumns+" FROM contracts c WHERE c.id = $1", n.ContractID))
	if err != nil {
		return n, fmt.Errorf("read contract %d: %w", n.ContractID, err)
	}
	if cust, err = scanCustomer(tx.QueryRow(ctx, "SELECT "+customerColumns+" FROM customers WHERE id = $1", c.CustomerID)); err != nil {
		return n, fmt.Errorf("read customer %d: %w", c.CustomerID, err)
	}
	if plan, err = scanPlan(tx.QueryRow(ctx, "SELECT "+planColumns+" FROM plans WHERE id = $1", c.PlanID)); err != nil {
		return n, fmt.Errorf("read plan %d: %w", c.PlanID, err)
	}
	var inst *notifications.Installment
	if n.Kind == notifications.KindComingDue || n.Kind == notifications.KindOverdue || n.Kind == notifications.KindReminder {
		ref, _, _ := strings.Cut(n.Reference, "-") // a reminder's is <installment>-<days>
		id, err := strconv.ParseInt(ref, 10, 64)
		if err != nil {
			return n, billing.Fieldf("reference", "a %s notice references an installment id, got %q", n.Kind, n.Reference)
		}
		i, err := scanInstallment(tx.QueryRow(ctx, "SELECT "+installmentColumns+" FROM installments WHERE id = $1 AND contract_id = $2", id, n.ContractID))
		if err != nil {
			return n, billing.Fieldf("reference", "installment %d of contract %d: %v", id, n.ContractID, err)
		}
		inst = &notifications.Installment{ID: i.ID, Kind: string(i.Kind), Term: i.Term, Sequence: i.Sequence,
			DueDate: i.DueDate, ServiceStart: i.ServiceStart, ServiceEnd: i.ServiceEnd,
			Amount: i.Amount, Discount: i.Discount, OnTimeDiscount: i.OnTimeDiscount}
		lines, err := installmentLines(ctx, tx, []int64{i.ID})
		if err != nil {
			return n, err
		}
		inst.Lines = lines[i.ID]
	}
	tpl, err := resolveTemplate(ctx, tx, n.Kind, n.TemplateID, c.ID, c.PlanID)
	if err != nil {
		return n, err
	}
	data := notifications.NewData(cust, c, plan, inst)
	if inst != nil {
		if data.Charge, err = chargeNoticeData(ctx, tx, inst.ID); err != nil {
			return n, err
		}
	}
	if notifications.IsCollection(n.Kind) {
		if data.Collection, err = collectionData(ctx, tx, n, c, plan, billing.DateOf(now, loc), loc); err != nil {
			return n, err
		}
	}
	msg, err := tpl.Render(data)
	if err != nil {
		return n, err
	}
	if n.SubjectOverride != "" {
		msg.Subject = n.SubjectOverride
	}
	if n.Recipient == "" {
		n.Recipient = cust.Email
	}
	n.Subject, n.HTML, n.Text, n.State, n.RenderedAt = msg.Subject, msg.HTML, msg.Text, NoticeRendered, &now
	if _, err := tx.Exec(ctx, `UPDATE notices SET state = 'rendered', recipient = $2, subject = $3, html_body = $4,
			text_body = $5, rendered_at = $6 WHERE id = $1`, n.ID, n.Recipient, n.Subject, n.HTML, n.Text, now); err != nil {
		return n, fmt.Errorf("record rendered notice %d: %w", n.ID, err)
	}
	return n, nil
}

// NeedsRendering reports whether a notice must be rendered before it is sent at now: a
// pending one, and a collection notice rendered on an earlier business day (what it owes
// and the dates it states are those of the day it goes out).
func NeedsRendering(n Notice, now time.Time, loc *time.Location) bool {
	if n.State == NoticePending {
		return true
	}
	return notifications.IsCollection(n.Kind) && n.State == NoticeRendered &&
		(n.RenderedAt == nil || !billing.DateOf(*n.RenderedAt, loc).Equal(billing.DateOf(now, loc)))
}

// collectionData is what a collection notice of contract k states on the business date
// on: the installments overdue with what each asks that day (billing.AmountDueOn over its
// ledger: its amount and discounts, the contract's late rule, the payments recorded), and
// the ladder's dates (delinquency.PositionAt, the debt notice taken as sent on that day
// when it is the one being sent).
func collectionData(ctx context.Context, tx pgx.Tx, n Notice, k billing.Contract, plan billing.Plan, on time.Time, loc *time.Location) (notifications.CollectionData, error) {
	states, err := loadLadder(ctx, tx, ladderQuery{ids: []int64{n.ContractID}, asOf: on, allOpen: true, loc: loc})
	if err != nil || len(states) == 0 {
		return notifications.CollectionData{}, err
	}
	st := states[0].state
	if n.Kind == notifications.KindBlockWarning && st.NoticeSentOn.IsZero() {
		st.NoticeSentOn = on
	}
	p := delinquency.PositionAt(st, on)
	profile, err := delinquency.ProfileOf(string(st.Ladder.Profile))
	if err != nil {
		return notifications.CollectionData{}, err
	}
	coll := notifications.Collection{On: on, PartialSuspensionOn: p.PartialSuspensionOn, SuspensionOn: p.SuspensionOn,
		TerminationOn: p.TerminationOn, RestoreWithinDays: profile.RestoreWithinDays, Late: billing.ResolveLateRule(k.Late, plan.Late)}
	switch p.Step {
	case delinquency.StepPartialSuspension:
		coll.PartialSuspensionOn = p.Since
	case delinquency.StepSuspension:
		coll.SuspensionOn = p.Since
	case delinquency.StepTermination:
		coll.TerminationOn = p.Since
	}
	cal, err := LoadCalendar(ctx, tx)
	if err != nil {
		return notifications.CollectionData{}, err
	}
	rows, err := tx.Query(ctx, `SELECT id, sequence, due_date FROM installments
		WHERE contract_id = $1 AND installment_overdue(state, due_date, $2) ORDER BY due_date, id`, n.ContractID, on)
	if err != nil {
		return notifications.CollectionData{}, fmt.Errorf("read installments owed: %w", err)
	}
	owed, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (notifications.OwedInstallment, error) {
		in := notifications.OwedInstallment{InstallmentsPerTerm: plan.InstallmentsPerTerm}
		return in, r.Scan(&in.ID, &in.Sequence, &in.DueDate)
	})
	if err != nil {
		return notifications.CollectionData{}, fmt.Errorf("read installments owed: %w", err)
	}
	ids := make([]int64, len(owed))
	for i, in := range owed {
		ids[i] = in.ID
	}
	ledgers, err := Ledgers(ctx, tx, ids)
	if err != nil {
		return notifications.CollectionData{}, err
	}
	instruments, err := readInstruments(ctx, tx, ids)
	if err != nil {
		return notifications.CollectionData{}, err
	}
	for _, in := range owed {
		if pi := instruments[in.ID]; pi != nil {
			in.Instruments = notifications.InstrumentData{Barcode: pi.Barcode, PixCopyPaste: pi.PixCopyPaste}
			if pi.LinhaDigitavel != "" {
				in.Instruments.DigitableLine = boleto.FormatLinhaDigitavel(pi.LinhaDigitavel)
			}
		}
		l, ok := ledgers[in.ID]
		if !ok {
			continue
		}
		if in.Due, err = billing.AmountDueOn(l.Receivable, l.Rule, cal, l.Payments, on); err != nil {
			return notifications.CollectionData{}, fmt.Errorf("amount due of installment %d: %w", in.ID, err)
		}
		coll.Installments = append(coll.Installments, in)
	}
	return notifications.NewCollectionData(coll), nil
}

// MarkNoticeSent records that the SMTP server accepted the notice at sentAt: it is never
// sent again. sentAt is the day a debt notice's steps count from.
func MarkNoticeSent(ctx context.Context, tx pgx.Tx, id int64, messageID string, sentAt time.Time) error {
	if _, err := tx.Exec(ctx, `UPDATE notices SET state = 'sent', message_id = $2, sent_at = $3,
			attempts = attempts + 1, last_error = NULL WHERE id = $1`, id, messageID, sentAt); err != nil {
		return fmt.Errorf("record notice %d sent: %w", id, err)
	}
	return nil
}

// MarkNoticeUnconfirmed records a notice sent whole whose final reply never came: failed and
// not retried, since the server may have accepted it and a second attempt could deliver a
// second copy, with its Message-ID for a search in the server's log.
func MarkNoticeUnconfirmed(ctx context.Context, tx pgx.Tx, id int64, messageID string, cause error) error {
	if _, err := tx.Exec(ctx, `UPDATE notices SET state = 'failed', attempts = attempts + 1, message_id = $2,
			last_error = $3, failed_at = now() WHERE id = $1`,
		id, messageID, "outcome unknown, not sent again (it may have been delivered): "+cause.Error()); err != nil {
		return fmt.Errorf("record notice %d unconfirmed: %w", id, err)
	}
	return nil
}

// MarkNoticeFailed records a failure: final (state failed) or to be retried.
func MarkNoticeFailed(ctx context.Context, tx pgx.Tx, id int64, cause error, final bool) error {
	if _, err := tx.Exec(ctx, `UPDATE notices SET attempts = attempts + 1, last_error = $2,
			state = CASE WHEN $3 THEN 'failed' ELSE state END, failed_at = CASE WHEN $3 THEN now() END
		WHERE id = $1`, id, cause.Error(), final); err != nil {
		return fmt.Errorf("record notice %d failure: %w", id, err)
	}
	return nil
}
