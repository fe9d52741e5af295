// Windowed attempt budgets kept in PostgreSQL (table citizen_login_throttles, one row per key):
// a client address's failed citizen log-ins, a staff user's identity checks for citizens.
// An attempt is reserved (counted) in one statement before its answer can be learnt, and
// refused once the window's budget is spent, so requests fired at the same moment cannot slip past.
import type { DbTx } from '../db/client.js';

export interface AttemptBudget {
  key: string;
  max: number;
  windowMinutes: number;
}

/** Reserves one attempt; returns how many the window now holds, or null when the budget is spent. */
export async function reserveAttempt(db: DbTx, budget: AttemptBudget): Promise<number | null> {
  const rows = await db.$queryRaw<{ failures: number }[]>`
    INSERT INTO citizen_login_throttles AS t (key, failures, window_started_at) VALUES (${budget.key}, 1, now())
    ON CONFLICT (key) DO UPDATE SET
      failures = CASE WHEN t.window_started_at > now() - make_interval(mins => ${budget.windowMinutes}) THEN t.failures + 1 ELSE 1 END,
      window_started_at = CASE WHEN t.window_started_at > now() - make_interval(mins => ${budget.windowMinutes}) THEN t.window_started_at ELSE now() END
    WHERE t.failures < ${budget.max} OR t.window_started_at <= now() - make_interval(mins => ${budget.windowMinutes})
    RETURNING failures`;
  return rows[0]?.failures ?? null;
}

/** Whether the window's budget is spent; reserves nothing. */
export async function budgetSpent(db: DbTx, budget: AttemptBudget): Promise<boolean> {
  const rows = await db.$queryRaw<{ spent: boolean }[]>`
    SELECT failures >= ${budget.max} AS spent FROM citizen_login_throttles
    WHERE key = ${budget.key} AND window_started_at > now() - make_interval(mins => ${budget.windowMinutes})`;
  return rows[0]?.spent ?? false;
}

/** Gives a reserved attempt back: the secret was right, so it was not a failure. */
export async function giveBackAttempt(db: DbTx, key: string): Promise<void> {
  await db.$executeRaw`UPDATE citizen_login_throttles SET failures = failures - 1 WHERE key = ${key} AND failures > 0`;
}
