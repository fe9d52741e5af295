-- expand/contract: expand only (two new tables and their enums); nothing existing changes.
-- CreateEnum
CREATE TYPE "incident_kind" AS ENUM ('system', 'counter');

-- CreateEnum
CREATE TYPE "incident_status" AS ENUM ('open', 'resolved');

-- CreateTable
CREATE TABLE "incidents" (
    "id" SERIAL NOT NULL,
    "kind" "incident_kind" NOT NULL,
    "counter_id" INTEGER,
    "title" TEXT NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "impact" TEXT NOT NULL DEFAULT '',
    "response" TEXT NOT NULL DEFAULT '',
    "started_at" TIMESTAMPTZ(3) NOT NULL,
    "ended_at" TIMESTAMPTZ(3),
    "status" "incident_status" NOT NULL DEFAULT 'open',
    "recorded_by" TEXT NOT NULL,
    "resolved_by" TEXT,
    "resolved_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "incidents_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "incident_alerts" (
    "incident_id" INTEGER NOT NULL,
    "alert_id" BIGINT NOT NULL,
    "linked_by" TEXT NOT NULL,
    "linked_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "incident_alerts_pkey" PRIMARY KEY ("incident_id","alert_id")
);

-- CreateIndex
CREATE INDEX "incidents_status_started_at_idx" ON "incidents"("status", "started_at");

-- CreateIndex
CREATE INDEX "incidents_counter_id_started_at_idx" ON "incidents"("counter_id", "started_at");

-- CreateIndex
CREATE INDEX "incident_alerts_alert_id_idx" ON "incident_alerts"("alert_id");

-- AddForeignKey
ALTER TABLE "incidents" ADD CONSTRAINT "incidents_counter_id_fkey" FOREIGN KEY ("counter_id") REFERENCES "counters"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "incident_alerts" ADD CONSTRAINT "incident_alerts_incident_id_fkey" FOREIGN KEY ("incident_id") REFERENCES "incidents"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "incident_alerts" ADD CONSTRAINT "incident_alerts_alert_id_fkey" FOREIGN KEY ("alert_id") REFERENCES "alerts"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Rules the database holds whatever the code does: a counter incident belongs to its counter and a
-- system one to none; it ends after it starts; a resolved incident says when it ended, when it was
-- resolved and by whom; texts stay within what the form allows.
ALTER TABLE "incidents"
  ADD CONSTRAINT "incidents_counter_of_kind" CHECK (("kind" = 'counter') = ("counter_id" IS NOT NULL)),
  ADD CONSTRAINT "incidents_ends_after_start" CHECK ("ended_at" IS NULL OR "ended_at" >= "started_at"),
  ADD CONSTRAINT "incidents_resolved_complete" CHECK (("status" = 'resolved') = ("resolved_at" IS NOT NULL AND "resolved_by" IS NOT NULL AND "ended_at" IS NOT NULL)),
  ADD CONSTRAINT "incidents_text_lengths" CHECK (char_length("title") BETWEEN 1 AND 200 AND char_length("description") <= 4000 AND char_length("impact") <= 4000 AND char_length("response") <= 4000);
