// The migration that settles one actor format rewrites rows written in the older formats
// (bare staff ids, 'job:<name>', alert acknowledgements by login ID or address, English reasons).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { migrationsDir } from '../../src/db/migrator.js';
import { createCardHolder, createCounter, createStaff } from '../helpers/factories.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';

let db: TestDatabase;
const migration = readFileSync(path.join(migrationsDir, '20261202153730_actor_keys_import_start_status', 'migration.sql'), 'utf8');
/** The data part of the migration (its UPDATEs are idempotent, so they run again on legacy rows). */
const dataPart = migration.slice(migration.indexOf('-- One stored actor format'));

beforeAll(async () => {
  db = await createTestDatabase(2);
});

describe('actor format migration', () => {
  it('When rows in the old formats exist, then the migration rewrites them to staff:/system: keys and reasons to keys, and leaves new and typed ones alone', async () => {
    const { user } = await createStaff(db, { role: 'admin' });
    const { holder } = await createCardHolder(db, { counterId: (await createCounter(db)).id });
    const legacy: [string, string][] = [
      [String(user.id), 'booking hand_over'],
      ['job:past-bookings', 'booking no_show'],
      [`citizen:${holder.id}`, 'booking'],
      [`staff:${user.id}`, '受領確認'],
      [String(user.id), '手入力で登録'],
    ];
    for (const [actor, reason] of legacy) await db.prisma.cardStatusChange.create({ data: { cardHolderId: holder.id, toStatus: 'notice_sent', actor, reason } });
    const byConsole = await db.prisma.alert.create({
      data: { kind: 'disk_full', subjectKey: 'a', summary: 's', acknowledgedAt: new Date(), acknowledgedBy: `staff:${user.loginId}`, acknowledgedVia: 'console' },
    });
    const byMail = await db.prisma.alert.create({
      data: { kind: 'disk_full', subjectKey: 'b', summary: 's', acknowledgedAt: new Date(), acknowledgedBy: 'oncall@example.jp', acknowledgedVia: 'mail' },
    });

    await db.pool.query(dataPart);
    await db.pool.query(dataPart); // twice changes nothing more

    const rows = await db.prisma.cardStatusChange.findMany({ where: { cardHolderId: holder.id }, orderBy: { id: 'asc' } });
    expect(rows.map((row) => [row.actor, row.reason])).toEqual([
      [`staff:${user.id}`, 'cards.reason.hand_over'],
      ['system:past-bookings', 'cards.reason.no_show'],
      [`citizen:${holder.id}`, 'cards.reason.booked'],
      [`staff:${user.id}`, '受領確認'],
      [`staff:${user.id}`, 'cards.history.quickAdded'],
    ]);
    expect((await db.prisma.alert.findUniqueOrThrow({ where: { id: byConsole.id } })).acknowledgedBy).toBe(`staff:${user.id}`);
    expect((await db.prisma.alert.findUniqueOrThrow({ where: { id: byMail.id } })).acknowledgedBy).toBe('system:mail:oncall@example.jp');
  });
});
