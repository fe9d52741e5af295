// Demo data for `npm start` on an empty database: counters, opening rules, closures as a city has
// them (national holidays by the rules' default, 年末年始 12/29-1/3, a monthly maintenance Sunday),
// the slots of the whole slot horizon, card holders and staff accounts. The demo log-ins are
// printed at start-up.
import { PICKUP } from '../features/schedule/procedures.js';
import bcrypt from 'bcrypt';
import type { Database, Db } from './client.js';
import { transaction } from './transaction.js';
import { birthKey } from '../features/citizen/birth-key.js';
import { regenerateHorizon } from '../features/schedule/slot-generation.js';
import { addDays, dateColumn, todayInJapan } from '../lib/jst.js';

export const DEMO_CITIZENS = [
  { noticeId: '4821730596124837', mmdd: '0401', name: '山田 太郎', nameKana: 'ヤマダ タロウ', storagePlace: 'A-01-001' },
  { noticeId: '7306158249936104', mmdd: '1124', name: '髙橋 花子', nameKana: 'タカハシ ハナコ', storagePlace: 'A-01-002' },
  { noticeId: '5594023871460258', mmdd: '0229', name: '山﨑 一郎', nameKana: 'ヤマザキ イチロウ', storagePlace: 'B-02-010' },
] as const;

export const DEMO_STAFF = [
  { loginId: 'admin', password: 'demo-admin-2026', displayName: '管理者(デモ)', role: 'admin' },
  { loginId: 'staff', password: 'demo-staff-2026', displayName: '窓口職員(デモ)', role: 'staff' },
  { loginId: 'operator', password: 'demo-operator-2026', displayName: 'コールセンター(デモ)', role: 'operator' },
] as const;

const WEEKDAYS = [1, 2, 3, 4, 5];

export async function isDatabaseEmpty(db: Db): Promise<boolean> {
  return (await db.counter.count()) === 0 && (await db.staffUser.count()) === 0;
}

export async function seedDemoData(database: Database, pepper: string, today = todayInJapan()): Promise<void> {
  const validFrom = dateColumn(addDays(today, -1));
  await transaction(
    database,
    { type: 'system', id: 'seed' },
    async (tx) => {
      await tx.db.closure.create({ data: { kind: 'yearly_range', label: '年末年始', params: { from: '12-29', to: '01-03' } } });
      const central = await tx.db.counter.create({
        data: {
          code: 'central',
          name: '市民課 マイナンバーカード交付センター',
          address: '中央区本町1-1-1 市役所本庁舎2階',
          accessNotes: '地下鉄「市役所前」駅 1番出口すぐ',
          windows: 6,
          displayOrder: 1,
          procedures: { create: { procedureCode: PICKUP } },
          openingRules: {
            create: [
              { label: '平日日中', daysOfWeek: WEEKDAYS, startMinute: 9 * 60, endMinute: 17 * 60, slotMinutes: 30, capacityPerSlot: 12, reservedCapacity: 2, validFrom },
              { label: '平日夜間', daysOfWeek: [1, 3], startMinute: 17 * 60, endMinute: 19 * 60, slotMinutes: 30, capacityPerSlot: 6, reservedCapacity: 1, validFrom },
              { label: '土日', daysOfWeek: [0, 6], startMinute: 9 * 60, endMinute: 17 * 60, slotMinutes: 30, capacityPerSlot: 8, reservedCapacity: 1, validFrom },
            ],
          },
          // The Sunday after the third Saturday: the system is down for maintenance.
          closures: { create: [{ kind: 'nth_weekday', label: 'システムメンテナンス日', params: { nth: 3, weekday: 6, offsetDays: 1 } }] },
        },
      });
      const north = await tx.db.counter.create({
        data: {
          code: 'north',
          name: '北区役所 市民課',
          address: '北区北町2-3-4',
          accessNotes: 'バス「北区役所前」下車',
          windows: 2,
          displayOrder: 2,
          procedures: { create: { procedureCode: PICKUP } },
          openingRules: { create: [{ label: '平日日中', daysOfWeek: WEEKDAYS, startMinute: 9 * 60, endMinute: 17 * 60, slotMinutes: 60, capacityPerSlot: 7, validFrom }] },
        },
      });
      await tx.db.counter.create({
        data: {
          code: 'south',
          name: '南区役所 市民課',
          address: '南区南町5-6-7',
          accessNotes: 'JR「南駅」から徒歩5分',
          windows: 1,
          displayOrder: 3,
          procedures: { create: { procedureCode: PICKUP } },
          openingRules: { create: [{ label: '平日日中', daysOfWeek: WEEKDAYS, startMinute: 9 * 60, endMinute: 17 * 60, slotMinutes: 60, capacityPerSlot: 3, validFrom }] },
        },
      });
      await regenerateHorizon(tx, today); // every day a citizen may book has its slots
      for (const [index, citizen] of DEMO_CITIZENS.entries()) {
        await tx.db.cardHolder.create({
          data: {
            noticeId: citizen.noticeId,
            birthKey: birthKey(pepper, citizen.noticeId, citizen.mmdd),
            name: citizen.name,
            nameKana: citizen.nameKana,
            storagePlace: citizen.storagePlace,
            counterId: index === 1 ? north.id : central.id,
            status: 'notice_sent',
            noticeSentOn: dateColumn(addDays(today, -7)),
            noticeValidUntil: dateColumn(addDays(today, 180)),
          },
        });
      }
      for (const staff of DEMO_STAFF) {
        await tx.db.staffUser.create({
          data: { loginId: staff.loginId, displayName: staff.displayName, role: staff.role, passwordHash: await bcrypt.hash(staff.password, 10), mustChangePassword: false },
        });
      }
    },
    { timeoutMs: 60_000 },
  );
}
