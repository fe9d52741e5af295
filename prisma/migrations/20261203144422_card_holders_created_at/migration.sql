-- CreateIndex
CREATE INDEX "card_holders_created_at_idx" ON "card_holders"("created_at");

-- expand/contract: an index only; the previous release reads and writes card_holders as before.
-- The forecast (issue 15.7) counts the cards registered per week without reading every card.
