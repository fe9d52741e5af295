// The city's whole timetable as one YAML file (docs/schedule-format.md): parsed with line
// positions, checked with the same rules as the staff screens, applied in one transaction.
import { LineCounter, parseDocument, stringify, type Document } from 'yaml';
import { z } from 'zod';
import type { DbTx } from '../../db/client.js';
import type { Tx } from '../../db/transaction.js';
import type { Prisma } from '../../generated/prisma/client.js';
import { addDays, dateColumn, isoDateOfColumn, timeText, type IsoDate } from '../../lib/jst.js';
import { translator } from '../../lib/i18n.js';
import { recordAudit } from '../staff/audit.js';
import {
  closureForm,
  counterForm,
  counterPolicyForm,
  overrideForm,
  procedureForm,
  ruleForm,
  type ClosureFields,
  type CounterFields,
  type OverrideFields,
  type PolicyFields,
  type ProcedureFields,
  type RuleFields,
} from './forms.js';
import { storePolicy } from './policy.js';
import { procedureColumns } from './procedure-admin.js';
import { offerProcedures, PICKUP } from './procedures.js';
import { horizonEnd, regenerateSlots, type RegenerationResult } from './slot-generation.js';
import { closureParams, overlapParams, overlappingRules, periodColumns, ruleColumns } from './timetable.js';

export const WEEKDAY_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

const scalar = z.union([z.string(), z.number()]);
const weekday = z.enum(WEEKDAY_NAMES, { error: 'schedule.file.weekday' });
const hours = z.string().regex(/^\s*\d{1,2}:\d{2}\s*-\s*\d{1,2}:\d{2}\s*$/, 'schedule.file.hours');
const period = {
  label: z.string().optional(),
  hours,
  break: hours.optional(),
  slotMinutes: scalar,
  capacity: scalar.optional(),
  peoplePerWindow: scalar.optional(),
  reserved: scalar.optional(),
};
const ruleEntry = z.strictObject({
  ...period,
  label: z.string(),
  days: z.array(weekday).min(1, 'schedule.error.days'),
  validFrom: z.string(),
  validTo: z.string().optional(),
  openOnHolidays: z.boolean().optional(),
});
const closureEntry = z.strictObject({
  label: z.string(),
  date: z.string().optional(),
  from: z.string().optional(),
  to: z.string().optional(),
  yearly: z.strictObject({ from: z.string(), to: z.string() }).optional(),
  nthWeekday: z.strictObject({ nth: z.number(), weekday, offsetDays: z.number().optional() }).optional(),
});
const overrideEntry = z.strictObject({
  ...period,
  hours: hours.optional(),
  slotMinutes: scalar.optional(),
  date: z.string().optional(),
  dates: z.array(z.string()).optional(),
  closed: z.boolean().optional(),
});
const policyEntry = z.strictObject({
  opensDaysAhead: z.number().optional(),
  closesDaysBefore: z.number().optional(),
  closesAt: z.string().optional(),
  sameDayAllowed: z.boolean().optional(),
  sameDayUntilMinutes: z.number().optional(),
  maxPeoplePerBooking: z.number().optional(),
});
const counterEntry = z.strictObject({
  code: z.string(),
  name: z.string(),
  address: z.string().optional(),
  accessNotes: z.string().optional(),
  windows: z.number().optional(),
  purposes: z.array(z.string()).optional(),
  procedures: z.array(z.string()).optional(),
  policy: policyEntry.optional(),
  rules: z.array(ruleEntry).default([]),
  closures: z.array(closureEntry).default([]),
  overrides: z.array(overrideEntry).default([]),
});
const procedureEntry = z.strictObject({
  code: z.string(),
  name: z.string(),
  minutes: scalar.optional(),
  needsNoticeId: z.boolean().optional(),
  storedCard: z.boolean().optional(),
  opensDaysAhead: scalar.optional(),
  sameDayAllowed: z.boolean().optional(),
  documents: z.array(z.string()).optional(),
  perSlotLimit: scalar.optional(),
  perDayLimit: scalar.optional(),
});
const fileSchema = z.strictObject({
  policy: policyEntry.optional(),
  procedures: z.array(procedureEntry).default([]),
  closures: z.array(closureEntry).default([]),
  counters: z.array(counterEntry).min(1, 'schedule.file.noCounters'),
});

