-- The renewal_check flag (004, 015) is set once per statement instead of once per row: a
-- row trigger ran an UPDATE of the contract for each installment leaving or re-entering the
-- open state, 0.12 to 0.38 ms each, most of the time a large return file's import spent
-- settling its installments (a 5,000-settlement chunk spent 1.2 to 1.9 s in the trigger).
-- The statement trigger sees the statement's rows in its transition tables and flags their
-- contracts in one UPDATE, locking them in id order (contract, then its installments, as
-- everywhere: the writers that settle or cancel installments hold their contracts already).
DROP TRIGGER installments_renewal_check ON installments;
DROP FUNCTION installments_flag_renewal_check();

CREATE FUNCTION installments_flag_renewal_check() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE contracts c SET renewal_check = true
    FROM (SELECT id FROM contracts WHERE id IN (
            SELECT n.contract_id FROM old_rows o JOIN new_rows n ON n.id = o.id
            WHERE o.state IS DISTINCT FROM n.state AND (o.state = 'open' OR n.state = 'open') AND n.kind = 'recurring')
          AND NOT renewal_check ORDER BY id FOR NO KEY UPDATE) f
    WHERE c.id = f.id;
    RETURN NULL;
END $$;

CREATE TRIGGER installments_renewal_check AFTER UPDATE ON installments
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION installments_flag_renewal_check();
