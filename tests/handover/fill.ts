// A database with rows in every table, made by the factories and the real commands where they
// exist, with the values a CSV round trip gets wrong most easily: formula starts, a leading ',
// quotes, commas, line breaks, empty strings beside NULLs, arrays, JSON.
import { bookSlot, checkIn } from '../../src/features/booking/index.js';
import { saveRange } from '../../src/features/floor/ranges.js';
import { issueWalkIn } from '../../src/features/floor/tickets.js';
import { recordAudit } from '../../src/features/staff/audit.js';
import { createShipment, shipShipment } from '../../src/features/cards/logistics/shipments.js';
import { countScan, finishCount, startCount } from '../../src/features/cards/logistics/stock-count.js';
import { requestTransfer } from '../../src/features/cards/logistics/transfers.js';
import { readCatalog, readSequences, quoteName } from '../../src/features/handover/catalog.js';
import type { Database } from '../../src/db/client.js';
import { dateColumn, type IsoDate } from '../../src/lib/jst.js';
import { STAFF_ACTOR, TEST_CLERK } from '../helpers/booking.js';
import { bookApplicant, createApplicant, createCardHolder, createCounter, createSlot, createStaff, createWeekdayRule } from '../helpers/factories.js';
import { inTx } from '../helpers/tx.js';

/** Values that must come back exactly. */
export const AWKWARD = {
  formula: '=HYPERLINK("http://example.invalid","押してください")',
  marked: "'=既に印のある値",
  minus: '-棚 1, 段 2',
  lines: '一行目\r\n二行目\n"引用" と、読点',
  tab: '\t先頭がタブ',
};

export async function fillEveryTable(db: Database, { now, today }: { now: Date; today: IsoDate }): Promise<void> {
  const counter = await createCounter(db, { name: '本庁舎 "1階", 市民課' });
  await createWeekdayRule(db, counter.id, 3);
  await createStaff(db, { role: 'staff', counterIds: [counter.id] });
  const slot = await createSlot(db, { counterId: counter.id, date: today, capacity: 5 });
  const later = await createSlot(db, { counterId: counter.id, date: today, startMinute: 600, capacity: 2 });
  const { holder } = await createCardHolder(db, { counterId: counter.id, status: 'card_arrived' });
  await db.prisma.cardHolder.update({ where: { id: holder.id }, data: { name: AWKWARD.formula, nameKana: AWKWARD.marked, storagePlace: AWKWARD.minus, cardNumber: '' } });
  const booked = await inTx(
    db,
    (tx) => bookSlot(tx, { slotId: slot.id, cardHolderIds: [holder.id], channel: 'counter', email: 'taro@example.jp', by: TEST_CLERK, baseUrl: 'http://127.0.0.1' }),
    STAFF_ACTOR,
  );
  await inTx(db, (tx) => checkIn(tx, { bookingId: booked.bookings[0].id, by: TEST_CLERK, now }), STAFF_ACTOR);
  await inTx(db, (tx) => issueWalkIn(tx, { counterId: counter.id, procedureCode: 'pickup', by: TEST_CLERK, now }), STAFF_ACTOR);
  await inTx(db, (tx) => saveRange(tx, counter.id, 'walk_in', { prefix: 'W', firstNumber: 101, lastNumber: 199 }), STAFF_ACTOR);
  const applicant = await createApplicant(db, { phone: '090-0000-0000' });
  const { procedure } = await bookApplicant(db, { slotId: later.id, applicantId: applicant.id, email: 'hanako@example.jp' });
  await inTx(db, (tx) => recordAudit(tx, { action: 'cards.view', targetType: 'card_holder', targetId: holder.id, detail: { note: AWKWARD.lines } }));
  await fillTheRest(db, { counterId: counter.id, slotId: later.id, procedure, today });
  await fillLogistics(db, counter.id);
}

/** A card on its way to a ward in a shipment, and a finished stock count there with its findings. */
async function fillLogistics(db: Database, counterId: number) {
  const ward = await createCounter(db, { name: '北支所' });
  const { holder, noticeId } = await createCardHolder(db, { counterId, status: 'card_arrived' });
  const by = TEST_CLERK;
  await inTx(db, (tx) => requestTransfer(tx, { cardHolderId: holder.id, toCounterId: ward.id, by }), STAFF_ACTOR);
  const shipmentId = await inTx(db, (tx) => createShipment(tx, { fromCounterId: counterId, toCounterId: ward.id, by }), STAFF_ACTOR);
  await inTx(db, (tx) => shipShipment(tx, { shipmentId, by }), STAFF_ACTOR);
  const countId = await inTx(db, (tx) => startCount(tx, { siteId: ward.id, by }), STAFF_ACTOR);
  for (const scanned of [noticeId, '=1+1']) await inTx(db, (tx) => countScan(tx, { countId, noticeId: scanned, by }), STAFF_ACTOR);
  await inTx(db, (tx) => finishCount(tx, { countId, by }), STAFF_ACTOR);
}

