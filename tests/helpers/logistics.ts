// Card logistics records for the walks over every route (role matrix, route walker): a site's
// shipping list, stock count and a clerk's transfer, so their pages have real ids.
import type { Database } from '../../src/db/client.js';
import { createShipment } from '../../src/features/cards/logistics/shipments.js';
import { startCount } from '../../src/features/cards/logistics/stock-count.js';
import { requestTransfer } from '../../src/features/cards/logistics/transfers.js';
import { STAFF_ACTOR, TEST_CLERK } from './booking.js';
import { createCardHolder, createCounter } from './factories.js';
import { inTx } from './tx.js';

/** At `siteId`: a list of one card to another site, a counting stock count, and a clerk's transfer (the card on the list). */
export async function logisticsFixture(db: Database, siteId: number) {
  const other = await createCounter(db, { name: '分室' });
  const { holder } = await createCardHolder(db, { counterId: siteId });
  return inTx(
    db,
    async (tx) => {
      const transferId = await requestTransfer(tx, { cardHolderId: holder.id, toCounterId: other.id, by: TEST_CLERK });
      const shipmentId = await createShipment(tx, { fromCounterId: siteId, toCounterId: other.id, by: TEST_CLERK });
      const countId = await startCount(tx, { siteId, by: TEST_CLERK });
      return { transferId, shipmentId, countId };
    },
    STAFF_ACTOR,
  );
}
