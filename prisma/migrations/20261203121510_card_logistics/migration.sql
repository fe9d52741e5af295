-- CreateEnum
CREATE TYPE "transfer_status" AS ENUM ('requested', 'shipped', 'received', 'cancelled');

-- CreateEnum
CREATE TYPE "transfer_reason" AS ENUM ('booking', 'clerk');

-- CreateEnum
CREATE TYPE "shipment_status" AS ENUM ('preparing', 'shipped', 'closed', 'cancelled');

-- CreateEnum
CREATE TYPE "stock_count_status" AS ENUM ('counting', 'finished');

-- CreateTable
CREATE TABLE "card_transfers" (
    "id" SERIAL NOT NULL,
    "card_holder_id" INTEGER NOT NULL,
    "from_counter_id" INTEGER NOT NULL,
    "to_counter_id" INTEGER NOT NULL,
    "status" "transfer_status" NOT NULL DEFAULT 'requested',
    "reason" "transfer_reason" NOT NULL,
    "booking_id" INTEGER,
    "shipment_id" INTEGER,
    "requested_by" TEXT NOT NULL,
    "requested_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "shipped_by" TEXT,
    "shipped_at" TIMESTAMPTZ(3),
    "received_by" TEXT,
    "received_at" TIMESTAMPTZ(3),
    "storage_place" TEXT NOT NULL DEFAULT '',
    "cancelled_by" TEXT,
    "cancelled_at" TIMESTAMPTZ(3),
    "close_reason" TEXT,

    CONSTRAINT "card_transfers_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "shipments" (
    "id" SERIAL NOT NULL,
    "from_counter_id" INTEGER NOT NULL,
    "to_counter_id" INTEGER NOT NULL,
    "status" "shipment_status" NOT NULL DEFAULT 'preparing',
    "created_by" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "shipped_by" TEXT,
    "shipped_at" TIMESTAMPTZ(3),
    "closed_by" TEXT,
    "closed_at" TIMESTAMPTZ(3),

    CONSTRAINT "shipments_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "stock_counts" (
    "id" SERIAL NOT NULL,
    "counter_id" INTEGER NOT NULL,
    "status" "stock_count_status" NOT NULL DEFAULT 'counting',
    "started_by" TEXT NOT NULL,
    "started_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finished_by" TEXT,
    "finished_at" TIMESTAMPTZ(3),
    "expected" INTEGER,
    "scanned" INTEGER,

    CONSTRAINT "stock_counts_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "stock_count_scans" (
    "id" SERIAL NOT NULL,
    "stock_count_id" INTEGER NOT NULL,
    "card_holder_id" INTEGER,
    "unknown_id" TEXT NOT NULL DEFAULT '',
    "times" INTEGER NOT NULL DEFAULT 1,
    "scanned_by" TEXT NOT NULL,
    "first_scanned_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_scanned_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "stock_count_scans_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "stock_count_findings" (
    "id" SERIAL NOT NULL,
    "stock_count_id" INTEGER NOT NULL,
    "kind" TEXT NOT NULL,
    "detail" TEXT NOT NULL DEFAULT '',
    "card_holder_id" INTEGER,
    "unknown_id" TEXT NOT NULL DEFAULT '',
    "storage_place" TEXT NOT NULL DEFAULT '',
    "site_id" INTEGER,

    CONSTRAINT "stock_count_findings_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "card_transfers_card_holder_id_idx" ON "card_transfers"("card_holder_id");

-- CreateIndex
CREATE INDEX "card_transfers_from_counter_id_status_idx" ON "card_transfers"("from_counter_id", "status");

-- CreateIndex
CREATE INDEX "card_transfers_to_counter_id_status_idx" ON "card_transfers"("to_counter_id", "status");

-- CreateIndex
CREATE INDEX "card_transfers_shipment_id_idx" ON "card_transfers"("shipment_id");

-- CreateIndex
CREATE INDEX "card_transfers_booking_id_idx" ON "card_transfers"("booking_id");

-- CreateIndex
CREATE UNIQUE INDEX "card_transfers_one_open_per_card" ON "card_transfers"("card_holder_id") WHERE (status = ANY (ARRAY['requested'::transfer_status, 'shipped'::transfer_status]));

-- CreateIndex
CREATE INDEX "shipments_from_counter_id_status_idx" ON "shipments"("from_counter_id", "status");

-- CreateIndex
CREATE INDEX "shipments_to_counter_id_status_idx" ON "shipments"("to_counter_id", "status");

-- CreateIndex
CREATE INDEX "stock_counts_counter_id_started_at_idx" ON "stock_counts"("counter_id", "started_at");

-- CreateIndex
CREATE UNIQUE INDEX "stock_counts_one_counting_per_site" ON "stock_counts"("counter_id") WHERE (status = 'counting'::stock_count_status);

-- CreateIndex
CREATE INDEX "stock_count_scans_card_holder_id_idx" ON "stock_count_scans"("card_holder_id");

-- CreateIndex
CREATE UNIQUE INDEX "stock_count_scans_stock_count_id_card_holder_id_unknown_id_key" ON "stock_count_scans"("stock_count_id", "card_holder_id", "unknown_id");

-- CreateIndex
CREATE INDEX "stock_count_findings_stock_count_id_kind_idx" ON "stock_count_findings"("stock_count_id", "kind");

-- CreateIndex
CREATE INDEX "stock_count_findings_card_holder_id_idx" ON "stock_count_findings"("card_holder_id");

-- AddForeignKey
ALTER TABLE "card_transfers" ADD CONSTRAINT "card_transfers_card_holder_id_fkey" FOREIGN KEY ("card_holder_id") REFERENCES "card_holders"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "card_transfers" ADD CONSTRAINT "card_transfers_from_counter_id_fkey" FOREIGN KEY ("from_counter_id") REFERENCES "counters"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "card_transfers" ADD CONSTRAINT "card_transfers_to_counter_id_fkey" FOREIGN KEY ("to_counter_id") REFERENCES "counters"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "card_transfers" ADD CONSTRAINT "card_transfers_booking_id_fkey" FOREIGN KEY ("booking_id") REFERENCES "bookings"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "card_transfers" ADD CONSTRAINT "card_transfers_shipment_id_fkey" FOREIGN KEY ("shipment_id") REFERENCES "shipments"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "shipments" ADD CONSTRAINT "shipments_from_counter_id_fkey" FOREIGN KEY ("from_counter_id") REFERENCES "counters"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "shipments" ADD CONSTRAINT "shipments_to_counter_id_fkey" FOREIGN KEY ("to_counter_id") REFERENCES "counters"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "stock_counts" ADD CONSTRAINT "stock_counts_counter_id_fkey" FOREIGN KEY ("counter_id") REFERENCES "counters"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "stock_count_scans" ADD CONSTRAINT "stock_count_scans_stock_count_id_fkey" FOREIGN KEY ("stock_count_id") REFERENCES "stock_counts"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "stock_count_scans" ADD CONSTRAINT "stock_count_scans_card_holder_id_fkey" FOREIGN KEY ("card_holder_id") REFERENCES "card_holders"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "stock_count_findings" ADD CONSTRAINT "stock_count_findings_stock_count_id_fkey" FOREIGN KEY ("stock_count_id") REFERENCES "stock_counts"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "stock_count_findings" ADD CONSTRAINT "stock_count_findings_card_holder_id_fkey" FOREIGN KEY ("card_holder_id") REFERENCES "card_holders"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- New tables: no release before this one reads or writes them (expand only).
-- A transfer goes somewhere else, and each step has its who and when.
ALTER TABLE "card_transfers" ADD CONSTRAINT "card_transfers_other_site" CHECK ("from_counter_id" <> "to_counter_id");
ALTER TABLE "card_transfers" ADD CONSTRAINT "card_transfers_shipped" CHECK (("status" IN ('shipped', 'received')) <= ("shipped_at" IS NOT NULL AND "shipped_by" IS NOT NULL AND "shipment_id" IS NOT NULL));
ALTER TABLE "card_transfers" ADD CONSTRAINT "card_transfers_received" CHECK (("status" = 'received') = ("received_at" IS NOT NULL AND "received_by" IS NOT NULL));
ALTER TABLE "card_transfers" ADD CONSTRAINT "card_transfers_cancelled" CHECK (("status" = 'cancelled') = ("cancelled_at" IS NOT NULL AND "cancelled_by" IS NOT NULL AND "close_reason" IS NOT NULL));
ALTER TABLE "card_transfers" ADD CONSTRAINT "card_transfers_booking_reason" CHECK ("reason" = 'booking' OR "booking_id" IS NULL);
ALTER TABLE "card_transfers" ADD CONSTRAINT "card_transfers_close_reason" CHECK ("close_reason" IS NULL OR "close_reason" IN ('booking_moved', 'booking_ended', 'handed_over', 'card_cancelled', 'site_changed', 'clerk'));
ALTER TABLE "card_transfers" ADD CONSTRAINT "card_transfers_storage_place" CHECK (length("storage_place") <= 100);
ALTER TABLE "shipments" ADD CONSTRAINT "shipments_other_site" CHECK ("from_counter_id" <> "to_counter_id");
ALTER TABLE "shipments" ADD CONSTRAINT "shipments_shipped" CHECK (("status" IN ('shipped', 'closed')) = ("shipped_at" IS NOT NULL AND "shipped_by" IS NOT NULL));
ALTER TABLE "shipments" ADD CONSTRAINT "shipments_closed" CHECK (("status" IN ('closed', 'cancelled')) = ("closed_at" IS NOT NULL AND "closed_by" IS NOT NULL));
ALTER TABLE "stock_counts" ADD CONSTRAINT "stock_counts_finished" CHECK (("status" = 'finished') = ("finished_at" IS NOT NULL AND "finished_by" IS NOT NULL AND "expected" IS NOT NULL AND "scanned" IS NOT NULL));
ALTER TABLE "stock_count_scans" ADD CONSTRAINT "stock_count_scans_card_or_id" CHECK (("card_holder_id" IS NULL) = ("unknown_id" <> '') AND length("unknown_id") <= 64 AND "times" >= 1);
ALTER TABLE "stock_count_findings" ADD CONSTRAINT "stock_count_findings_kind" CHECK ("kind" IN ('missing', 'unexpected') AND "detail" IN ('', 'unknown', 'other_site', 'in_transit', 'handed_over', 'cancelled', 'not_arrived') AND ("kind" = 'missing') = ("detail" = ''));
ALTER TABLE "stock_count_findings" ADD CONSTRAINT "stock_count_findings_card_or_id" CHECK (("card_holder_id" IS NULL) = ("unknown_id" <> '') AND length("unknown_id") <= 64);
