-- Business rules that set-based queries need, written once (postgres/doc.go lists which rules
-- live in SQL and why). Each is a LANGUAGE sql IMMUTABLE function whose body is one SELECT of
-- one expression and is not STRICT, so the planner inlines it into the calling query: the
-- partial indexes on state = 'open' serve a call exactly as they served the expression written
-- out (TestRuleFunctionsInline checks with EXPLAIN).

-- installment_overdue: an open installment is overdue as of a date when its effective due
-- date (due_date, after the business-day shift) is before that date. Due today is not overdue.
CREATE FUNCTION installment_overdue(state text, due_date date, as_of date) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT state = 'open' AND due_date < as_of $$;

-- contract_renews_automatically: the renew-contracts sweep looks after the contract (the SQL
-- statement of renewal.Contract.Automatic; TestAutomaticRenewalRuleMatchesSQL keeps the two
-- equal): active or blocked, with billing, automatic renewal on and not ignored, its current
-- term generated.
CREATE FUNCTION contract_renews_automatically(status text, billing_method text, auto_renew boolean,
        ignore_auto_renewal boolean, term_number integer, generated_term integer) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT status IN ('active', 'blocked') AND billing_method <> 'no_billing' AND auto_renew
        AND NOT ignore_auto_renewal AND generated_term >= term_number $$;
