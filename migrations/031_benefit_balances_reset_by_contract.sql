-- A reset-benefit-quotas batch takes the due markers of its contract range
-- (contract_id BETWEEN … AND next_reset_on <= the date). Migration 025 split the period key
-- by subject (subject_id IS NULL / IS NOT NULL), so no index answered a contract range of
-- period balances any more and every batch read the whole table: at 1,000,000 contracts the
-- sweep went from 1.55 to 2.48 of its floor. This index holds only the balances that carry
-- the marker (a period's, until it is reset), by contract, subjects' included.
CREATE INDEX benefit_balances_reset_by_contract ON benefit_balances (contract_id) WHERE next_reset_on IS NOT NULL;
