import { readFile } from 'node:fs/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { applyMigrations, diffMigrationsToSchema, schemaPath } from '../../src/db/migrator.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});

async function makeCounterAndSlot(capacity: number) {
  const counter = await db.prisma.counter.create({ data: { code: `c${Math.random()}`, name: 'テスト窓口' } });
  const slot = await db.prisma.slot.create({
    data: { counterId: counter.id, date: new Date('2026-12-01'), startsAt: new Date('2026-12-01T00:00:00Z'), endsAt: new Date('2026-12-01T00:30:00Z'), capacity },
  });
  return { counter, slot };
}

describe('migrations', () => {
  it('When the migrations are applied again, then nothing is applied (idempotent)', async () => {
    expect(await applyMigrations(db.url)).toEqual([]);
    const history = await db.pool.query('SELECT migration_name, finished_at FROM _prisma_migrations');
    expect(history.rowCount).toBeGreaterThan(0);
    expect(history.rows.every((row) => row.finished_at !== null)).toBe(true);
  });

  it('When the committed migrations are compared with schema.prisma, then there is no drift', async () => {
    expect(await diffMigrationsToSchema(db.serverUrl)).toBe('');
  });

  it('When schema.prisma gains a column that no migration creates, then the drift check reports it', async () => {
    const schema = await readFile(schemaPath, 'utf8');
    const changed = schema.replace('model Counter {\n', 'model Counter {\n  phone String?\n');
    expect(await diffMigrationsToSchema(db.serverUrl, changed)).toMatch(/ALTER TABLE "counters" ADD COLUMN\s+"phone"/);
  });
});

describe('invariants held by PostgreSQL itself', () => {
  it('When a slot would hold more people than its capacity, then the CHECK constraint refuses it', async () => {
    const { slot } = await makeCounterAndSlot(2);
    await db.pool.query('UPDATE slots SET booked = 2 WHERE id = $1', [slot.id]);
    await expect(db.pool.query('UPDATE slots SET booked = 3 WHERE id = $1', [slot.id])).rejects.toThrow(/slots_booked_within_capacity/);
    await expect(db.pool.query('UPDATE slots SET booked = -1 WHERE id = $1', [slot.id])).rejects.toThrow(/slots_booked_within_capacity/);
  });

  it('When a card holder already has an active booking, then a second active booking is refused', async () => {
    const { slot } = await makeCounterAndSlot(5);
    const holder = await db.prisma.cardHolder.create({ data: { noticeId: `n${Math.random()}`, birthKey: 'x' } });
    const booking = { slotId: slot.id, cardHolderId: holder.id, channel: 'web' as const, createdBy: 'test' };
    await db.prisma.booking.create({ data: { ...booking, code: `A${Math.random()}` } });
    await expect(db.prisma.booking.create({ data: { ...booking, code: `B${Math.random()}` } })).rejects.toThrow(/Unique constraint/);
    await db.prisma.booking.create({ data: { ...booking, code: `C${Math.random()}`, status: 'cancelled' } });
    expect(await db.prisma.booking.count({ where: { cardHolderId: holder.id } })).toBe(2);
  });

  it('When anyone tries to change or delete the audit log, then PostgreSQL refuses', async () => {
    const entry = await db.prisma.auditLog.create({ data: { actorType: 'staff', actorId: '1', action: 'test' } });
    await expect(db.pool.query('UPDATE audit_logs SET action = $1 WHERE id = $2', ['x', entry.id])).rejects.toThrow(/append-only/);
    await expect(db.pool.query('DELETE FROM audit_logs WHERE id = $1', [entry.id])).rejects.toThrow(/append-only/);
    await expect(db.pool.query('TRUNCATE audit_logs')).rejects.toThrow(/append-only/);
  });
});
