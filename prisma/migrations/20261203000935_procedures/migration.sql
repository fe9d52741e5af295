-- AlterTable
ALTER TABLE "bookings" ADD COLUMN     "procedure_code" TEXT NOT NULL DEFAULT 'pickup';

-- AlterTable
ALTER TABLE "slot_holds" ADD COLUMN     "procedure_code" TEXT NOT NULL DEFAULT 'pickup';

-- CreateTable
CREATE TABLE "procedures" (
    "id" SERIAL NOT NULL,
    "code" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "minutes" INTEGER NOT NULL DEFAULT 15,
    "needs_notice_id" BOOLEAN NOT NULL DEFAULT true,
    "needs_stored_card" BOOLEAN NOT NULL DEFAULT false,
    "opens_days_ahead" INTEGER,
    "same_day_allowed" BOOLEAN,
    "documents" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "per_slot_limit" INTEGER,
    "per_day_limit" INTEGER,
    "display_order" INTEGER NOT NULL DEFAULT 0,
    "retired_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "procedures_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "counter_procedures" (
    "counter_id" INTEGER NOT NULL,
    "procedure_code" TEXT NOT NULL,

    CONSTRAINT "counter_procedures_pkey" PRIMARY KEY ("counter_id","procedure_code")
);

-- CreateIndex
CREATE UNIQUE INDEX "procedures_code_key" ON "procedures"("code");

-- The card pickup, the one procedure every booking so far was for, offered at every counter.
INSERT INTO "procedures" ("code", "name", "minutes", "needs_notice_id", "needs_stored_card", "documents", "display_order", "updated_at")
VALUES ('pickup', 'マイナンバーカードの受け取り', 15, true, true,
        ARRAY['交付通知書(はがき)', '本人確認書類(運転免許証、パスポートなど)', '通知カード・住民基本台帳カード(お持ちの方)', '現在お持ちのマイナンバーカード(更新の方)'], 0, CURRENT_TIMESTAMP);
INSERT INTO "counter_procedures" ("counter_id", "procedure_code") SELECT "id", 'pickup' FROM "counters";

-- Invariants Prisma cannot express (kept by hand; Prisma's diff ignores them).
ALTER TABLE "procedures" ADD CONSTRAINT "procedures_code_format" CHECK ("code" ~ '^[a-z0-9][a-z0-9-]{0,39}$');
ALTER TABLE "procedures" ADD CONSTRAINT "procedures_minutes_positive" CHECK ("minutes" BETWEEN 1 AND 480);
ALTER TABLE "procedures" ADD CONSTRAINT "procedures_limits_positive" CHECK (("per_slot_limit" IS NULL OR "per_slot_limit" >= 1) AND ("per_day_limit" IS NULL OR "per_day_limit" >= 1));
ALTER TABLE "procedures" ADD CONSTRAINT "procedures_opens_days_ahead_positive" CHECK ("opens_days_ahead" IS NULL OR "opens_days_ahead" BETWEEN 1 AND 366);

-- CreateIndex
CREATE INDEX "counter_procedures_procedure_code_idx" ON "counter_procedures"("procedure_code");

-- CreateIndex
CREATE INDEX "bookings_procedure_code_idx" ON "bookings"("procedure_code");

-- AddForeignKey
ALTER TABLE "counter_procedures" ADD CONSTRAINT "counter_procedures_counter_id_fkey" FOREIGN KEY ("counter_id") REFERENCES "counters"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "counter_procedures" ADD CONSTRAINT "counter_procedures_procedure_code_fkey" FOREIGN KEY ("procedure_code") REFERENCES "procedures"("code") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "bookings" ADD CONSTRAINT "bookings_procedure_code_fkey" FOREIGN KEY ("procedure_code") REFERENCES "procedures"("code") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "slot_holds" ADD CONSTRAINT "slot_holds_procedure_code_fkey" FOREIGN KEY ("procedure_code") REFERENCES "procedures"("code") ON DELETE RESTRICT ON UPDATE CASCADE;
