// The one transaction helper: Prisma's models and plain SQL share the transaction's connection,
// the acting user and the time-out reach PostgreSQL, and a transaction can neither outlive its
// callback nor open a second one inside it.
import { beforeAll, describe, expect, it } from 'vitest';
import { transaction } from '../../src/db/transaction.js';
import { BOOKING_TRANSACTION } from '../../src/features/booking/index.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { createCounter } from '../helpers/factories.js';

let db: TestDatabase;
const actor = { type: 'staff' as const, id: '42', ip: '192.0.2.1' };

beforeAll(async () => {
  db = await createTestDatabase();
});

describe('transaction()', () => {
  it('When the callback writes through Prisma and through plain SQL and then throws, then neither write is kept', async () => {
    const counter = await createCounter(db, { name: '元の名前' });
    await expect(
      transaction(db, actor, async (tx) => {
        await tx.db.counter.update({ where: { id: counter.id }, data: { name: 'Prisma で変更' } });
        await tx.query(`UPDATE counters SET address = 'SQL で変更' WHERE id = $1`, [counter.id]);
        // Both writes are visible inside, so they ran on the one connection.
        expect(await tx.query(`SELECT name, address FROM counters WHERE id = $1`, [counter.id])).toEqual([{ name: 'Prisma で変更', address: 'SQL で変更' }]);
        throw new Error('give up');
      }),
    ).rejects.toThrow('give up');
    expect(await db.prisma.counter.findUniqueOrThrow({ where: { id: counter.id } })).toMatchObject({ name: '元の名前', address: '' });
  });

  it('When the callback returns, then both kinds of writes are committed together', async () => {
    const counter = await createCounter(db);
    await transaction(db, actor, async (tx) => {
      await tx.db.counter.update({ where: { id: counter.id }, data: { name: '新しい名前' } });
      await tx.query(`UPDATE counters SET address = '新しい住所' WHERE id = $1`, [counter.id]);
    });
    expect(await db.prisma.counter.findUniqueOrThrow({ where: { id: counter.id } })).toMatchObject({ name: '新しい名前', address: '新しい住所' });
  });

  it('When a transaction runs, then PostgreSQL knows the acting user (app.actor) and the statement time-out, for this transaction only', async () => {
    const seen = await transaction(
      db,
      actor,
      (tx) => tx.query<{ actor: string; timeout: string }>(`SELECT current_setting('app.actor') AS actor, current_setting('statement_timeout') AS timeout`),
      { timeoutMs: 1500 },
    );
    expect(seen).toEqual([{ actor: 'staff:42', timeout: '1500ms' }]);
    const after = await db.query<{ actor: string | null }>(`SELECT current_setting('app.actor', true) AS actor`);
    expect(after[0].actor ?? '').toBe('');
  });

  it("When the acting user's key holds quotes and backslashes (an alert acknowledged from a mail address), then it reaches PostgreSQL exactly as it is", async () => {
    const odd = { type: 'system' as const, id: "mail:o'brien\\x@example.jp'; SELECT 1; --" };
    const [seen] = await transaction(db, odd, (tx) => tx.query<{ actor: string }>(`SELECT current_setting('app.actor') AS actor`));
    expect(seen.actor).toBe(`system:${odd.id}`);
  });

  it('When a statement runs longer than the time-out, then it is cancelled and the transaction rolls back', async () => {
    await expect(transaction(db, actor, (tx) => tx.query(`SELECT pg_sleep(2)`), { timeoutMs: 200 })).rejects.toThrow(/statement timeout/);
  });

  it('When a transaction is opened inside another, then it is refused (it would wait on the outer one from a second connection)', async () => {
    await expect(transaction(db, actor, () => transaction(db, actor, async () => 1))).rejects.toThrow(/do not nest/);
  });

  it('When a transaction is opened alongside an open one on purpose, then it commits on its own even though the outer one rolls back', async () => {
    const [outer, beside] = [await createCounter(db), await createCounter(db)];
    await expect(
      transaction(db, actor, async (tx) => {
        await tx.query(`UPDATE counters SET name = 'outer' WHERE id = $1`, [outer.id]);
        await transaction(db, actor, (progress) => progress.query(`UPDATE counters SET name = 'beside' WHERE id = $1`, [beside.id]), { alongside: true });
        throw new Error('outer gives up');
      }),
    ).rejects.toThrow('outer gives up');
    expect((await db.prisma.counter.findUniqueOrThrow({ where: { id: outer.id } })).name).not.toBe('outer');
    expect((await db.prisma.counter.findUniqueOrThrow({ where: { id: beside.id } })).name).toBe('beside');
  });

  it('When work keeps the Tx past the end of its transaction, then its statements are refused instead of running on a connection another request now uses', async () => {
    let kept: Parameters<Parameters<typeof transaction>[2]>[0] | undefined;
    await transaction(db, actor, async (tx) => {
      kept = tx;
    });
    await expect(kept!.query('SELECT 1')).rejects.toThrow(/after its transaction ended/);
  });

  it('When twenty transactions run at once on a pool of five connections, then plain SQL in each sees its own uncommitted Prisma write and its own actor', async () => {
    const small = await createTestDatabase(5);
    const counters = await Promise.all(Array.from({ length: 20 }, () => createCounter(small)));
    const seen = await Promise.all(
      counters.map((counter, i) =>
        transaction(small, { type: 'system', id: `t${i}` }, async (tx) => {
          await tx.db.counter.update({ where: { id: counter.id }, data: { name: `n${i}` } });
          return tx.query<{ name: string; actor: string }>(`SELECT name, current_setting('app.actor') AS actor FROM counters WHERE id = $1`, [counter.id]);
        }),
      ),
    );
    seen.forEach((rows, i) => expect(rows).toEqual([{ name: `n${i}`, actor: `system:t${i}` }]));
  });
});

