package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/billingd/billingd/billing"
)

const customerColumns = `id, name, email, document, phone, street, street_number, complement, district, city, state,
	postal_code, municipality_code, created_at, updated_at`

func scanCustomer(row pgx.Row) (billing.Customer, error) {
	var c billing.Customer
	a := &c.Address
	err := row.Scan(&c.ID, &c.Name, &c.Email, &c.Document, &c.Phone, &a.Street, &a.Number, &a.Complement, &a.District,
		&a.City, &a.State, &a.PostalCode, &a.MunicipalityCode, &c.CreatedAt, &c.UpdatedAt)
	return c, err
}

// CreateCustomer stores a new customer.
func (s *Store) CreateCustomer(ctx context.Context, c billing.Customer) (billing.Customer, error) {
	a := c.Address
	out, err := writeRow(ctx, s.Pool, scanCustomer, `INSERT INTO customers (name, email, document, phone, street, street_number,
			complement, district, city, state, postal_code, municipality_code)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
		RETURNING `+customerColumns, c.Name, c.Email, c.Document, c.Phone, a.Street, a.Number, a.Complement, a.District,
		a.City, a.State, a.PostalCode, a.MunicipalityCode)
	if err != nil {
		return billing.Customer{}, fmt.Errorf("create customer: %w", err)
	}
	return out, nil
}

// Customer returns the customer with the given id.
func (s *Store) Customer(ctx context.Context, id int64) (billing.Customer, error) {
	c, err := scanCustomer(s.Pool.QueryRow(ctx, "SELECT "+customerColumns+" FROM customers WHERE id = $1", id))
	return c, notFound(err, "customer", id)
}

// Customers lists customers by id.
func (s *Store) Customers(ctx context.Context, page Page) ([]billing.Customer, error) {
	rows, err := s.Pool.Query(ctx, "SELECT "+customerColumns+" FROM customers WHERE id > $1 ORDER BY id LIMIT $2", page.After, page.Size())
	if err != nil {
		return nil, fmt.Errorf("list customers: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (billing.Customer, error) { return scanCustomer(r) })
}

// UpdateCustomer applies change to a customer and stores the result, in one transaction
// that locks the customer, then its contracts (in id order, the lock order of doc.go), then
// their notices. When the e-mail changes, the notices already written but not yet sent
// (pending or rendered) that were addressed to the old e-mail go to the new one in the same
// transaction; a notice being delivered at that moment is waited for, and one it sent keeps
// the address it went to. It returns the customer and how many notices were re-addressed.
func (s *Store) UpdateCustomer(ctx context.Context, id int64, change func(*billing.Customer) error) (billing.Customer, int64, error) {
	var (
		out       billing.Customer
		readdress int64
	)
	err := RetryTx(ctx, s.Pool, func(tx pgx.Tx) error {
		readdress = 0
		c, err := scanCustomer(tx.QueryRow(ctx, "SELECT "+customerColumns+" FROM customers WHERE id = $1 FOR NO KEY UPDATE", id))
		if err := notFound(err, "customer", id); err != nil {
			return err
		}
		oldEmail := c.Email
		if err := change(&c); err != nil {
			return err
		}
		a := c.Address
		out, err = scanCustomer(tx.QueryRow(ctx, `UPDATE customers SET name = $2, email = $3, document = $4, phone = $5, street = $6,
				street_number = $7, complement = $8, district = $9, city = $10, state = $11, postal_code = $12,
				municipality_code = $13, updated_at = now()
			WHERE id = $1 RETURNING `+customerColumns, id, c.Name, c.Email, c.Document, c.Phone, a.Street, a.Number,
			a.Complement, a.District, a.City, a.State, a.PostalCode, a.MunicipalityCode))
		if err != nil {
			return fmt.Errorf("update customer %d: %w", id, err)
		}
		if c.Email == oldEmail {
			return nil
		}
		if _, err := lockContracts(ctx, tx, "customer_id = $1", id); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `UPDATE notices n SET recipient = $2
			FROM contracts c WHERE c.customer_id = $1 AND n.contract_id = c.id
			  AND n.state IN ('pending', 'rendered') AND (n.recipient IS NULL OR n.recipient = $3)`, id, c.Email, oldEmail)
		if err != nil {
			return fmt.Errorf("re-address the unsent notices of customer %d: %w", id, err)
		}
		readdress = tag.RowsAffected()
		return nil
	})
	if err != nil {
		return billing.Customer{}, 0, err
	}
	return out, readdress, nil
}
