-- AlterTable
ALTER TABLE "import_batches" ADD COLUMN     "waiting_seen_at" TIMESTAMPTZ(3);

-- expand/contract: a nullable column only; the previous release never reads or writes it (its
-- recovery still fails an upload left waiting more than two minutes, as it always did).
