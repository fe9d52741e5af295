-- CreateEnum
CREATE TYPE "date_override_kind" AS ENUM ('open', 'closed');

-- CreateEnum
CREATE TYPE "slot_conflict_kind" AS ENUM ('removed', 'shrunk');

-- AlterTable
ALTER TABLE "opening_rules" ADD COLUMN     "break_end_minute" INTEGER,
ADD COLUMN     "break_start_minute" INTEGER,
ADD COLUMN     "people_per_window" INTEGER;

-- CreateTable
CREATE TABLE "date_overrides" (
    "id" SERIAL NOT NULL,
    "counter_id" INTEGER NOT NULL,
    "date" DATE NOT NULL,
    "kind" "date_override_kind" NOT NULL,
    "label" TEXT NOT NULL DEFAULT '',
    "start_minute" INTEGER,
    "end_minute" INTEGER,
    "break_start_minute" INTEGER,
    "break_end_minute" INTEGER,
    "slot_minutes" INTEGER,
    "capacity_per_slot" INTEGER,
    "people_per_window" INTEGER,
    "reserved_capacity" INTEGER NOT NULL DEFAULT 0,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "date_overrides_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "slot_conflicts" (
    "id" SERIAL NOT NULL,
    "slot_id" INTEGER NOT NULL,
    "counter_id" INTEGER NOT NULL,
    "starts_at" TIMESTAMPTZ(3) NOT NULL,
    "kind" "slot_conflict_kind" NOT NULL,
    "planned_capacity" INTEGER NOT NULL,
    "booked" INTEGER NOT NULL,
    "detected_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "resolved_at" TIMESTAMPTZ(3),

    CONSTRAINT "slot_conflicts_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "date_overrides_counter_id_date_idx" ON "date_overrides"("counter_id", "date");

-- CreateIndex
CREATE UNIQUE INDEX "slot_conflicts_slot_id_key" ON "slot_conflicts"("slot_id");

-- CreateIndex
CREATE INDEX "slot_conflicts_resolved_at_starts_at_idx" ON "slot_conflicts"("resolved_at", "starts_at");

-- AddForeignKey
ALTER TABLE "date_overrides" ADD CONSTRAINT "date_overrides_counter_id_fkey" FOREIGN KEY ("counter_id") REFERENCES "counters"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "slot_conflicts" ADD CONSTRAINT "slot_conflicts_slot_id_fkey" FOREIGN KEY ("slot_id") REFERENCES "slots"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "slot_conflicts" ADD CONSTRAINT "slot_conflicts_counter_id_fkey" FOREIGN KEY ("counter_id") REFERENCES "counters"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- Invariants that schema.prisma cannot express.
ALTER TABLE "opening_rules" ADD CONSTRAINT "opening_rules_break_sane" CHECK (
  ("break_start_minute" IS NULL AND "break_end_minute" IS NULL)
  OR ("break_start_minute" < "break_end_minute" AND "break_start_minute" >= "start_minute" AND "break_end_minute" <= "end_minute"));
ALTER TABLE "opening_rules" ADD CONSTRAINT "opening_rules_people_per_window_positive" CHECK ("people_per_window" IS NULL OR "people_per_window" >= 0);
ALTER TABLE "date_overrides" ADD CONSTRAINT "date_overrides_sane" CHECK (
  "kind" = 'closed'
  OR ("start_minute" >= 0 AND "end_minute" <= 1440 AND "start_minute" < "end_minute" AND "slot_minutes" > 0
      AND ("capacity_per_slot" IS NOT NULL OR "people_per_window" IS NOT NULL) AND "reserved_capacity" >= 0));
