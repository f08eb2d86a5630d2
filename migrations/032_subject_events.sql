-- Subjects' events (issue 19 item 1 with issue 16 item 5): a contract covering a person, a pet
-- or a vehicle from a day, or no longer, is a change an assistance network acts on (it serves
-- a beneficiary or a plate only while covered), so the events outbox takes two more kinds,
-- written in the transaction that adds or ends the subject, keyed 'subject:<id>'.
ALTER TABLE events DROP CONSTRAINT events_kind_check;
ALTER TABLE events ADD CONSTRAINT events_kind_check CHECK (kind IN ('installment.issued', 'installment.paid',
    'installment.reversed', 'contract.activated', 'contract.suspended', 'contract.restored', 'contract.terminated',
    'contract.renewed', 'subject.added', 'subject.ended')) NOT VALID;
-- Validated apart, so the outbox is not locked against writes while its rows are checked.
ALTER TABLE events VALIDATE CONSTRAINT events_kind_check;
-- An endpoint that takes every kind there was (created without kinds, or listing all eight)
-- takes the new ones too; one that chose some keeps its choice.
UPDATE webhook_endpoints SET kinds = kinds || ARRAY['subject.added', 'subject.ended']
WHERE kinds @> ARRAY['installment.issued', 'installment.paid', 'installment.reversed', 'contract.activated',
    'contract.suspended', 'contract.restored', 'contract.terminated', 'contract.renewed']
    AND NOT kinds && ARRAY['subject.added', 'subject.ended'];
