-- The run of a booking or hold: the slots after slot_id that a procedure longer than its slot
-- also takes a place in (docs/decisions/0016). Empty for one slot, so the previous release,
-- which inserts without the column, keeps booking single slots.
ALTER TABLE "bookings" ADD COLUMN     "also_slot_ids" INTEGER[] NOT NULL DEFAULT ARRAY[]::INTEGER[];

ALTER TABLE "slot_holds" ADD COLUMN     "also_slot_ids" INTEGER[] NOT NULL DEFAULT ARRAY[]::INTEGER[];

-- The holds whose run goes on past slot_id, by expiry: a slot's run-out holds include those
-- that cover it from an earlier slot, found without scanning every hold.
CREATE INDEX "slot_holds_runs_by_expiry" ON "slot_holds"("expires_at") WHERE (cardinality(also_slot_ids) > 0);