/** Tables no command in the tests' reach writes simply: plain rows, each with an awkward value. */
async function fillTheRest(db: Database, { counterId, slotId, procedure, today }: { counterId: number; slotId: number; procedure: string; today: IsoDate }) {
  const p = db.prisma;
  const { holder } = await createCardHolder(db, { counterId, status: 'notice_sent' });
  await p.bookingPolicy.create({ data: { counterId, opensDaysAhead: 30, sameDayAllowed: null } });
  await p.closure.create({ data: { counterId, kind: 'single_date', label: AWKWARD.tab, params: { date: '2027-02-11', note: '="x"' } } });
  await p.dateOverride.create({
    data: { counterId, date: dateColumn('2027-01-16'), kind: 'open', label: '土曜開庁', startMinute: 540, endMinute: 720, slotMinutes: 30, capacityPerSlot: 2 },
  });
  await p.slotConflict.create({ data: { slotId, counterId, startsAt: new Date('2027-01-13T01:00:00Z'), kind: 'shrunk', plannedCapacity: 1, booked: 2 } });
  await p.slotHold.create({ data: { slotId, cardHolderId: holder.id, people: 1, expiresAt: new Date('2027-01-13T01:10:00.123Z') } });
  await p.citizenLoginThrottle.create({ data: { key: 'ip:192.0.2.1', failures: 3 } });
  await p.emailVerification.create({
    data: { email: '+formula@example.jp', procedureCode: procedure, sessionNonce: 'nonce', codeHash: 'hash', expiresAt: new Date('2027-01-13T02:00:00Z') },
  });
  const outbox = await p.outboxMessage.findFirstOrThrow();
  await p.mailAttempt.create({ data: { outboxMessageId: outbox.id, outcome: 'transient', smtpCode: 451, error: '@mention のような文字列' } });
  await p.jobRun.create({ data: { job: 'reminders', status: 'ok', counts: { sent: 3, list: [1, -2] }, finishedAt: new Date('2027-01-13T00:00:01Z') } });
  const alert = await p.alert.create({ data: { kind: 'job_failed', subjectKey: 'reminders', summary: '送信に失敗', detail: '' } });
  await p.incident.create({
    data: {
      kind: 'counter',
      counterId,
      title: AWKWARD.formula,
      description: AWKWARD.lines,
      startedAt: new Date('2027-01-13T00:30:00Z'),
      recordedBy: 'staff:1',
      alerts: { create: { alertId: alert.id, linkedBy: 'staff:1' } },
    },
  });
  const profile = await p.importProfile.findFirstOrThrow();
  const batch = await p.importBatch.create({
    data: {
      storageKey: 'key-1',
      fileName: 'J-LIS 2027-01.csv',
      sha256: 'ab'.repeat(32),
      sizeBytes: 1234n,
      profileId: profile.id,
      uploadedBy: 'staff:1',
      failureParams: { line: 3 },
    },
  });
  await p.importRow.create({
    data: { batchId: batch.id, line: 2, noticeId: '1234567890123456', birthKey: 'k', name: '山田 花子', error: 'cards.import.badDate', errorParams: { value: '=1+1' } },
  });
  await p.cardStatusChange.create({ data: { cardHolderId: holder.id, fromStatus: null, toStatus: 'notice_sent', reason: AWKWARD.minus, actor: 'system:test' } });
  await p.statusNotice.create({
    data: { kind: 'maintenance', title: '計画停止のお知らせ', body: AWKWARD.lines, startsAt: new Date('2027-01-20T12:00:00Z'), createdBy: 'staff:1' },
  });
  await p.inquiry.create({
    data: {
      receivedAt: new Date('2027-01-13T00:30:00.5Z'),
      channel: 'phone',
      categoryCode: 'complaint',
      body: AWKWARD.lines,
      cardHolderId: holder.id,
      counterId,
      handledBy: 'staff:1',
      status: 'escalated',
      escalatedTo: AWKWARD.formula,
      escalatedBy: 'staff:1',
      escalatedAt: new Date('2027-01-13T00:31:00Z'),
    },
  });
  await p.faqEntry.create({ data: { category: '予約について', question: AWKWARD.marked, answer: AWKWARD.lines, published: true, updatedBy: 'staff:1' } });
  await p.session.create({ data: { sid: 'sid-1', sess: { cookie: { maxAge: 1 } }, expire: new Date('2027-01-14T00:00:00Z') } });
  await p.ticketSequence.upsert({
    where: { counterId_date_kind: { counterId, date: dateColumn(today), kind: 'booked' } },
    update: {},
    create: { counterId, date: dateColumn(today), kind: 'booked', issued: 1 },
  });
}

/** Every table's rows as PostgreSQL's text of each row, in primary-key order, and where each sequence stands. */
export async function snapshot(db: Database): Promise<{ tables: Record<string, string[]>; sequences: unknown }> {
  const tables: Record<string, string[]> = {};
  for (const table of await readCatalog(db)) {
    const order = table.primaryKey.length > 0 ? table.primaryKey.map(quoteName).join(', ') : '1';
    const rows = await db.query<{ row: string }>(`SELECT (t.*)::text AS row FROM ${quoteName(table.name)} t ORDER BY ${order}`);
    tables[table.name] = rows.map((row) => row.row);
  }
  return { tables, sequences: await readSequences(db) };
}
