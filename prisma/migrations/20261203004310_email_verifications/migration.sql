-- CreateTable
CREATE TABLE "email_verifications" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "email" TEXT NOT NULL,
    "procedure_code" TEXT NOT NULL,
    "session_nonce" TEXT NOT NULL,
    "code_hash" TEXT NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "used_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "email_verifications_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "email_verifications_email_created_at_idx" ON "email_verifications"("email", "created_at");

-- AddForeignKey
ALTER TABLE "email_verifications" ADD CONSTRAINT "email_verifications_procedure_code_fkey" FOREIGN KEY ("procedure_code") REFERENCES "procedures"("code") ON DELETE RESTRICT ON UPDATE CASCADE;

-- Invariants Prisma cannot express (kept by hand; Prisma's diff ignores them).
ALTER TABLE "email_verifications" ADD CONSTRAINT "email_verifications_attempts_not_negative" CHECK ("attempts" >= 0);
