-- DropForeignKey
-- expand/contract: the previous release never deletes an import batch (the cascade never ran) and stages rows only for the batch it previews, so it works the same without the key.
ALTER TABLE "import_rows" DROP CONSTRAINT "import_rows_batch_id_fkey";