describe('transaction() for plain SQL only ({ models: false })', () => {
  it('When the work throws after writing, then nothing is kept; when it returns, everything is; the acting user and time-out reach PostgreSQL', async () => {
    const counter = await createCounter(db, { name: '元の名前' });
    const rename = (name: string) => (tx: { query: (text: string, values?: unknown[]) => Promise<unknown[]> }) =>
      tx.query(`UPDATE counters SET name = $2 WHERE id = $1`, [counter.id, name]);
    await expect(
      transaction(
        db,
        actor,
        async (tx) => {
          await rename('捨てる名前')(tx);
          throw new Error('give up');
        },
        { models: false },
      ),
    ).rejects.toThrow('give up');
    expect((await db.prisma.counter.findUniqueOrThrow({ where: { id: counter.id } })).name).toBe('元の名前');
    const seen = await transaction(
      db,
      actor,
      async (tx) => {
        await rename('残す名前')(tx);
        return tx.query<{ actor: string; timeout: string }>(`SELECT current_setting('app.actor') AS actor, current_setting('statement_timeout') AS timeout`);
      },
      { models: false, timeoutMs: 1500 },
    );
    expect(seen).toEqual([{ actor: 'staff:42', timeout: '1500ms' }]);
    expect((await db.prisma.counter.findUniqueOrThrow({ where: { id: counter.id } })).name).toBe('残す名前');
  });

  it('When one is opened inside another, or its Tx is used after it ended, then that is refused', async () => {
    await expect(transaction(db, actor, () => transaction(db, actor, async () => 1, { models: false }), { models: false })).rejects.toThrow(/do not nest/);
    let kept: { query: (text: string) => Promise<unknown[]> } | undefined;
    await transaction(db, actor, async (tx) => void (kept = tx), { models: false });
    await expect(kept!.query('SELECT 1')).rejects.toThrow(/after its transaction ended/);
  });

  it('When the first statement runs, then it is already inside the transaction (BEGIN went out with it) and sees the same transaction time as the last', async () => {
    const [first, last] = await transaction(
      db,
      actor,
      async (tx) => {
        const [start] = await tx.query<{ at: string; xid: string }>(`SELECT now()::text AS at, txid_current()::text AS xid`);
        await new Promise((resolve) => setTimeout(resolve, 20));
        const [end] = await tx.query<{ at: string; xid: string }>(`SELECT now()::text AS at, txid_current()::text AS xid`);
        return [start, end];
      },
      { models: false },
    );
    expect(last).toEqual(first);
  });

  it('When statements are sent together without waiting and one in the middle fails, then its own error is reported and none of them is kept', async () => {
    const counters = [await createCounter(db, { name: '一' }), await createCounter(db, { name: '二' })]; // in id order
    const rename = (tx: { query: (text: string, values?: unknown[]) => Promise<unknown[]> }, id: number) => tx.query(`UPDATE counters SET name = '変更' WHERE id = $1`, [id]);
    await expect(
      transaction(db, actor, (tx) => Promise.all([rename(tx, counters[0].id), tx.query(`SELECT 1 / 0`), rename(tx, counters[1].id)]), { models: false }),
    ).rejects.toThrow(/division by zero/);
    const names = await db.query<{ name: string }>(`SELECT name FROM counters WHERE id = ANY($1::int[]) ORDER BY id`, [counters.map((c) => c.id)]);
    expect(names.map((row) => row.name)).toEqual(['一', '二']);
  });

  it('When the work swallows a failed statement and returns, then the transaction is not reported as committed (PostgreSQL rolled it back at COMMIT)', async () => {
    const counter = await createCounter(db, { name: '元の名前' });
    await expect(
      transaction(
        db,
        actor,
        async (tx) => {
          await tx.query(`UPDATE counters SET name = '失われる名前' WHERE id = $1`, [counter.id]);
          await tx.query(`SELECT 1 / 0`).catch(() => undefined);
          return 'done';
        },
        { models: false },
      ),
    ).rejects.toThrow(/rolled back at COMMIT/);
    expect((await db.prisma.counter.findUniqueOrThrow({ where: { id: counter.id } })).name).toBe('元の名前');
  });

  it('When two transactions deadlock (each locks a row the other then wants), then PostgreSQL aborts one, the helper runs it again, and both commit', async () => {
    const [a, b] = [await createCounter(db), await createCounter(db)];
    let attempts = 0;
    let arrived = 0;
    let release: () => void = () => {};
    const bothLocked = new Promise<void>((resolve) => (release = resolve));
    // Each takes its first row, waits until the other has too (first attempts only), then wants the other's.
    const crossing = (first: number, second: number, name: string) =>
      transaction(
        db,
        actor,
        async (tx) => {
          attempts += 1;
          await tx.query(`UPDATE counters SET address = $2 WHERE id = $1`, [first, name]);
          if ((arrived += 1) === 2) release();
          if (arrived <= 2) await bothLocked;
          await tx.query(`UPDATE counters SET address = $2 WHERE id = $1`, [second, name]);
        },
        { models: false },
      );
    await Promise.all([crossing(a.id, b.id, 'A'), crossing(b.id, a.id, 'B')]);
    expect(attempts).toBe(3);
    const rows = await db.prisma.counter.findMany({ where: { id: { in: [a.id, b.id] } } });
    // Whichever ran again ran last and wrote both rows.
    expect(new Set(rows.map((row) => row.address)).size).toBe(1);
  });

  it('When the callback fails with an error that is not a deadlock, then it is not run again', async () => {
    let attempts = 0;
    await expect(
      transaction(db, actor, async (tx) => {
        attempts += 1;
        await tx.query(`SELECT 1/0`);
      }),
    ).rejects.toMatchObject({ code: '22012' });
    expect(attempts).toBe(1);
  });

  it('When a transaction of either kind is opened as a snapshot, then it runs REPEATABLE READ, and others READ COMMITTED', async () => {
    const isolation = (tx: { query: typeof db.query }) => tx.query<{ level: string }>(`SELECT current_setting('transaction_isolation') AS level`).then(([row]) => row.level);
    expect(await transaction(db, actor, isolation, { isolation: 'snapshot' })).toBe('repeatable read');
    expect(await transaction(db, actor, isolation, { isolation: 'snapshot', models: false })).toBe('repeatable read');
    expect(await transaction(db, actor, isolation, { models: false })).toBe('read committed');
  });

  it('When a transaction asks for generic plans (the booking commands), then a statement run again and again in it is planned once and that plan reused; elsewhere PostgreSQL plans for each set of values as before', async () => {
    const oneConnection = await createTestDatabase(1); // the counts below are per connection
    // A lookup by a list of ids: PostgreSQL judges a plan for the actual list cheaper than a generic
    // one, so by itself it plans such a statement again at every run.
    const lookup = (tag: string) => `SELECT id FROM counters WHERE id = ANY($1::int[]) AND code <> '${tag}'`;
    const plansOf = (tag: string) =>
      oneConnection.query<{ generic: number; custom: number }>(
        `SELECT generic_plans::int AS generic, custom_plans::int AS custom FROM pg_prepared_statements WHERE statement = $1`,
        [lookup(tag)],
      );
    const runTenTimes = async (tx: { query: typeof db.query }, tag: string) => {
      for (let run = 0; run < 10; run += 1) await tx.query(lookup(tag), [[run, run + 1]]);
      return tx.query<{ mode: string }>(`SELECT current_setting('plan_cache_mode') AS mode`).then(([row]) => row.mode);
    };
    try {
      expect(await transaction(oneConnection, actor, (tx) => runTenTimes(tx, 'generic'), BOOKING_TRANSACTION)).toBe('force_generic_plan');
      expect(await plansOf('generic')).toEqual([{ generic: 10, custom: 0 }]);
      expect(await transaction(oneConnection, actor, (tx) => runTenTimes(tx, 'auto'), { models: false })).toBe('auto');
      expect(await plansOf('auto')).toEqual([{ generic: 0, custom: 10 }]);
    } finally {
      await oneConnection.close();
    }
  });
});

