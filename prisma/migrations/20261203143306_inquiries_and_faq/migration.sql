-- CreateEnum
CREATE TYPE "inquiry_channel" AS ENUM ('phone', 'counter', 'mail', 'other');

-- CreateEnum
CREATE TYPE "inquiry_status" AS ENUM ('open', 'escalated', 'answered', 'closed');

-- CreateTable
CREATE TABLE "inquiry_categories" (
    "code" TEXT NOT NULL,
    "label" TEXT NOT NULL,
    "display_order" INTEGER NOT NULL DEFAULT 0,
    "retired_at" TIMESTAMPTZ(3),

    CONSTRAINT "inquiry_categories_pkey" PRIMARY KEY ("code")
);

-- CreateTable
CREATE TABLE "inquiries" (
    "id" SERIAL NOT NULL,
    "received_at" TIMESTAMPTZ(3) NOT NULL,
    "channel" "inquiry_channel" NOT NULL,
    "category_code" TEXT NOT NULL,
    "body" TEXT NOT NULL,
    "booking_id" INTEGER,
    "card_holder_id" INTEGER,
    "applicant_id" INTEGER,
    "counter_id" INTEGER,
    "handled_by" TEXT NOT NULL,
    "status" "inquiry_status" NOT NULL DEFAULT 'open',
    "escalated_to" TEXT NOT NULL DEFAULT '',
    "escalated_by" TEXT,
    "escalated_at" TIMESTAMPTZ(3),
    "response" TEXT NOT NULL DEFAULT '',
    "responded_by" TEXT,
    "responded_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "inquiries_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "faq_entries" (
    "id" SERIAL NOT NULL,
    "category" TEXT NOT NULL,
    "question" TEXT NOT NULL,
    "answer" TEXT NOT NULL,
    "published" BOOLEAN NOT NULL DEFAULT false,
    "sort_order" INTEGER NOT NULL DEFAULT 0,
    "updated_by" TEXT NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "faq_entries_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "inquiries_received_at_idx" ON "inquiries"("received_at");

-- CreateIndex
CREATE INDEX "inquiries_counter_id_status_idx" ON "inquiries"("counter_id", "status");

-- CreateIndex
CREATE INDEX "inquiries_booking_id_idx" ON "inquiries"("booking_id");

-- CreateIndex
CREATE INDEX "inquiries_card_holder_id_idx" ON "inquiries"("card_holder_id");

-- CreateIndex
CREATE INDEX "inquiries_applicant_id_idx" ON "inquiries"("applicant_id");

-- CreateIndex
CREATE INDEX "faq_entries_published_category_sort_order_idx" ON "faq_entries"("published", "category", "sort_order");

-- AddForeignKey
ALTER TABLE "inquiries" ADD CONSTRAINT "inquiries_category_code_fkey" FOREIGN KEY ("category_code") REFERENCES "inquiry_categories"("code") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "inquiries" ADD CONSTRAINT "inquiries_booking_id_fkey" FOREIGN KEY ("booking_id") REFERENCES "bookings"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "inquiries" ADD CONSTRAINT "inquiries_card_holder_id_fkey" FOREIGN KEY ("card_holder_id") REFERENCES "card_holders"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "inquiries" ADD CONSTRAINT "inquiries_applicant_id_fkey" FOREIGN KEY ("applicant_id") REFERENCES "applicants"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "inquiries" ADD CONSTRAINT "inquiries_counter_id_fkey" FOREIGN KEY ("counter_id") REFERENCES "counters"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- Rules the database holds whatever the app does.
ALTER TABLE "inquiries" ADD CONSTRAINT "inquiries_body_length" CHECK (char_length(body) BETWEEN 1 AND 2000);
ALTER TABLE "inquiries" ADD CONSTRAINT "inquiries_response_length" CHECK (char_length(response) <= 2000 AND char_length(escalated_to) <= 200);
ALTER TABLE "inquiries" ADD CONSTRAINT "inquiries_answered_has_response" CHECK (status NOT IN ('answered') OR (responded_at IS NOT NULL AND char_length(response) > 0));
ALTER TABLE "inquiries" ADD CONSTRAINT "inquiries_escalated_has_time" CHECK (status = 'open' OR status = 'closed' OR escalated_at IS NOT NULL);
ALTER TABLE "faq_entries" ADD CONSTRAINT "faq_entries_lengths" CHECK (char_length(category) BETWEEN 1 AND 50 AND char_length(question) BETWEEN 1 AND 500 AND char_length(answer) BETWEEN 1 AND 4000);

-- The categories every city starts with (staff see the labels; the codes stay internal).
INSERT INTO "inquiry_categories" (code, label, display_order) VALUES
  ('booking_method', '予約方法', 10),
  ('what_to_bring', '持ち物', 20),
  ('complaint', '苦情', 30),
  ('change_date', '日時変更', 40),
  ('other', 'その他', 90);

-- expand/contract: new tables only; the previous release never reads or writes them.
