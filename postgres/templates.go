package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/billingd/billingd/billing"
	"github.com/billingd/billingd/notifications"
)

const templateColumns = `id, kind, scope, plan_id, contract_id, subject, html_body, text_body, created_at, updated_at`

func scanTemplate(row pgx.Row) (EmailTemplate, error) {
	var t EmailTemplate
	err := row.Scan(&t.ID, &t.Kind, &t.Scope, &t.PlanID, &t.ContractID, &t.Subject, &t.HTML, &t.Text, &t.CreatedAt, &t.UpdatedAt)
	return t, err
}

// validateTemplate checks a template's kind, scope and target and compiles it, so that a
// template that does not parse or names an unknown field is never stored.
func validateTemplate(ctx context.Context, q Queryer, t EmailTemplate) error {
	if !notifications.ValidKind(t.Kind) {
		return billing.Fieldf("kind", "want one of welcome, coming_due, overdue, block_warning, blocked, unblocked or renewed, got %q", t.Kind)
	}
	switch t.Scope {
	case ScopeDefault:
		if t.PlanID != nil {
			return billing.Fieldf("plan_id", "only a plan-scoped template names a plan")
		}
		if t.ContractID != nil {
			return billing.Fieldf("contract_id", "only a contract-scoped template names a contract")
		}
	case ScopePlan:
		if t.PlanID == nil {
			return billing.Fieldf("plan_id", "required for scope plan")
		}
		if t.ContractID != nil {
			return billing.Fieldf("contract_id", "only a contract-scoped template names a contract")
		}
		if err := mustExist(ctx, q, "plans", "plan_id", *t.PlanID); err != nil {
			return err
		}
	case ScopeContract:
		if t.ContractID == nil {
			return billing.Fieldf("contract_id", "required for scope contract")
		}
		if t.PlanID != nil {
			return billing.Fieldf("plan_id", "only a plan-scoped template names a plan")
		}
		if err := mustExist(ctx, q, "contracts", "contract_id", *t.ContractID); err != nil {
			return err
		}
	default:
		return billing.Fieldf("scope", "want default, plan or contract, got %q", t.Scope)
	}
	_, err := notifications.Compile(t.Template)
	return err
}

func mustExist(ctx context.Context, q Queryer, table, field string, id int64) error {
	var ok bool
	if err := q.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM "+table+" WHERE id = $1)", id).Scan(&ok); err != nil {
		return fmt.Errorf("look up %s: %w", field, err)
	}
	if !ok {
		return billing.Fieldf(field, "no %s with id %d", table[:len(table)-1], id)
	}
	return nil
}

func templateConflict(err error, t EmailTemplate) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" {
		return fmt.Errorf("%w: a %s template of scope %s already exists for this target; change it with PUT", billing.ErrConflict, t.Kind, t.Scope)
	}
	return err
}

// CreateTemplate validates and stores a template; billing.ErrConflict when its kind and target
// already have one.
func (s *Store) CreateTemplate(ctx context.Context, t EmailTemplate) (EmailTemplate, error) {
	if err := validateTemplate(ctx, s.Pool, t); err != nil {
		return EmailTemplate{}, err
	}
	out, err := writeRow(ctx, s.Pool, scanTemplate, `INSERT INTO email_templates (kind, scope, plan_id, contract_id, subject, html_body, text_body)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING `+templateColumns,
		t.Kind, t.Scope, t.PlanID, t.ContractID, t.Subject, t.HTML, t.Text)
	if err != nil {
		return EmailTemplate{}, fmt.Errorf("create template: %w", templateConflict(err, t))
	}
	return out, nil
}

// UpdateTemplate validates and replaces a stored template.
func (s *Store) UpdateTemplate(ctx context.Context, t EmailTemplate) (EmailTemplate, error) {
	if err := validateTemplate(ctx, s.Pool, t); err != nil {
		return EmailTemplate{}, err
	}
	out, err := writeRow(ctx, s.Pool, scanTemplate, `UPDATE email_templates SET kind = $2, scope = $3, plan_id = $4,
			contract_id = $5, subject = $6, html_body = $7, text_body = $8, updated_at = now()
		WHERE id = $1 RETURNING `+templateColumns,
		t.ID, t.Kind, t.Scope, t.PlanID, t.ContractID, t.Subject, t.HTML, t.Text)
	if err := notFound(err, "e-mail template", t.ID); err != nil {
		return EmailTemplate{}, templateConflict(err, t)
	}
	return out, nil
}

// GetTemplate returns the template with the given id.
func (s *Store) GetTemplate(ctx context.Context, id int64) (EmailTemplate, error) {
	t, err := scanTemplate(s.Pool.QueryRow(ctx, "SELECT "+templateColumns+" FROM email_templates WHERE id = $1", id))
	return t, notFound(err, "e-mail template", id)
}

// Templates lists templates by id.
func (s *Store) Templates(ctx context.Context, f TemplateFilter, page Page) ([]EmailTemplate, error) {
	rows, err := s.Pool.Query(ctx, "SELECT "+templateColumns+` FROM email_templates
		WHERE id > $1 AND ($2 = '' OR kind = $2) AND ($3 = '' OR scope = $3) ORDER BY id LIMIT $4`,
		page.After, f.Kind, f.Scope, page.Size())
	if err != nil {
		return nil, fmt.Errorf("list templates: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (EmailTemplate, error) { return scanTemplate(r) })
}

// resolveTemplate picks the template of a notice: the one chosen when it was created, else
// the contract's own, the plan's, the operator's default, and finally the shipped default.
func resolveTemplate(ctx context.Context, q Queryer, kind string, chosen *int64, contract, plan int64) (*notifications.Compiled, error) {
	t, err := scanTemplate(q.QueryRow(ctx, "SELECT "+templateColumns+` FROM email_templates
		WHERE CASE WHEN $1::bigint IS NOT NULL THEN id = $1
			ELSE kind = $2 AND ((scope = 'contract' AND contract_id = $3) OR (scope = 'plan' AND plan_id = $4) OR scope = 'default') END
		ORDER BY CASE scope WHEN 'contract' THEN 0 WHEN 'plan' THEN 1 ELSE 2 END LIMIT 1`, chosen, kind, contract, plan))
	if errors.Is(err, pgx.ErrNoRows) {
		c, ok := notifications.CompiledDefault(kind)
		if !ok {
			return nil, fmt.Errorf("no shipped template for kind %q", kind)
		}
		return c, nil
	}
	if err != nil {
		return nil, fmt.Errorf("resolve %s template: %w", kind, err)
	}
	return notifications.Compile(t.Template)
}
