-- AlterTable
ALTER TABLE "bookings" ADD COLUMN     "language" TEXT NOT NULL DEFAULT 'ja';

-- Only the citizen languages of src/lib/languages.ts.
-- expand/contract: the previous release never writes language, so its rows take the default 'ja', which the rule allows.
ALTER TABLE "bookings" ADD CONSTRAINT "bookings_language" CHECK ("language" IN ('ja', 'ja-easy', 'en', 'zh-Hans', 'zh-Hant', 'ko'));
