-- AlterTable
ALTER TABLE "card_holders" ADD COLUMN     "logged_out_at" TIMESTAMPTZ(3),
ADD COLUMN     "session_generation" INTEGER NOT NULL DEFAULT 0;