type FileShape = z.infer<typeof fileSchema>;
type Path = (string | number)[];

export interface SetupError {
  line: number;
  column: number;
  message: string;
}

export interface CounterSetup {
  fields: CounterFields;
  policy?: PolicyFields;
  rules: RuleFields[];
  closures: ClosureFields[];
  overrides: OverrideFields[];
}

export interface CitySetup {
  policy?: PolicyFields;
  /** In display order; procedures missing from the file are left as they are. */
  procedures: ProcedureFields[];
  closures: ClosureFields[];
  counters: CounterSetup[];
}

export type ParsedSetup = { ok: true; setup: CitySetup } | { ok: false; errors: SetupError[] };

const split = (range: string) => range.split('-').map((part) => part.trim());

/** File keys that the form fields came from, so an error points at the line the city wrote. */
const FILE_KEY: Record<string, string> = {
  start: 'hours',
  end: 'hours',
  breakStart: 'break',
  breakEnd: 'break',
  capacityPerSlot: 'capacity',
  reservedCapacity: 'reserved',
  capacityMode: 'capacity',
  days: 'days',
  fromDay: 'yearly',
  toDay: 'yearly',
  nth: 'nthWeekday',
  weekday: 'nthWeekday',
  offsetDays: 'nthWeekday',
  dateFrom: 'date',
  dateTo: 'date',
  kind: 'label',
  needsStoredCard: 'storedCard',
};

function periodForm(entry: {
  label?: string;
  hours?: string;
  break?: string;
  slotMinutes?: string | number;
  capacity?: string | number;
  peoplePerWindow?: string | number;
  reserved?: string | number;
}) {
  const [start, end] = entry.hours ? split(entry.hours) : [undefined, undefined];
  const [breakStart, breakEnd] = entry.break ? split(entry.break) : ['', ''];
  return {
    label: entry.label ?? '',
    start,
    end,
    breakStart,
    breakEnd,
    slotMinutes: entry.slotMinutes,
    capacityMode: entry.peoplePerWindow !== undefined ? 'window' : 'slot',
    capacityPerSlot: entry.capacity ?? '',
    peoplePerWindow: entry.peoplePerWindow ?? '',
    reservedCapacity: entry.reserved ?? 0,
  };
}

function closureInput(entry: z.infer<typeof closureEntry>) {
  if (entry.yearly) return { kind: 'yearly_range', label: entry.label, fromDay: entry.yearly.from, toDay: entry.yearly.to };
  if (entry.nthWeekday)
    return {
      kind: 'nth_weekday',
      label: entry.label,
      nth: entry.nthWeekday.nth,
      weekday: WEEKDAY_NAMES.indexOf(entry.nthWeekday.weekday),
      offsetDays: entry.nthWeekday.offsetDays ?? 0,
    };
  if (entry.from || entry.to) return { kind: 'date_range', label: entry.label, from: entry.from, to: entry.to };
  return { kind: entry.date ? 'single_date' : undefined, label: entry.label, date: entry.date };
}

/** The procedure form's input from a file entry (the defaults are those of a new procedure). */
function procedureInput(entry: z.infer<typeof procedureEntry>) {
  return {
    ...entry,
    minutes: entry.minutes ?? 15,
    needsNoticeId: entry.needsNoticeId ?? true,
    needsStoredCard: entry.storedCard ?? false,
    sameDayAllowed: entry.sameDayAllowed === undefined ? undefined : entry.sameDayAllowed ? 'yes' : 'no',
    documents: entry.documents ?? [],
  };
}

function policyInput(entry: z.infer<typeof policyEntry>) {
  return { ...entry, closesAt: entry.closesAt ?? '', sameDayAllowed: entry.sameDayAllowed === undefined ? undefined : entry.sameDayAllowed ? 'yes' : 'no' };
}

