-- AlterTable
ALTER TABLE "import_batches" ADD COLUMN     "failure_params" JSONB;
