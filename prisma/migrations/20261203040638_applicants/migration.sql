-- AlterTable
ALTER TABLE "bookings" ADD COLUMN     "applicant_id" INTEGER,
ALTER COLUMN "card_holder_id" DROP NOT NULL;

-- AlterTable
ALTER TABLE "email_verifications" ADD COLUMN     "ended_at" TIMESTAMPTZ(3),
ADD COLUMN     "identified_at" TIMESTAMPTZ(3);

-- AlterTable
ALTER TABLE "slot_holds" ADD COLUMN     "applicant_id" INTEGER,
ALTER COLUMN "card_holder_id" DROP NOT NULL;

-- CreateTable
CREATE TABLE "applicants" (
    "id" SERIAL NOT NULL,
    "person_key" TEXT NOT NULL,
    "name_kana" TEXT NOT NULL DEFAULT '',
    "birth_key" TEXT,
    "phone" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "applicants_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "applicants_person_key_key" ON "applicants"("person_key");

-- CreateIndex
CREATE UNIQUE INDEX "bookings_one_active_per_applicant_procedure" ON "bookings"("applicant_id", "procedure_code") WHERE (status = ANY (ARRAY['active'::booking_status, 'checked_in'::booking_status]));

-- CreateIndex
CREATE UNIQUE INDEX "slot_holds_applicant_id_key" ON "slot_holds"("applicant_id");

-- AddForeignKey
ALTER TABLE "bookings" ADD CONSTRAINT "bookings_applicant_id_fkey" FOREIGN KEY ("applicant_id") REFERENCES "applicants"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "slot_holds" ADD CONSTRAINT "slot_holds_applicant_id_fkey" FOREIGN KEY ("applicant_id") REFERENCES "applicants"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- Invariants Prisma cannot express (kept by hand; Prisma's diff ignores them).
ALTER TABLE "bookings" ADD CONSTRAINT "bookings_one_person" CHECK (num_nonnulls("card_holder_id", "applicant_id") = 1);
ALTER TABLE "slot_holds" ADD CONSTRAINT "slot_holds_one_person" CHECK (num_nonnulls("card_holder_id", "applicant_id") = 1);
