// Opening rules, closures and date overrides: the admin edits that shape a counter's timetable.
import type { DbTx } from '../../db/client.js';
import type { Tx } from '../../db/transaction.js';
import type { Prisma } from '../../generated/prisma/client.js';
import { addDays, dateColumn, formatMinutes, isoDateOfColumn, type IsoDate } from '../../lib/jst.js';
import { AppError } from '../../lib/app-error.js';
import { capacityOf, closureApplies, planRange, monthRange, slotsOfPeriod, type ClosureParams, type DayPlan, type RuleInput } from './calendar.js';
import { applyChange } from './change.js';
import { findCounter } from './counters.js';
import type { ClosureFields, OverrideFields, RuleFields } from './forms.js';
import { nationalHoliday } from './holidays.js';
import { loadTimetables } from './slot-generation.js';

type PeriodFields = Pick<
  RuleFields,
  'label' | 'start' | 'end' | 'breakStart' | 'breakEnd' | 'slotMinutes' | 'capacityMode' | 'capacityPerSlot' | 'peoplePerWindow' | 'reservedCapacity'
>;

/** Form fields -> the columns shared by opening_rules and date_overrides. */
export function periodColumns(fields: PeriodFields, windows: number) {
  const peoplePerWindow = fields.capacityMode === 'window' ? (fields.peoplePerWindow ?? 0) : null;
  const capacityPerSlot = capacityOf({ peoplePerWindow, capacityPerSlot: fields.capacityPerSlot ?? 0 }, windows);
  return {
    label: fields.label,
    startMinute: fields.start,
    endMinute: fields.end,
    breakStartMinute: fields.breakStart ?? null,
    breakEndMinute: fields.breakEnd ?? null,
    slotMinutes: fields.slotMinutes,
    capacityPerSlot,
    peoplePerWindow,
    reservedCapacity: Math.min(fields.reservedCapacity, capacityPerSlot),
  };
}

export function ruleColumns(fields: RuleFields, windows: number) {
  return {
    ...periodColumns(fields, windows),
    daysOfWeek: [...new Set(fields.days)].sort(),
    validFrom: dateColumn(fields.validFrom),
    validTo: fields.validTo ? dateColumn(fields.validTo) : null,
    openOnHolidays: fields.openOnHolidays,
  };
}

/** What decides whether two rules give slots at the same time. */
type RuleSpan = Pick<RuleInput, 'label' | 'daysOfWeek' | 'validFrom' | 'validTo' | 'startMinute' | 'endMinute' | 'breakStartMinute' | 'breakEndMinute' | 'slotMinutes'>;

function spanOfFields(fields: RuleFields): RuleSpan {
  const columns = ruleColumns(fields, 1);
  return { ...columns, validFrom: fields.validFrom, validTo: fields.validTo ?? null };
}

function spanOfRow(rule: Omit<RuleSpan, 'validFrom' | 'validTo'> & { validFrom: Date; validTo: Date | null }): RuleSpan {
  return { ...rule, validFrom: isoDateOfColumn(rule.validFrom), validTo: rule.validTo ? isoDateOfColumn(rule.validTo) : null };
}

/**
 * Two rules overlap when on some weekday both are valid and one of their slots overlaps one of
 * the other's (a break counts as closed). Such rules would double the places at that time.
 */
function rulesOverlap(a: RuleSpan, b: RuleSpan): boolean {
  if (!a.daysOfWeek.some((day) => b.daysOfWeek.includes(day))) return false;
  if (a.validFrom > (b.validTo ?? '9999-12-31') || b.validFrom > (a.validTo ?? '9999-12-31')) return false;
  const slotsOf = (rule: RuleSpan) => slotsOfPeriod({ ...rule, capacityPerSlot: 0, reservedCapacity: 0 }, 1);
  const others = slotsOf(b);
  return slotsOf(a).some((slot) => others.some((other) => slot.startMinute < other.endMinute && other.startMinute < slot.endMinute));
}

/** Each rule that overlaps an earlier one in the list, with the earlier one. */
export function overlappingRules(rules: RuleFields[]): { index: number; other: RuleSpan }[] {
  const spans = rules.map(spanOfFields);
  return spans.flatMap((span, index) => {
    const other = spans.slice(0, index).find((earlier) => rulesOverlap(span, earlier));
    return other ? [{ index, other }] : [];
  });
}

