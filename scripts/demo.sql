-- Demo data for `make run`: a few customers, plans and contracts of every due-date rule.
-- Loading it twice changes nothing (it only inserts when the demo customers are absent).
BEGIN;
DO $$
DECLARE
    ana bigint; bruno bigint; carla bigint;
    fibra bigint; soft bigint; anual bigint;
BEGIN
    IF EXISTS (SELECT 1 FROM customers WHERE email = 'ana.souza@example.com') THEN
        RETURN;
    END IF;
    INSERT INTO customers (name, email, document) VALUES ('Ana Souza', 'ana.souza@example.com', '123.456.789-09') RETURNING id INTO ana;
    INSERT INTO customers (name, email, document) VALUES ('Bruno Lima', 'bruno.lima@example.com', '987.654.321-00') RETURNING id INTO bruno;
    INSERT INTO customers (name, email, document) VALUES ('Carla Dias', 'carla.dias@example.com', '') RETURNING id INTO carla;

    INSERT INTO plans (name, kind, price, period, installments_per_term, min_price)
        VALUES ('Fibra 500 Mbps', 'plan', 99.90, 'monthly', 12, 89.90) RETURNING id INTO fibra;
    INSERT INTO plans (name, kind, price, period, installments_per_term, min_price)
        VALUES ('Software Pro (pré-pago)', 'plan', 149.00, 'monthly', 12, 129.00) RETURNING id INTO soft;
    INSERT INTO plans (name, kind, price, period, installments_per_term)
        VALUES ('Assistência Trimestral', 'plan', 270.00, 'quarterly', 4) RETURNING id INTO anual;

    -- Fixed day 10, adhesion fee 100.00 in 3 installments, active from its adhesion date.
    INSERT INTO contracts (customer_id, plan_id, price, adhesion_date, wait_activation, activation_date, due_rule_kind,
                           due_day, adhesion_fee, adhesion_installments, on_time_discount, status, generation_due_on)
        VALUES (ana, fibra, 99.90, current_date - 20, false, current_date - 20, 'fixed_day', 10, 100.00, 3, 5.00,
                'active', current_date - 20);
    -- Prepaid fixed day 15 (the software-reseller model).
    INSERT INTO contracts (customer_id, plan_id, price, adhesion_date, wait_activation, activation_date, due_rule_kind,
                           due_day, status, generation_due_on)
        VALUES (bruno, soft, 139.00, current_date - 5, false, current_date - 5, 'prepaid_fixed_day', 15, 'active', current_date - 5);
    -- Activation anniversary, quarterly.
    INSERT INTO contracts (customer_id, plan_id, price, adhesion_date, wait_activation, activation_date, due_rule_kind,
                           status, generation_due_on)
        VALUES (carla, anual, 270.00, current_date - 2, false, current_date - 2, 'anniversary', 'active', current_date - 2);
    -- Waiting for the installation: nothing is generated until it is activated.
    INSERT INTO contracts (customer_id, plan_id, price, adhesion_date, wait_activation, due_rule_kind, due_day, status)
        VALUES (carla, fibra, 94.90, current_date, true, 'fixed_day', 20, 'pending_activation');
    -- A courtesy contract: never billed.
    INSERT INTO contracts (customer_id, plan_id, price, adhesion_date, wait_activation, activation_date, due_rule_kind,
                           due_day, billing_method, status)
        VALUES (ana, soft, 149.00, current_date - 30, false, current_date - 30, 'fixed_day', 5, 'no_billing', 'active');
END $$;
COMMIT;
