-- CreateTable
CREATE TABLE "booking_policies" (
    "id" SERIAL NOT NULL,
    "counter_id" INTEGER,
    "opens_days_ahead" INTEGER,
    "closes_days_before" INTEGER,
    "closes_at_minute" INTEGER,
    "same_day_allowed" BOOLEAN,
    "same_day_until_minutes" INTEGER,
    "max_people_per_booking" INTEGER,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "booking_policies_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "booking_policies_counter_id_key" ON "booking_policies"("counter_id");

-- AddForeignKey
ALTER TABLE "booking_policies" ADD CONSTRAINT "booking_policies_counter_id_fkey" FOREIGN KEY ("counter_id") REFERENCES "counters"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- The global default policy (counter_id NULL); counters override single fields.
INSERT INTO "booking_policies" ("counter_id", "opens_days_ahead", "closes_days_before", "closes_at_minute", "same_day_allowed", "same_day_until_minutes", "max_people_per_booking", "updated_at")
VALUES (NULL, 60, 1, 1020, false, 60, 5, now());
ALTER TABLE "booking_policies" ADD CONSTRAINT "booking_policies_sane" CHECK (
  ("opens_days_ahead" IS NULL OR "opens_days_ahead" BETWEEN 0 AND 400)
  AND ("closes_days_before" IS NULL OR "closes_days_before" >= 0)
  AND ("closes_at_minute" IS NULL OR "closes_at_minute" BETWEEN 0 AND 1440)
  AND ("same_day_until_minutes" IS NULL OR "same_day_until_minutes" >= 0)
  AND ("max_people_per_booking" IS NULL OR "max_people_per_booking" BETWEEN 1 AND 20));
