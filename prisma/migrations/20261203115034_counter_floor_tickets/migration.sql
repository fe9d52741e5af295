-- CreateEnum
CREATE TYPE "ticket_kind" AS ENUM ('booked', 'walk_in');

-- CreateEnum
CREATE TYPE "ticket_status" AS ENUM ('waiting', 'called', 'served', 'absent');

-- CreateTable
CREATE TABLE "ticket_ranges" (
    "counter_id" INTEGER NOT NULL,
    "kind" "ticket_kind" NOT NULL,
    "prefix" TEXT NOT NULL,
    "first_number" INTEGER NOT NULL,
    "last_number" INTEGER NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "ticket_ranges_pkey" PRIMARY KEY ("counter_id","kind")
);

-- CreateTable
CREATE TABLE "ticket_sequences" (
    "counter_id" INTEGER NOT NULL,
    "date" DATE NOT NULL,
    "kind" "ticket_kind" NOT NULL,
    "issued" INTEGER NOT NULL,

    CONSTRAINT "ticket_sequences_pkey" PRIMARY KEY ("counter_id","date","kind")
);

-- CreateTable
CREATE TABLE "tickets" (
    "id" SERIAL NOT NULL,
    "counter_id" INTEGER NOT NULL,
    "date" DATE NOT NULL,
    "kind" "ticket_kind" NOT NULL,
    "seq" INTEGER NOT NULL,
    "number" TEXT NOT NULL,
    "booking_id" INTEGER,
    "procedure_code" TEXT NOT NULL,
    "status" "ticket_status" NOT NULL DEFAULT 'waiting',
    "window" INTEGER,
    "calls" INTEGER NOT NULL DEFAULT 0,
    "token" TEXT NOT NULL,
    "issued_by" TEXT NOT NULL,
    "issued_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "called_at" TIMESTAMPTZ(3),
    "called_by" TEXT,
    "finished_at" TIMESTAMPTZ(3),

    CONSTRAINT "tickets_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "tickets_booking_id_key" ON "tickets"("booking_id");

-- CreateIndex
CREATE UNIQUE INDEX "tickets_token_key" ON "tickets"("token");

-- CreateIndex
CREATE INDEX "tickets_counter_id_date_status_idx" ON "tickets"("counter_id", "date", "status");

-- CreateIndex
CREATE INDEX "tickets_counter_id_procedure_code_finished_at_idx" ON "tickets"("counter_id", "procedure_code", "finished_at");

-- CreateIndex
CREATE UNIQUE INDEX "tickets_counter_id_date_kind_seq_key" ON "tickets"("counter_id", "date", "kind", "seq");

-- AddForeignKey
ALTER TABLE "ticket_ranges" ADD CONSTRAINT "ticket_ranges_counter_id_fkey" FOREIGN KEY ("counter_id") REFERENCES "counters"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ticket_sequences" ADD CONSTRAINT "ticket_sequences_counter_id_fkey" FOREIGN KEY ("counter_id") REFERENCES "counters"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "tickets" ADD CONSTRAINT "tickets_counter_id_fkey" FOREIGN KEY ("counter_id") REFERENCES "counters"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "tickets" ADD CONSTRAINT "tickets_booking_id_fkey" FOREIGN KEY ("booking_id") REFERENCES "bookings"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "tickets" ADD CONSTRAINT "tickets_procedure_code_fkey" FOREIGN KEY ("procedure_code") REFERENCES "procedures"("code") ON DELETE RESTRICT ON UPDATE CASCADE;

-- New tables: no release before this one reads or writes them (expand only).
ALTER TABLE "ticket_ranges" ADD CONSTRAINT "ticket_ranges_numbers" CHECK ("first_number" >= 1 AND "last_number" >= "first_number" AND "last_number" <= 9999);
ALTER TABLE "ticket_ranges" ADD CONSTRAINT "ticket_ranges_prefix" CHECK ("prefix" ~ '^[A-Z0-9]{0,3}$');
ALTER TABLE "ticket_sequences" ADD CONSTRAINT "ticket_sequences_issued" CHECK ("issued" >= 1);
ALTER TABLE "tickets" ADD CONSTRAINT "tickets_counts" CHECK ("seq" >= 1 AND "calls" >= 0 AND ("window" IS NULL OR "window" BETWEEN 1 AND 99));
-- A called ticket is at a window; a finished one has its time; a walk-in has no booking.
ALTER TABLE "tickets" ADD CONSTRAINT "tickets_called_at_window" CHECK ("status" = 'waiting' OR ("window" IS NOT NULL AND "called_at" IS NOT NULL) OR "status" = 'served');
ALTER TABLE "tickets" ADD CONSTRAINT "tickets_finished" CHECK (("status" IN ('served', 'absent')) = ("finished_at" IS NOT NULL));
ALTER TABLE "tickets" ADD CONSTRAINT "tickets_walk_in_no_booking" CHECK ("kind" = 'booked' OR "booking_id" IS NULL);
