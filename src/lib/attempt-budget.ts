// Windowed attempt budgets kept in PostgreSQL (table citizen_login_throttles, one row per key):
// a client address's failed citizen log-ins, a staff user's identity checks for citizens.
// An attempt is reserved (counted) in one statement before its answer can be learnt, and
// refused once the window's budget is spent, so requests fired at the same moment cannot slip past.
import type { Queryable } from '../db/client.js';

export interface AttemptBudget {
  key: string;
  max: number;
  windowMinutes: number;
}

const RESERVE = `
  INSERT INTO citizen_login_throttles AS t (key, failures, window_started_at) VALUES ($1, 1, now())
  ON CONFLICT (key) DO UPDATE SET
    failures = CASE WHEN t.window_started_at > now() - make_interval(mins => $3::int) THEN t.failures + 1 ELSE 1 END,
    window_started_at = CASE WHEN t.window_started_at > now() - make_interval(mins => $3::int) THEN t.window_started_at ELSE now() END
  WHERE t.failures < $2::int OR t.window_started_at <= now() - make_interval(mins => $3::int)
  RETURNING failures`;

/** Reserves one attempt; returns how many the window now holds, or null when the budget is spent. */
export async function reserveAttempt(db: Queryable, budget: AttemptBudget): Promise<number | null> {
  const rows = await db.query<{ failures: number }>(RESERVE, [budget.key, budget.max, budget.windowMinutes]);
  return rows[0]?.failures ?? null;
}

const SPENT = `
  SELECT failures >= $2::int AS spent FROM citizen_login_throttles
  WHERE key = $1 AND window_started_at > now() - make_interval(mins => $3::int)`;

/** Whether the window's budget is spent; reserves nothing. */
export async function budgetSpent(db: Queryable, budget: AttemptBudget): Promise<boolean> {
  const rows = await db.query<{ spent: boolean }>(SPENT, [budget.key, budget.max, budget.windowMinutes]);
  return rows[0]?.spent ?? false;
}

/** Gives a reserved attempt back: the secret was right, so it was not a failure. */
export async function giveBackAttempt(db: Queryable, key: string): Promise<void> {
  await db.query(`UPDATE citizen_login_throttles SET failures = failures - 1 WHERE key = $1 AND failures > 0`, [key]);
}