describe('tx.copyFrom (COPY FROM STDIN on the pipelined connection)', () => {
  const copyNames = `COPY copied (code, name) FROM STDIN`;
  const createCopied = (database: TestDatabase) => database.query(`CREATE TABLE IF NOT EXISTS copied (code text PRIMARY KEY, name text NOT NULL)`);
  beforeAll(() => createCopied(db));
  const names = (prefix: string, count: number) => Array.from({ length: count }, (_, n) => `${prefix}${n}\t${prefix} ${n}\n`);
  const counted = async (prefix: string) => Number((await db.query<{ count: string }>(`SELECT count(*) FROM copied WHERE code LIKE $1`, [`${prefix}%`]))[0].count);

  it('When rows are copied in a transaction of either kind, then they are committed with it and the count of copied rows comes back', async () => {
    expect(await transaction(db, actor, (tx) => tx.copyFrom(copyNames, names('cpm', 3)))).toBe(3);
    expect(await transaction(db, actor, (tx) => tx.copyFrom(copyNames, names('cpp', 2)), { models: false })).toBe(2);
    expect([await counted('cpm'), await counted('cpp')]).toEqual([3, 2]);
  });

  it('When the source fails half-way through a COPY, then its own error comes out, nothing copied is kept, and the same connection pipelines statements again after it', async () => {
    const single = await createTestDatabase(1); // one connection: the next transaction gets the same one
    await createCopied(single);
    async function* failing() {
      yield* names('cpx', 5000);
      throw new Error('source broke');
    }
    await expect(transaction(single, actor, (tx) => tx.copyFrom(copyNames, failing()))).rejects.toThrow('source broke');
    expect(Number((await single.query<{ count: string }>(`SELECT count(*) FROM copied WHERE code LIKE 'cpx%'`))[0].count)).toBe(0);
    // Statements sent together after the COPY still each get their own answer.
    const answers = await transaction(single, actor, (tx) => Promise.all([tx.query(`SELECT 1 AS n`), tx.query(`SELECT 2 AS n`), tx.query(`SELECT 3 AS n`)]), { models: false });
    expect(answers).toEqual([[{ n: 1 }], [{ n: 2 }], [{ n: 3 }]]);
    expect(await transaction(single, actor, (tx) => tx.copyFrom(copyNames, names('cpy', 2)))).toBe(2);
  });

  it('When PostgreSQL refuses a copied line, then the COPY fails with its error and the transaction keeps nothing', async () => {
    await expect(transaction(db, actor, (tx) => tx.copyFrom(copyNames, [...names('cpz', 10), 'only-one-column\n']), { models: false })).rejects.toThrow(/missing data/);
    expect(await counted('cpz')).toBe(0);
  });
});