const WEEKDAYS_JA = ['日', '月', '火', '水', '木', '金', '土'];

/** The other rule as the overlap message names it: label, weekdays, hours and validity. */
export function overlapParams(rule: RuleSpan): Record<string, string> {
  return {
    label: rule.label,
    days: rule.daysOfWeek.map((day) => WEEKDAYS_JA[day]).join('・'),
    hours: `${formatMinutes(rule.startMinute)}〜${formatMinutes(rule.endMinute)}`,
    valid: `${rule.validFrom}〜${rule.validTo ?? ''}`,
  };
}

/**
 * Refuses a rule that overlaps another rule of the counter. It runs inside applyChange, which
 * serialises timetable changes (lockTimetables), so two admins saving overlapping rules at the
 * same moment cannot both pass.
 */
async function checkNoOverlap(tx: DbTx, counterId: number, ruleId: number | undefined, fields: RuleFields): Promise<void> {
  const others = await tx.openingRule.findMany({ where: { counterId, ...(ruleId === undefined ? {} : { id: { not: ruleId } }) }, orderBy: { id: 'asc' } });
  const candidate = spanOfFields(fields);
  const other = others.map(spanOfRow).find((rule) => rulesOverlap(candidate, rule));
  if (other) throw new AppError(409, 'rule_overlap', 'schedule.error.ruleOverlap', overlapParams(other));
}

async function findRule(tx: DbTx, counterId: number, ruleId: number) {
  const rule = await tx.openingRule.findFirst({ where: { id: ruleId, counterId } });
  if (!rule) throw new AppError(404, 'rule_not_found', 'schedule.rule.notFound');
  return rule;
}

export async function saveRule(tx: Tx, today: IsoDate, counterId: number, ruleId: number | undefined, fields: RuleFields) {
  return applyChange(tx, today, async (db) => {
    const counter = await findCounter(db, counterId);
    await checkNoOverlap(db, counterId, ruleId, fields);
    const data = ruleColumns(fields, counter.windows);
    const rule =
      ruleId === undefined
        ? await db.openingRule.create({ data: { ...data, counterId } })
        : (await findRule(db, counterId, ruleId), await db.openingRule.update({ where: { id: ruleId }, data }));
    const action = ruleId === undefined ? 'schedule.rule.create' : 'schedule.rule.update';
    return { value: rule, audit: { action, targetType: 'opening_rule', targetId: rule.id, detail: { counterId, ...fields } }, regenerate: [counterId] };
  });
}

export async function deleteRule(tx: Tx, today: IsoDate, counterId: number, ruleId: number) {
  return applyChange(tx, today, async (db) => {
    const rule = await findRule(db, counterId, ruleId);
    await db.openingRule.delete({ where: { id: ruleId } });
    return {
      value: undefined,
      audit: { action: 'schedule.rule.delete', targetType: 'opening_rule', targetId: ruleId, detail: { counterId, label: rule.label } },
      regenerate: [counterId],
    };
  });
}

export function closureParams(fields: ClosureFields): ClosureParams {
  switch (fields.kind) {
    case 'single_date':
      return { kind: fields.kind, date: fields.date };
    case 'date_range':
      return { kind: fields.kind, from: fields.from, to: fields.to };
    case 'yearly_range':
      return { kind: fields.kind, from: fields.fromDay, to: fields.toDay };
    case 'nth_weekday':
      return { kind: fields.kind, nth: fields.nth, weekday: fields.weekday, offsetDays: fields.offsetDays };
  }
}

export async function listClosures(db: DbTx) {
  return db.closure.findMany({ include: { counter: true }, orderBy: [{ counterId: { sort: 'asc', nulls: 'first' } }, { id: 'asc' }] });
}

export async function createClosure(tx: Tx, today: IsoDate, fields: ClosureFields) {
  return applyChange(tx, today, async (db) => {
    const counterId = fields.counterId === '' ? null : Number(fields.counterId);
    if (counterId !== null) await findCounter(db, counterId);
    const { kind, ...params } = closureParams(fields);
    const closure = await db.closure.create({ data: { kind, label: fields.label, counterId, params: params as Prisma.InputJsonObject } });
    return {
      value: closure,
      audit: { action: 'schedule.closure.create', targetType: 'closure', targetId: closure.id, detail: { counterId, kind, label: fields.label, params } },
      regenerate: counterId === null ? 'all' : [counterId],
    };
  });
}

