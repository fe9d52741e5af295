-- CreateEnum
CREATE TYPE "status_notice_kind" AS ENUM ('maintenance', 'incident');

-- CreateTable
CREATE TABLE "status_notices" (
    "id" SERIAL NOT NULL,
    "kind" "status_notice_kind" NOT NULL,
    "title" TEXT NOT NULL,
    "body" TEXT NOT NULL DEFAULT '',
    "starts_at" TIMESTAMPTZ(3) NOT NULL,
    "ends_at" TIMESTAMPTZ(3),
    "created_by" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "status_notices_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "status_notices_starts_at_idx" ON "status_notices"("starts_at");

-- Hand-written: a notice ends after it starts; short public texts.
ALTER TABLE "status_notices" ADD CONSTRAINT "status_notices_ends_after_start" CHECK ("ends_at" IS NULL OR "ends_at" > "starts_at");
ALTER TABLE "status_notices" ADD CONSTRAINT "status_notices_text_lengths" CHECK (char_length("title") BETWEEN 1 AND 100 AND char_length("body") <= 2000);
