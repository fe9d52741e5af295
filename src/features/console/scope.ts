// The counter a console screen is about, within the user's counter scope (decided in src/policies).
import type { Db, DbTx } from '../../db/client.js';
import { AppError } from '../../lib/app-error.js';
import { ensureCounter, type StaffPrincipal } from '../../policies/index.js';

export async function counterOrFail(db: Db | DbTx, user: StaffPrincipal, counterId: number) {
  ensureCounter(user, counterId);
  const counter = await db.counter.findUnique({ where: { id: counterId } });
  if (!counter) throw new AppError(404, 'counter_not_found', 'console.counterNotFound');
  return counter;
}
