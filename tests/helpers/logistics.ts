// Card logistics records for the walks over every route (role matrix, route walker): a site's
// shipping list, stock count and a clerk's transfer, so their pages have real ids.
import { beforeAll } from 'vitest';
import type { Database } from '../../src/db/client.js';
import { transaction, type Tx } from '../../src/db/transaction.js';
import { createShipment } from '../../src/features/cards/logistics/shipments.js';
import { startCount } from '../../src/features/cards/logistics/stock-count.js';
import { requestTransfer } from '../../src/features/cards/logistics/transfers.js';
import { STAFF_ACTOR, TEST_CLERK } from './booking.js';
import { createCardHolder, createCounter } from './factories.js';
import { inTx } from './tx.js';
import { createTestApp, type TestApp } from './app.js';
import { pinClock, WORKING_WEDNESDAY } from './clock.js';
import { addDays } from '../../src/lib/jst.js';

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

/**
 * The scene of a card logistics test file: the clock pinned on a working Wednesday, a fresh app
 * (filled before the tests run), a day a week ahead to book on, and a clerk's transaction.
 */
export function logisticsScene() {
  const { today } = pinClock(WORKING_WEDNESDAY);
  const t = {} as TestApp;
  beforeAll(async () => {
    Object.assign(t, await createTestApp());
  });
  const asClerk = <T>(work: (tx: Tx) => Promise<T>) => transaction(t.db, STAFF_ACTOR, work);
  return { t, day: addDays(today, 7), baseUrl: 'http://127.0.0.1', asClerk };
}