class Collector {
  readonly errors: SetupError[] = [];
  private readonly t = translator();
  constructor(
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  add(path: Path, messageKey: string, params: Record<string, string | number> = {}): void {
    let node: unknown;
    for (let length = path.length; length >= 0 && !node; length -= 1) node = this.doc.getIn(path.slice(0, length), true);
    const offset = (node as { range?: [number] } | undefined)?.range?.[0] ?? 0;
    const { line, col } = this.lines.linePos(offset);
    const where = path
      .map((part) => (typeof part === 'number' ? `[${part + 1}]` : `.${part}`))
      .join('')
      .replace(/^\./, '');
    this.errors.push({ line, column: col, message: `${this.t(messageKey, params)}${where ? `(${where})` : ''}` });
  }

  /** Validates with a form schema; errors name the file key the field came from. */
  check<S extends z.ZodType>(schema: S, input: unknown, path: Path): z.infer<S> | undefined {
    const result = schema.safeParse(input);
    if (result.success) return result.data;
    for (const issue of result.error.issues) {
      const field = String(issue.path[0] ?? '');
      this.add(field ? [...path, FILE_KEY[field] ?? field] : path, issue.message.includes('.') ? issue.message : 'validation.invalid');
    }
    return undefined;
  }
}

/** The message for a problem with the file's shape, and the key it is about (to point at its line). */
function structuralMessage(issue: z.core.$ZodIssue): { key: string; params: Record<string, string>; at?: string } {
  if (issue.code === 'unrecognized_keys') return { key: 'schedule.file.unknownKey', params: { keys: issue.keys.join(', ') }, at: issue.keys[0] };
  if (issue.message.includes('.')) return { key: issue.message, params: {} };
  if (issue.code === 'invalid_type' && /undefined/.test(issue.message)) return { key: 'schedule.file.required', params: {} };
  return { key: 'schedule.file.type', params: {} };
}

function convertCounter(c: Collector, entry: FileShape['counters'][number], path: Path, procedureCodes: Set<string>): CounterSetup | undefined {
  const errorsBefore = c.errors.length;
  for (const [index, code] of (entry.procedures ?? []).entries()) {
    if (!procedureCodes.has(code)) c.add([...path, 'procedures', index], 'schedule.file.unknownProcedure', { code });
  }
  // Windows matter only to capacity per window: a counter with fixed capacities may leave them out.
  const perWindow = [...entry.rules, ...entry.overrides].some((period) => period.peoplePerWindow !== undefined);
  if (entry.windows === undefined && perWindow) c.add(path, 'schedule.file.windowsNeeded');
  const fields = c.check(counterForm, { ...entry, windows: entry.windows ?? 1, purposes: entry.purposes ?? [], procedures: entry.procedures ?? [PICKUP] }, path);
  const policy = entry.policy ? c.check(counterPolicyForm, policyInput(entry.policy), [...path, 'policy']) : undefined;
  const rules = entry.rules.map((rule, index) =>
    c.check(
      ruleForm,
      {
        ...periodForm(rule),
        days: rule.days.map((day) => WEEKDAY_NAMES.indexOf(day)),
        validFrom: rule.validFrom,
        validTo: rule.validTo ?? '',
        openOnHolidays: rule.openOnHolidays ?? false,
      },
      [...path, 'rules', index],
    ),
  );
  const closures = entry.closures.map((closure, index) => c.check(closureForm, { ...closureInput(closure), counterId: '' }, [...path, 'closures', index]));
  const overrides = entry.overrides.flatMap((override, index) => {
    const dates = override.dates ?? (override.date ? [override.date] : []);
    if (dates.length === 0) c.add([...path, 'overrides', index], 'schedule.file.overrideDate');
    const base = override.closed ? { kind: 'closed', label: override.label ?? '' } : { ...periodForm(override), kind: 'open' };
    return dates.map((date) => c.check(overrideForm, { ...base, dateFrom: date, dateTo: '' }, [...path, 'overrides', index]));
  });
  if (!fields || c.errors.length > errorsBefore) return undefined;
  for (const { index, other } of overlappingRules(rules as RuleFields[])) {
    c.add([...path, 'rules', index, 'hours'], 'schedule.error.ruleOverlap', overlapParams(other));
  }
  if (c.errors.length > errorsBefore) return undefined;
  return { fields, policy, rules: rules as RuleFields[], closures: closures as ClosureFields[], overrides: overrides as OverrideFields[] };
}

const SYNTAX_REASONS = new Set([
  'BAD_INDENT',
  'TAB_AS_INDENT',
  'MISSING_CHAR',
  'DUPLICATE_KEY',
  'UNEXPECTED_TOKEN',
  'BLOCK_AS_IMPLICIT_KEY',
  'MULTILINE_IMPLICIT_KEY',
  'BAD_SCALAR_START',
]);

/** A YAML syntax error in Japanese (the CLI prints it after FILE:LINE:COLUMN). */
function syntaxMessage(t: ReturnType<typeof translator>, code: string): string {
  return t('schedule.file.syntaxAt', { reason: t(`schedule.file.syntaxReason.${SYNTAX_REASONS.has(code) ? code : 'other'}`) });
}

/** Parses and validates a setup file; every problem is reported with its line, nothing is applied. */
export function parseSetupFile(text: string): ParsedSetup {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true, uniqueKeys: true });
  const t = translator();
  if (doc.errors.length > 0) {
    return { ok: false, errors: doc.errors.map((error) => ({ line: error.linePos?.[0].line ?? 1, column: error.linePos?.[0].col ?? 1, message: syntaxMessage(t, error.code) })) };
  }
  const c = new Collector(doc, lines);
  const shape = fileSchema.safeParse(doc.toJS());
  if (!shape.success) {
    for (const issue of shape.error.issues) {
      const { key, params, at } = structuralMessage(issue);
      c.add(at ? [...(issue.path as Path), at] : (issue.path as Path), key, params);
    }
    return { ok: false, errors: c.errors };
  }
  const policy = shape.data.policy ? c.check(counterPolicyForm, policyInput(shape.data.policy), ['policy']) : undefined;
  const closures = shape.data.closures.map((closure, index) => c.check(closureForm, { ...closureInput(closure), counterId: '' }, ['closures', index]));
  const procedureCodes = new Set([PICKUP]);
  const procedures = shape.data.procedures.map((entry, index) => {
    if (procedureCodes.has(entry.code) && entry.code !== PICKUP) c.add(['procedures', index, 'code'], 'schedule.file.duplicateCode', { code: entry.code });
    procedureCodes.add(entry.code);
    return c.check(procedureForm, procedureInput(entry), ['procedures', index]);
  });
  const seen = new Set<string>();
  const counters = shape.data.counters.map((entry, index) => {
    if (seen.has(entry.code)) c.add(['counters', index, 'code'], 'schedule.file.duplicateCode', { code: entry.code });
    seen.add(entry.code);
    return convertCounter(c, entry, ['counters', index], procedureCodes);
  });
  if (c.errors.length > 0) return { ok: false, errors: c.errors.sort((a, b) => a.line - b.line) };
  return { ok: true, setup: { policy, procedures: procedures as ProcedureFields[], closures: closures as ClosureFields[], counters: counters as CounterSetup[] } };
}

