-- CreateEnum
CREATE TYPE "booking_event_kind" AS ENUM ('booked', 'moved', 'cancelled', 'checked_in', 'handed_over', 'no_show');

-- CreateTable
CREATE TABLE "booking_events" (
    "id" BIGSERIAL NOT NULL,
    "booking_id" INTEGER NOT NULL,
    "kind" "booking_event_kind" NOT NULL,
    "occurred_at" TIMESTAMPTZ(3) NOT NULL,
    "day" DATE NOT NULL,
    "slot_date" DATE NOT NULL,
    "counter_id" INTEGER NOT NULL,
    "procedure_code" TEXT NOT NULL,
    "channel" "booking_channel" NOT NULL,
    "from_slot_id" INTEGER,

    CONSTRAINT "booking_events_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "booking_events_day_counter_id_idx" ON "booking_events"("day", "counter_id");

-- CreateIndex
CREATE INDEX "booking_events_slot_date_counter_id_idx" ON "booking_events"("slot_date", "counter_id");

-- CreateIndex
CREATE INDEX "card_status_changes_at_idx" ON "card_status_changes"("at");

-- Every event names a Japan day: the day it happened and the visit's day.
ALTER TABLE "booking_events" ADD CONSTRAINT "booking_events_day_is_japan_day"
  CHECK ("day" = ("occurred_at" AT TIME ZONE 'Asia/Tokyo')::date);

-- Backfill: the bookings made before this release count as well. A booking was booked when it
-- was created and cancelled when cancelled_at says; a visit's status is dated at its slot (the
-- moment it happened was not kept). A booking handed over with a ticket was checked in first.
-- Moves before this release were not recorded and are not counted.
INSERT INTO "booking_events" ("booking_id", "kind", "occurred_at", "day", "slot_date", "counter_id", "procedure_code", "channel")
SELECT b.id, e.kind::booking_event_kind, e.at, (e.at AT TIME ZONE 'Asia/Tokyo')::date, s.date, s.counter_id, b.procedure_code, b.channel
  FROM bookings b JOIN slots s ON s.id = b.slot_id
  CROSS JOIN LATERAL (VALUES
    ('booked', b.created_at, true),
    ('cancelled', b.cancelled_at, b.status = 'cancelled' AND b.cancelled_at IS NOT NULL),
    ('checked_in', s.starts_at, b.status = 'checked_in' OR (b.status = 'handed_over' AND EXISTS (SELECT 1 FROM tickets t WHERE t.booking_id = b.id))),
    ('handed_over', s.starts_at, b.status = 'handed_over'),
    ('no_show', s.ends_at, b.status = 'no_show')
  ) AS e(kind, at, happened)
 WHERE e.happened
 ORDER BY e.at, b.id;

-- expand/contract: the previous release does not write booking_events; bookings it changes
-- while both run are missing from the counts until the backfill above is run again for them.
