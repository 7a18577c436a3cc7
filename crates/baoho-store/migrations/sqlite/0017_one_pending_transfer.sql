-- At most one pending transfer per case (issue #14, ADR 0014). The store also locks the case's
-- row before it looks for a pending transfer; this index is the rule itself, whatever path
-- inserts. Its violation is answered 409 (Conflict).
--
-- A database written before this index may hold two pending transfers of one case (the race
-- it closes): the earliest stays pending, the later ones are rejected by the system (their
-- decision time is their request time), so the index can be built and both are still visible
-- on the case.
UPDATE case_transfer
SET status = 'rejected', decided_by = 'system', decided_at = created_at
WHERE status = 'requested'
  AND EXISTS (
    SELECT 1 FROM case_transfer o
    WHERE o.case_rid = case_transfer.case_rid
      AND o.status = 'requested'
      AND (o.created_at < case_transfer.created_at
           OR (o.created_at = case_transfer.created_at AND o.id < case_transfer.id))
  );

CREATE UNIQUE INDEX case_transfer_one_pending ON case_transfer (case_rid) WHERE status = 'requested';