export interface LoadResult {
  counters: number;
  untouched: string[];
  regeneration: RegenerationResult;
}

/** The file's procedures, created or replaced by code, active, in the file's order. */
async function replaceProcedures(db: DbTx, procedures: ProcedureFields[]): Promise<void> {
  for (const [displayOrder, fields] of procedures.entries()) {
    const data = { ...procedureColumns(fields), code: fields.code, displayOrder, retiredAt: null };
    await db.procedure.upsert({ where: { code: fields.code }, create: data, update: data });
  }
}

/** What the counter offers: the file's list, and the retired procedures it offered (the file cannot name them). */
async function offerFileProcedures(tx: Tx, counterId: number, codes: string[]): Promise<void> {
  const retired = await tx.db.counterProcedure.findMany({ where: { counterId, procedureCode: { notIn: codes }, procedure: { retiredAt: { not: null } } } });
  await offerProcedures(tx, counterId, [...codes, ...retired.map((row) => row.procedureCode)]);
}

async function replaceCounter(tx: Tx, setup: CounterSetup, displayOrder: number): Promise<number> {
  const { db } = tx;
  const { procedures, ...fields } = setup.fields;
  const data = { ...fields, displayOrder, retiredAt: null };
  const counter = await db.counter.upsert({ where: { code: fields.code }, create: data, update: data });
  await offerFileProcedures(tx, counter.id, procedures);
  await db.openingRule.deleteMany({ where: { counterId: counter.id } });
  await db.closure.deleteMany({ where: { counterId: counter.id } });
  await db.dateOverride.deleteMany({ where: { counterId: counter.id } });
  await db.openingRule.createMany({ data: setup.rules.map((rule) => ({ ...ruleColumns(rule, counter.windows), counterId: counter.id })) });
  await createClosures(db, setup.closures, counter.id);
  await db.dateOverride.createMany({
    data: setup.overrides.map((override) => ({
      ...(override.period ? periodColumns(override.period, counter.windows) : { label: override.label }),
      counterId: counter.id,
      kind: override.kind,
      date: dateColumn(override.dateFrom),
    })),
  });
  if (setup.policy) await storePolicy(db, counter.id, setup.policy);
  else await db.bookingPolicy.deleteMany({ where: { counterId: counter.id } });
  return counter.id;
}

