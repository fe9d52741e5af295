-- AlterTable
ALTER TABLE "audit_logs" ADD COLUMN     "text_keys" TEXT[];

-- CreateIndex
CREATE INDEX "audit_logs_text_keys" ON "audit_logs" USING GIN ("text_keys") WHERE (text_keys IS NOT NULL);

-- expand/contract: the previous release never writes text_keys (NULL, no index entry); searches
-- by text find the rows written from this release on, as the keyed details began with it.
