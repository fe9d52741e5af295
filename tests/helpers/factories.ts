// Small factories so each test sets up exactly the data it needs (Outline's habit).
import { randomBytes } from 'node:crypto';
import bcrypt from 'bcrypt';
import type { Database } from '../../src/db/client.js';
import type { StaffRole } from '../../src/generated/prisma/client.js';
import { birthKey } from '../../src/features/citizen/birth-key.js';
import { dateColumn, jstInstant, type IsoDate } from '../../src/lib/jst.js';
import { TEST_SECRETS } from './app.js';
import { TEST_CLERK } from './booking.js';
import { transaction } from '../../src/db/transaction.js';
import { bookSlot } from '../../src/features/booking/index.js';

const unique = () => randomBytes(4).toString('hex');

export async function createStaff(db: Database, options: { role?: StaffRole; password?: string; mustChangePassword?: boolean; counterIds?: number[] } = {}) {
  const password = options.password ?? 'correct-horse-battery-staple';
  const user = await db.prisma.staffUser.create({
    data: {
      loginId: `user-${unique()}`,
      displayName: 'テスト職員',
      role: options.role ?? 'staff',
      passwordHash: await bcrypt.hash(password, 4),
      mustChangePassword: options.mustChangePassword ?? false,
      counters: options.counterIds ? { create: options.counterIds.map((counterId) => ({ counterId })) } : undefined,
    },
  });
  return { user, password };
}

/** A counter offering the pickup, as counters made in the console or from the schedule file do. */
export async function createCounter(db: Database, data: { name?: string; windows?: number } = {}) {
  return db.prisma.counter.create({
    data: { code: `counter-${unique()}`, name: data.name ?? 'テスト交付窓口', windows: data.windows ?? 1, procedures: { create: { procedureCode: 'pickup' } } },
  });
}

export async function createSlot(
  db: Database,
  options: { counterId: number; date: IsoDate; startMinute?: number; minutes?: number; capacity?: number; reservedCapacity?: number },
) {
  const start = options.startMinute ?? 9 * 60;
  return db.prisma.slot.create({
    data: {
      counterId: options.counterId,
      date: dateColumn(options.date),
      startsAt: jstInstant(options.date, start),
      endsAt: jstInstant(options.date, start + (options.minutes ?? 30)),
      capacity: options.capacity ?? 3,
      reservedCapacity: options.reservedCapacity ?? 0,
    },
  });
}

export function randomNoticeId(): string {
  return Array.from(randomBytes(16), (byte) => String(byte % 10)).join('');
}

export async function createCardHolder(
  db: Database,
  options: { mmdd?: string; counterId?: number; noticeId?: string; status?: 'notice_sent' | 'card_arrived' | 'handed_over' | 'data_received' } = {},
) {
  const noticeId = options.noticeId ?? randomNoticeId();
  const mmdd = options.mmdd ?? '0401';
  const holder = await db.prisma.cardHolder.create({
    data: {
      noticeId,
      birthKey: birthKey(TEST_SECRETS.birthDatePepper, noticeId, mmdd),
      name: '試験 太郎',
      nameKana: 'シケン タロウ',
      counterId: options.counterId ?? null,
      status: options.status ?? 'notice_sent',
    },
  });
  return { holder, noticeId, mmdd };
}

/** A weekday opening rule 9:00-10:00 in 30-minute slots, valid from 2026 on. */
export async function createWeekdayRule(db: Database, counterId: number, capacityPerSlot: number) {
  return db.prisma.openingRule.create({
    data: { counterId, label: '平日', daysOfWeek: [1, 2, 3, 4, 5], startMinute: 540, endMinute: 600, slotMinutes: 30, capacityPerSlot, validFrom: dateColumn('2026-01-01') },
  });
}

/** A person who books a procedure without a notice ID (issue 14); person_key stands for the HMAC that identification writes. */
export async function createApplicant(db: Database, options: { nameKana?: string; phone?: string } = {}) {
  return db.prisma.applicant.create({ data: { personKey: `test-${unique()}`, nameKana: options.nameKana ?? 'シンセイ ハナコ', phone: options.phone ?? null } });
}

/** A procedure booked without a notice ID (a certificate renewal unless told), offered at the counter; its code. */
export async function offerProcedure(
  db: Database,
  counterId: number,
  data: { name?: string; minutes?: number; needsStoredCard?: boolean; sameDayAllowed?: boolean; perSlotLimit?: number; perDayLimit?: number; documents?: string[] } = {},
) {
  const code = `procedure-${unique()}`;
  await db.prisma.procedure.create({ data: { code, name: data.name ?? '電子証明書の更新', needsNoticeId: false, documents: ['マイナンバーカード'], ...data } });
  await db.prisma.counterProcedure.create({ data: { counterId, procedureCode: code } });
  return code;
}

/** An active web booking of an applicant, made by the booking command (a procedure offered at the slot's counter unless told). */
export async function bookApplicant(db: Database, options: { slotId: number; applicantId: number; procedureCode?: string; email?: string }) {
  const { counterId } = await db.prisma.slot.findUniqueOrThrow({ where: { id: options.slotId }, select: { counterId: true } });
  const procedure = options.procedureCode ?? (await offerProcedure(db, counterId));
  const { bookings } = await transaction(db, { type: 'staff', id: String(TEST_CLERK.id) }, (tx) =>
    bookSlot(tx, {
      slotId: options.slotId,
      cardHolderIds: [],
      applicants: [{ id: options.applicantId, procedure }],
      channel: 'web',
      email: options.email ?? null,
      by: TEST_CLERK,
      baseUrl: 'http://127.0.0.1',
    }),
  );
  return { id: bookings[0].id, code: bookings[0].code, applicantId: options.applicantId, procedure };
}