async function createClosures(tx: DbTx, closures: ClosureFields[], counterId: number | null): Promise<void> {
  await tx.closure.createMany({
    data: closures.map((closure) => {
      const { kind, ...params } = closureParams(closure);
      return { kind, label: closure.label, counterId, params: params as Prisma.InputJsonObject };
    }),
  });
}

/** A city's whole set-up file with its slot regeneration may take this long. */
export const SETUP_TIMEOUT_MS = 10 * 60_000;

/**
 * Applies a validated setup in the caller's transaction (allow it SETUP_TIMEOUT_MS): the file's counters are created or replaced
 * (rules, closures, overrides, policy), all-counter closures replaced, then slots regenerated.
 * Counters missing from the file are left as they are and listed.
 */
export async function loadSetup(tx: Tx, setup: CitySetup, today: IsoDate): Promise<LoadResult> {
  const { db } = tx;
  if (setup.policy) await storePolicy(db, null, setup.policy);
  await replaceProcedures(db, setup.procedures);
  await db.closure.deleteMany({ where: { counterId: null } });
  await createClosures(db, setup.closures, null);
  for (const [index, counter] of setup.counters.entries()) await replaceCounter(tx, counter, index + 1);
  const codes = setup.counters.map((counter) => counter.fields.code);
  const untouched = await db.counter.findMany({ where: { code: { notIn: codes }, retiredAt: null }, select: { code: true } });
  const regeneration = await regenerateSlots(tx, today, await horizonEnd(db, today));
  await recordAudit(tx, { action: 'schedule.setup.load', detail: { counters: codes, procedures: setup.procedures.map((procedure) => procedure.code), regeneration } });
  return { counters: codes.length, untouched: untouched.map((counter) => counter.code), regeneration };
}

// ---- export ----

const hoursText = (start: number | null, end: number | null) => `${timeText(start)}-${timeText(end)}`;

function periodEntry(row: {
  label: string;
  startMinute: number | null;
  endMinute: number | null;
  breakStartMinute: number | null;
  breakEndMinute: number | null;
  slotMinutes: number | null;
  capacityPerSlot: number | null;
  peoplePerWindow: number | null;
  reservedCapacity: number;
}) {
  return {
    label: row.label || undefined,
    hours: hoursText(row.startMinute, row.endMinute),
    break: row.breakStartMinute === null ? undefined : hoursText(row.breakStartMinute, row.breakEndMinute),
    slotMinutes: row.slotMinutes,
    ...(row.peoplePerWindow === null ? { capacity: row.capacityPerSlot } : { peoplePerWindow: row.peoplePerWindow }),
    reserved: row.reservedCapacity || undefined,
  };
}

function closureEntryOf(closure: { kind: string; label: string; params: unknown }) {
  const params = closure.params as Record<string, string | number>;
  switch (closure.kind) {
    case 'single_date':
      return { label: closure.label, date: params.date };
    case 'date_range':
      return { label: closure.label, from: params.from, to: params.to };
    case 'yearly_range':
      return { label: closure.label, yearly: { from: params.from, to: params.to } };
    default:
      return { label: closure.label, nthWeekday: { nth: params.nth, weekday: WEEKDAY_NAMES[Number(params.weekday)], offsetDays: params.offsetDays || undefined } };
  }
}

