-- CreateEnum
CREATE TYPE "import_format" AS ENUM ('csv', 'fixed');

-- CreateEnum
CREATE TYPE "import_batch_status" AS ENUM ('uploaded', 'previewing', 'previewed', 'committing', 'committed', 'failed', 'discarded');

-- CreateTable
CREATE TABLE "import_profiles" (
    "id" SERIAL NOT NULL,
    "name" TEXT NOT NULL,
    "format" "import_format" NOT NULL DEFAULT 'csv',
    "encoding" TEXT NOT NULL DEFAULT 'auto',
    "has_header" BOOLEAN NOT NULL DEFAULT true,
    "date_format" TEXT NOT NULL DEFAULT 'YYYYMMDD',
    "columns" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "import_profiles_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "import_batches" (
    "id" SERIAL NOT NULL,
    "storage_key" TEXT NOT NULL,
    "file_name" TEXT NOT NULL,
    "sha256" TEXT NOT NULL,
    "size_bytes" BIGINT NOT NULL,
    "profile_id" INTEGER NOT NULL,
    "encoding" TEXT NOT NULL DEFAULT '',
    "status" "import_batch_status" NOT NULL DEFAULT 'uploaded',
    "phase" TEXT NOT NULL DEFAULT '',
    "rows_read" INTEGER NOT NULL DEFAULT 0,
    "bytes_read" BIGINT NOT NULL DEFAULT 0,
    "created_count" INTEGER NOT NULL DEFAULT 0,
    "updated_count" INTEGER NOT NULL DEFAULT 0,
    "unchanged_count" INTEGER NOT NULL DEFAULT 0,
    "error_count" INTEGER NOT NULL DEFAULT 0,
    "failure" TEXT NOT NULL DEFAULT '',
    "uploaded_by" TEXT NOT NULL,
    "committed_by" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "previewed_at" TIMESTAMPTZ(3),
    "committed_at" TIMESTAMPTZ(3),

    CONSTRAINT "import_batches_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "import_rows" (
    "batch_id" INTEGER NOT NULL,
    "line" INTEGER NOT NULL,
    "notice_id" TEXT NOT NULL,
    "birth_key" TEXT NOT NULL,
    "name" TEXT NOT NULL DEFAULT '',
    "name_kana" TEXT NOT NULL DEFAULT '',
    "card_number" TEXT,
    "counter_code" TEXT NOT NULL DEFAULT '',
    "counter_id" INTEGER,
    "storage_place" TEXT NOT NULL DEFAULT '',
    "notice_sent_on" DATE,
    "notice_valid_until" DATE,
    "error" TEXT,
    "error_params" JSONB,

    CONSTRAINT "import_rows_pkey" PRIMARY KEY ("batch_id","line")
);

-- CreateIndex
CREATE UNIQUE INDEX "import_profiles_name_key" ON "import_profiles"("name");

-- CreateIndex
CREATE UNIQUE INDEX "import_batches_storage_key_key" ON "import_batches"("storage_key");

-- CreateIndex
CREATE INDEX "import_batches_created_at_idx" ON "import_batches"("created_at");

-- AddForeignKey
ALTER TABLE "import_batches" ADD CONSTRAINT "import_batches_profile_id_fkey" FOREIGN KEY ("profile_id") REFERENCES "import_profiles"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "import_rows" ADD CONSTRAINT "import_rows_batch_id_fkey" FOREIGN KEY ("batch_id") REFERENCES "import_batches"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- A ready-made profile for the common J-LIS CSV layout, so a new deployment can import at once.
INSERT INTO "import_profiles" ("name", "format", "encoding", "has_header", "date_format", "columns", "updated_at")
VALUES ('標準CSV(J-LIS)', 'csv', 'auto', true, 'YYYYMMDD',
  '{"noticeId":1,"birthDate":2,"name":3,"nameKana":4,"cardNumber":5,"counterCode":6,"storagePlace":7,"noticeSentOn":8,"noticeValidUntil":9}',
  CURRENT_TIMESTAMP);
