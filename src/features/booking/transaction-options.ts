import type { TransactionOptions } from '../../db/transaction.js';

/**
 * How a caller opens a transaction for the booking commands where speed counts (a citizen's
 * booking in a storm): plain SQL, which is all the commands need, and each statement planned once
 * per connection, since they look rows up by key and the values never change the best plan.
 */
export const BOOKING_TRANSACTION = { models: false, plans: 'generic' } as const satisfies TransactionOptions;