function procedureEntryOf(row: {
  code: string;
  name: string;
  minutes: number;
  needsNoticeId: boolean;
  needsStoredCard: boolean;
  opensDaysAhead: number | null;
  sameDayAllowed: boolean | null;
  documents: string[];
  perSlotLimit: number | null;
  perDayLimit: number | null;
}) {
  return {
    code: row.code,
    name: row.name,
    minutes: row.minutes,
    needsNoticeId: row.needsNoticeId,
    storedCard: row.needsStoredCard,
    opensDaysAhead: row.opensDaysAhead ?? undefined,
    sameDayAllowed: row.sameDayAllowed ?? undefined,
    documents: row.documents.length ? row.documents : undefined,
    perSlotLimit: row.perSlotLimit ?? undefined,
    perDayLimit: row.perDayLimit ?? undefined,
  };
}

function policyEntryOf(
  row:
    | {
        opensDaysAhead: number | null;
        closesDaysBefore: number | null;
        closesAtMinute: number | null;
        sameDayAllowed: boolean | null;
        sameDayUntilMinutes: number | null;
        maxPeoplePerBooking: number | null;
      }
    | undefined,
) {
  if (!row) return undefined;
  const entry = {
    opensDaysAhead: row.opensDaysAhead ?? undefined,
    closesDaysBefore: row.closesDaysBefore ?? undefined,
    closesAt: row.closesAtMinute === null ? undefined : timeText(row.closesAtMinute),
    sameDayAllowed: row.sameDayAllowed ?? undefined,
    sameDayUntilMinutes: row.sameDayUntilMinutes ?? undefined,
    maxPeoplePerBooking: row.maxPeoplePerBooking ?? undefined,
  };
  return Object.values(entry).some((value) => value !== undefined) ? entry : undefined;
}

/** The active counters and their timetables in the setup-file format (round-trips through load). */
export async function exportSetup(db: DbTx, today: IsoDate): Promise<string> {
  const [policies, procedures, globalClosures, counters] = await Promise.all([
    db.bookingPolicy.findMany(),
    db.procedure.findMany({ where: { retiredAt: null }, orderBy: [{ displayOrder: 'asc' }, { id: 'asc' }] }),
    db.closure.findMany({ where: { counterId: null }, orderBy: { id: 'asc' } }),
    db.counter.findMany({
      where: { retiredAt: null },
      orderBy: [{ displayOrder: 'asc' }, { id: 'asc' }],
      include: {
        openingRules: { orderBy: { id: 'asc' } },
        closures: { orderBy: { id: 'asc' } },
        procedures: { where: { procedure: { retiredAt: null } }, orderBy: [{ procedure: { displayOrder: 'asc' } }, { procedureCode: 'asc' }] },
        dateOverrides: { where: { date: { gte: dateColumn(addDays(today, -1)) } }, orderBy: [{ date: 'asc' }, { id: 'asc' }] },
      },
    }),
  ]);
  const file = {
    policy: policyEntryOf(policies.find((row) => row.counterId === null)),
    procedures: procedures.map(procedureEntryOf),
    closures: globalClosures.map(closureEntryOf),
    counters: counters.map((counter) => ({
      code: counter.code,
      name: counter.name,
      address: counter.address || undefined,
      accessNotes: counter.accessNotes || undefined,
      windows: counter.windows,
      purposes: counter.purposes.length ? counter.purposes : undefined,
      procedures: counter.procedures.length ? counter.procedures.map((offer) => offer.procedureCode) : undefined,
      policy: policyEntryOf(policies.find((row) => row.counterId === counter.id)),
      rules: counter.openingRules.map((rule) => ({
        ...periodEntry(rule),
        label: rule.label,
        days: rule.daysOfWeek.map((day) => WEEKDAY_NAMES[day]),
        validFrom: isoDateOfColumn(rule.validFrom),
        validTo: rule.validTo ? isoDateOfColumn(rule.validTo) : undefined,
        openOnHolidays: rule.openOnHolidays || undefined,
      })),
      closures: counter.closures.length ? counter.closures.map(closureEntryOf) : undefined,
      overrides: counter.dateOverrides.length
        ? counter.dateOverrides.map((override) =>
            override.kind === 'closed'
              ? { date: isoDateOfColumn(override.date), closed: true, label: override.label || undefined }
              : { date: isoDateOfColumn(override.date), ...periodEntry(override) },
          )
        : undefined,
    })),
  };
  return `# マイナンバーカード交付予約: 交付場所・開庁時間の設定 (docs/schedule-format.md)\n${stringify(file, { lineWidth: 0 })}`;
}
