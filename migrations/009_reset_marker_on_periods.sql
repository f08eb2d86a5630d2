-- Only a renewal period's balance carries the reset marker (a package cycle ends when it is
-- used up, not on a date), so a reset batch can reach its due balances through the period
-- key (contract_id, benefit_id, period_start) WHERE cycle IS NULL.
ALTER TABLE benefit_balances ADD CONSTRAINT benefit_balances_reset_on_periods
    CHECK (cycle IS NULL OR next_reset_on IS NULL);