export async function deleteClosure(tx: Tx, today: IsoDate, closureId: number) {
  return applyChange(tx, today, async (db) => {
    const closure = await db.closure.findUnique({ where: { id: closureId } });
    if (!closure) throw new AppError(404, 'closure_not_found', 'schedule.closure.notFound');
    await db.closure.delete({ where: { id: closureId } });
    const detail = { counterId: closure.counterId, kind: closure.kind, label: closure.label, params: closure.params };
    return {
      value: undefined,
      audit: { action: 'schedule.closure.delete', targetType: 'closure', targetId: closureId, detail },
      regenerate: closure.counterId === null ? 'all' : [closure.counterId],
    };
  });
}

export async function createOverrides(tx: Tx, today: IsoDate, counterId: number, fields: OverrideFields) {
  return applyChange(tx, today, async (db) => {
    const counter = await findCounter(db, counterId);
    const columns = fields.period ? periodColumns(fields.period, counter.windows) : { label: fields.label };
    const dates: IsoDate[] = [];
    for (let date = fields.dateFrom; date <= fields.dateTo; date = addDays(date, 1)) dates.push(date);
    await db.dateOverride.createMany({ data: dates.map((date) => ({ ...columns, counterId, kind: fields.kind, date: dateColumn(date) })) });
    return { value: dates.length, audit: { action: 'schedule.override.create', targetType: 'counter', targetId: counterId, detail: { ...fields } }, regenerate: [counterId] };
  });
}

export async function deleteOverride(tx: Tx, today: IsoDate, counterId: number, overrideId: number) {
  return applyChange(tx, today, async (db) => {
    const override = await db.dateOverride.findFirst({ where: { id: overrideId, counterId } });
    if (!override) throw new AppError(404, 'override_not_found', 'schedule.override.notFound');
    await db.dateOverride.delete({ where: { id: overrideId } });
    const detail = { counterId, date: isoDateOfColumn(override.date), kind: override.kind, label: override.label };
    return { value: undefined, audit: { action: 'schedule.override.delete', targetType: 'date_override', targetId: overrideId, detail }, regenerate: [counterId] };
  });
}

export async function counterTimetablePage(db: DbTx, counterId: number, today: IsoDate) {
  const counter = await findCounter(db, counterId);
  const [rules, overrides] = await Promise.all([
    db.openingRule.findMany({ where: { counterId }, orderBy: [{ validFrom: 'asc' }, { startMinute: 'asc' }, { id: 'asc' }] }),
    db.dateOverride.findMany({ where: { counterId, date: { gte: dateColumn(addDays(today, -31)) } }, orderBy: [{ date: 'asc' }, { startMinute: 'asc' }] }),
  ]);
  return { counter, rules, overrides };
}

/**
 * The month the counter would have with the edited rule in place of its stored version (or added),
 * computed from the form without saving anything.
 */
export async function previewRule(db: DbTx, counterId: number, ruleId: number | undefined, fields: RuleFields, month: string): Promise<DayPlan[]> {
  const [timetable] = await loadTimetables(db, [counterId]);
  if (!timetable) throw new AppError(404, 'counter_not_found', 'schedule.counter.notFound');
  const columns = ruleColumns(fields, timetable.windows);
  const candidate: RuleInput & { id?: number } = { ...columns, validFrom: fields.validFrom, validTo: fields.validTo ?? null };
  const others = (timetable.rules as (RuleInput & { id?: number })[]).filter((rule) => rule.id !== ruleId);
  const { from, to } = monthRange(month);
  return planRange({ ...timetable, rules: [...others, candidate] }, from, to);
}

/** Each day of a month with the holidays and closures falling on it (for the closure calendar). */
export async function closureCalendar(db: DbTx, month: string) {
  const closures = await listClosures(db);
  const { from, to } = monthRange(month);
  const days: { date: IsoDate; notes: string[] }[] = [];
  for (let date = from; date <= to; date = addDays(date, 1)) {
    const holiday = nationalHoliday(date);
    const notes = closures
      .filter((closure) => closureApplies({ kind: closure.kind, ...(closure.params as object) } as ClosureParams, date))
      .map((closure) => (closure.counter ? `${closure.label}(${closure.counter.name})` : closure.label));
    days.push({ date, notes: holiday ? [holiday, ...notes] : notes });
  }
  return days;
}
