-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateEnum
CREATE TYPE "closure_kind" AS ENUM ('single_date', 'date_range', 'yearly_range', 'nth_weekday');

-- CreateEnum
CREATE TYPE "card_status" AS ENUM ('data_received', 'card_arrived', 'notice_sent', 'booked', 'handed_over', 'returned_undelivered', 'on_hold', 'cancelled');

-- CreateEnum
CREATE TYPE "booking_status" AS ENUM ('active', 'checked_in', 'handed_over', 'no_show', 'cancelled');

-- CreateEnum
CREATE TYPE "booking_channel" AS ENUM ('web', 'phone', 'counter');

-- CreateEnum
CREATE TYPE "staff_role" AS ENUM ('admin', 'staff', 'operator');

-- CreateEnum
CREATE TYPE "outbox_status" AS ENUM ('pending', 'sending', 'sent', 'failed');

-- CreateTable
CREATE TABLE "counters" (
    "id" SERIAL NOT NULL,
    "code" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "address" TEXT NOT NULL DEFAULT '',
    "access_notes" TEXT NOT NULL DEFAULT '',
    "windows" INTEGER NOT NULL DEFAULT 1,
    "display_order" INTEGER NOT NULL DEFAULT 0,
    "purposes" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "retired_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "counters_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "opening_rules" (
    "id" SERIAL NOT NULL,
    "counter_id" INTEGER NOT NULL,
    "label" TEXT NOT NULL,
    "days_of_week" INTEGER[],
    "start_minute" INTEGER NOT NULL,
    "end_minute" INTEGER NOT NULL,
    "slot_minutes" INTEGER NOT NULL,
    "capacity_per_slot" INTEGER NOT NULL,
    "reserved_capacity" INTEGER NOT NULL DEFAULT 0,
    "valid_from" DATE NOT NULL,
    "valid_to" DATE,
    "open_on_holidays" BOOLEAN NOT NULL DEFAULT false,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "opening_rules_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "closures" (
    "id" SERIAL NOT NULL,
    "counter_id" INTEGER,
    "kind" "closure_kind" NOT NULL,
    "label" TEXT NOT NULL,
    "params" JSONB NOT NULL DEFAULT '{}',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "closures_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "slots" (
    "id" SERIAL NOT NULL,
    "counter_id" INTEGER NOT NULL,
    "date" DATE NOT NULL,
    "starts_at" TIMESTAMPTZ(3) NOT NULL,
    "ends_at" TIMESTAMPTZ(3) NOT NULL,
    "capacity" INTEGER NOT NULL,
    "reserved_capacity" INTEGER NOT NULL DEFAULT 0,
    "booked" INTEGER NOT NULL DEFAULT 0,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "slots_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "card_holders" (
    "id" SERIAL NOT NULL,
    "notice_id" TEXT NOT NULL,
    "birth_key" TEXT NOT NULL,
    "name" TEXT NOT NULL DEFAULT '',
    "name_kana" TEXT NOT NULL DEFAULT '',
    "card_number" TEXT,
    "counter_id" INTEGER,
    "storage_place" TEXT NOT NULL DEFAULT '',
    "notice_sent_on" DATE,
    "notice_valid_until" DATE,
    "status" "card_status" NOT NULL DEFAULT 'data_received',
    "failed_logins" INTEGER NOT NULL DEFAULT 0,
    "locked_until" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "card_holders_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "card_status_changes" (
    "id" SERIAL NOT NULL,
    "card_holder_id" INTEGER NOT NULL,
    "from_status" "card_status",
    "to_status" "card_status" NOT NULL,
    "reason" TEXT NOT NULL DEFAULT '',
    "actor" TEXT NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "card_status_changes_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "bookings" (
    "id" SERIAL NOT NULL,
    "code" TEXT NOT NULL,
    "slot_id" INTEGER NOT NULL,
    "card_holder_id" INTEGER NOT NULL,
    "group_code" TEXT,
    "status" "booking_status" NOT NULL DEFAULT 'active',
    "channel" "booking_channel" NOT NULL,
    "email" TEXT,
    "created_by" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    "cancelled_at" TIMESTAMPTZ(3),

    CONSTRAINT "bookings_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "staff_users" (
    "id" SERIAL NOT NULL,
    "login_id" TEXT NOT NULL,
    "display_name" TEXT NOT NULL,
    "password_hash" TEXT NOT NULL,
    "role" "staff_role" NOT NULL,
    "must_change_password" BOOLEAN NOT NULL DEFAULT true,
    "failed_logins" INTEGER NOT NULL DEFAULT 0,
    "locked_until" TIMESTAMPTZ(3),
    "disabled_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "staff_users_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "staff_counters" (
    "staff_user_id" INTEGER NOT NULL,
    "counter_id" INTEGER NOT NULL,

    CONSTRAINT "staff_counters_pkey" PRIMARY KEY ("staff_user_id","counter_id")
);

-- CreateTable
CREATE TABLE "audit_logs" (
    "id" BIGSERIAL NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "actor_type" TEXT NOT NULL,
    "actor_id" TEXT NOT NULL,
    "action" TEXT NOT NULL,
    "target_type" TEXT,
    "target_id" TEXT,
    "detail" JSONB NOT NULL DEFAULT '{}',
    "ip" TEXT,

    CONSTRAINT "audit_logs_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "outbox_messages" (
    "id" BIGSERIAL NOT NULL,
    "dedupe_key" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "to_address" TEXT NOT NULL,
    "subject" TEXT NOT NULL,
    "text_body" TEXT NOT NULL,
    "html_body" TEXT,
    "attachments" JSONB NOT NULL DEFAULT '[]',
    "booking_id" INTEGER,
    "status" "outbox_status" NOT NULL DEFAULT 'pending',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "next_attempt_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_error" TEXT,
    "sent_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "outbox_messages_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "session" (
    "sid" VARCHAR NOT NULL,
    "sess" JSON NOT NULL,
    "expire" TIMESTAMP(6) NOT NULL,

    CONSTRAINT "session_pkey" PRIMARY KEY ("sid")
);

-- CreateIndex
CREATE UNIQUE INDEX "counters_code_key" ON "counters"("code");

-- CreateIndex
CREATE INDEX "opening_rules_counter_id_idx" ON "opening_rules"("counter_id");

-- CreateIndex
CREATE INDEX "closures_counter_id_idx" ON "closures"("counter_id");

-- CreateIndex
CREATE INDEX "slots_counter_id_date_idx" ON "slots"("counter_id", "date");

-- CreateIndex
CREATE UNIQUE INDEX "slots_counter_id_starts_at_key" ON "slots"("counter_id", "starts_at");

-- CreateIndex
CREATE UNIQUE INDEX "card_holders_notice_id_key" ON "card_holders"("notice_id");

-- CreateIndex
CREATE INDEX "card_holders_counter_id_status_idx" ON "card_holders"("counter_id", "status");

-- CreateIndex
CREATE INDEX "card_status_changes_card_holder_id_idx" ON "card_status_changes"("card_holder_id");

-- CreateIndex
CREATE UNIQUE INDEX "bookings_code_key" ON "bookings"("code");

-- CreateIndex
CREATE INDEX "bookings_slot_id_idx" ON "bookings"("slot_id");

-- CreateIndex
CREATE INDEX "bookings_group_code_idx" ON "bookings"("group_code");

-- CreateIndex
CREATE UNIQUE INDEX "bookings_one_active_per_card_holder" ON "bookings"("card_holder_id") WHERE (status = ANY (ARRAY['active'::booking_status, 'checked_in'::booking_status]));

-- CreateIndex
CREATE UNIQUE INDEX "staff_users_login_id_key" ON "staff_users"("login_id");

-- CreateIndex
CREATE INDEX "audit_logs_at_idx" ON "audit_logs"("at");

-- CreateIndex
CREATE INDEX "audit_logs_target_type_target_id_idx" ON "audit_logs"("target_type", "target_id");

-- CreateIndex
CREATE UNIQUE INDEX "outbox_messages_dedupe_key_key" ON "outbox_messages"("dedupe_key");

-- CreateIndex
CREATE INDEX "outbox_messages_status_next_attempt_at_idx" ON "outbox_messages"("status", "next_attempt_at");

-- CreateIndex
CREATE INDEX "outbox_messages_to_address_idx" ON "outbox_messages"("to_address");

-- CreateIndex
CREATE INDEX "outbox_messages_booking_id_idx" ON "outbox_messages"("booking_id");

-- CreateIndex
CREATE INDEX "IDX_session_expire" ON "session"("expire");

-- AddForeignKey
ALTER TABLE "opening_rules" ADD CONSTRAINT "opening_rules_counter_id_fkey" FOREIGN KEY ("counter_id") REFERENCES "counters"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "closures" ADD CONSTRAINT "closures_counter_id_fkey" FOREIGN KEY ("counter_id") REFERENCES "counters"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "slots" ADD CONSTRAINT "slots_counter_id_fkey" FOREIGN KEY ("counter_id") REFERENCES "counters"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "card_holders" ADD CONSTRAINT "card_holders_counter_id_fkey" FOREIGN KEY ("counter_id") REFERENCES "counters"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "card_status_changes" ADD CONSTRAINT "card_status_changes_card_holder_id_fkey" FOREIGN KEY ("card_holder_id") REFERENCES "card_holders"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "bookings" ADD CONSTRAINT "bookings_slot_id_fkey" FOREIGN KEY ("slot_id") REFERENCES "slots"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "bookings" ADD CONSTRAINT "bookings_card_holder_id_fkey" FOREIGN KEY ("card_holder_id") REFERENCES "card_holders"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "staff_counters" ADD CONSTRAINT "staff_counters_staff_user_id_fkey" FOREIGN KEY ("staff_user_id") REFERENCES "staff_users"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "staff_counters" ADD CONSTRAINT "staff_counters_counter_id_fkey" FOREIGN KEY ("counter_id") REFERENCES "counters"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- Invariants that schema.prisma cannot express (kept out of Prisma's diff, checked by tests).
ALTER TABLE "slots" ADD CONSTRAINT "slots_booked_within_capacity" CHECK ("booked" >= 0 AND "booked" <= "capacity");
ALTER TABLE "slots" ADD CONSTRAINT "slots_reserved_within_capacity" CHECK ("reserved_capacity" >= 0 AND "reserved_capacity" <= "capacity");
ALTER TABLE "slots" ADD CONSTRAINT "slots_ends_after_start" CHECK ("ends_at" > "starts_at");
ALTER TABLE "opening_rules" ADD CONSTRAINT "opening_rules_sane" CHECK (
  "start_minute" >= 0 AND "end_minute" <= 1440 AND "start_minute" < "end_minute"
  AND "slot_minutes" > 0 AND "capacity_per_slot" >= 0
  AND "reserved_capacity" >= 0 AND "reserved_capacity" <= "capacity_per_slot"
  AND ("valid_to" IS NULL OR "valid_to" >= "valid_from"));
ALTER TABLE "counters" ADD CONSTRAINT "counters_windows_positive" CHECK ("windows" >= 1);

-- The audit log is append-only: no role used by the app may rewrite history.
CREATE FUNCTION "audit_logs_append_only"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_logs is append-only';
END;
$$;
CREATE TRIGGER "audit_logs_no_update_or_delete" BEFORE UPDATE OR DELETE ON "audit_logs"
  FOR EACH ROW EXECUTE FUNCTION "audit_logs_append_only"();
CREATE TRIGGER "audit_logs_no_truncate" BEFORE TRUNCATE ON "audit_logs"
  FOR EACH STATEMENT EXECUTE FUNCTION "audit_logs_append_only"();
