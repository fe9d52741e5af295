-- CreateTable
CREATE TABLE "slot_holds" (
    "id" SERIAL NOT NULL,
    "slot_id" INTEGER NOT NULL,
    "card_holder_id" INTEGER NOT NULL,
    "people" INTEGER NOT NULL DEFAULT 1,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "slot_holds_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "citizen_login_throttles" (
    "key" TEXT NOT NULL,
    "failures" INTEGER NOT NULL DEFAULT 0,
    "window_started_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "locked_until" TIMESTAMPTZ(3),

    CONSTRAINT "citizen_login_throttles_pkey" PRIMARY KEY ("key")
);

-- CreateIndex
CREATE UNIQUE INDEX "slot_holds_card_holder_id_key" ON "slot_holds"("card_holder_id");

-- CreateIndex
CREATE INDEX "slot_holds_expires_at_idx" ON "slot_holds"("expires_at");

-- CreateIndex
CREATE INDEX "slot_holds_slot_id_idx" ON "slot_holds"("slot_id");

-- AddForeignKey
ALTER TABLE "slot_holds" ADD CONSTRAINT "slot_holds_slot_id_fkey" FOREIGN KEY ("slot_id") REFERENCES "slots"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- A hold takes at least one place; its places are counted in slots.booked (invariant 1).
ALTER TABLE "slot_holds" ADD CONSTRAINT "slot_holds_people_positive" CHECK ("people" >= 1);
