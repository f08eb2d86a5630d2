-- Demo data for `make run`: a few customers, plans and contracts of every due-date rule.
-- Loading it twice changes nothing (it only inserts when the demo customers are absent).
--
-- Its dates count from the business date, not the database's: between 21:00 and 24:00 in
-- São Paulo the server's (UTC) date is already tomorrow, and a contract adhering "today" by
-- that date could not be activated today. `make run` passes the business time zone:
--   psql -v timezone="$BILLINGD_TIMEZONE" -f scripts/demo.sql     (default America/Sao_Paulo)
-- or give the date itself: psql -v today=2026-07-20 -f scripts/demo.sql
\set ON_ERROR_STOP on
\if :{?today}
\else
  \if :{?timezone}
  \else
    \set timezone America/Sao_Paulo
  \endif
  SELECT (now() AT TIME ZONE :'timezone')::date AS today \gset
\endif
BEGIN;
-- The DO block cannot see psql variables: the date reaches it as a transaction-local setting.
SELECT set_config('billingd.demo_today', :'today'::date::text, true) AS demo_today \gset
DO $$
DECLARE
    today date := current_setting('billingd.demo_today')::date;
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
        VALUES (ana, fibra, 99.90, today - 20, false, today - 20, 'fixed_day', 10, 100.00, 3, 5.00,
                'active', today - 20);
    -- Prepaid fixed day 15 (the software-reseller model).
    INSERT INTO contracts (customer_id, plan_id, price, adhesion_date, wait_activation, activation_date, due_rule_kind,
                           due_day, status, generation_due_on)
        VALUES (bruno, soft, 139.00, today - 5, false, today - 5, 'prepaid_fixed_day', 15, 'active', today - 5);
    -- Activation anniversary, quarterly.
    INSERT INTO contracts (customer_id, plan_id, price, adhesion_date, wait_activation, activation_date, due_rule_kind,
                           status, generation_due_on)
        VALUES (carla, anual, 270.00, today - 2, false, today - 2, 'anniversary', 'active', today - 2);
    -- Waiting for the installation: nothing is generated until it is activated.
    INSERT INTO contracts (customer_id, plan_id, price, adhesion_date, wait_activation, due_rule_kind, due_day, status)
        VALUES (carla, fibra, 94.90, today, true, 'fixed_day', 20, 'pending_activation');
    -- A courtesy contract: never billed.
    INSERT INTO contracts (customer_id, plan_id, price, adhesion_date, wait_activation, activation_date, due_rule_kind,
                           due_day, billing_method, status)
        VALUES (ana, soft, 149.00, today - 30, false, today - 30, 'fixed_day', 5, 'no_billing', 'active');
END $$;
COMMIT;
