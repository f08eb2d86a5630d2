-- allow_credit: whether a payment above what is due is accepted. Off, such a payment is
-- refused (422 naming amount and the figure due); on, it is kept as it came (paid_amount)
-- and the excess over what was due on paid_at is the customer's credit on that installment
-- (docs/rules.md, Payments).
ALTER TABLE contracts ADD COLUMN allow_credit boolean NOT NULL DEFAULT false;
