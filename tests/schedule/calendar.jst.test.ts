import { describe, expect, it } from 'vitest';
import { closureApplies, planDay, planRange, totalsOf, type CounterTimetable, type RuleInput } from '../../src/features/schedule/calendar.js';
import { nationalHoliday } from '../../src/features/schedule/holidays.js';

const weekdayDaytime: RuleInput = {
  label: '平日日中',
  daysOfWeek: [1, 2, 3, 4, 5],
  startMinute: 540,
  endMinute: 1020,
  slotMinutes: 30,
  capacityPerSlot: 6,
  reservedCapacity: 1,
  validFrom: '2026-01-01',
  validTo: null,
  openOnHolidays: false,
};

function timetable(overrides: Partial<CounterTimetable> = {}): CounterTimetable {
  return { counterId: 1, windows: 3, rules: [weekdayDaytime], closures: [], overrides: [], ...overrides };
}

const openDates = (days: ReturnType<typeof planRange>) => days.filter((day) => day.open).map((day) => day.date);

describe('rules across month and year boundaries', () => {
  it('When a weekday rule runs over New Year, then exactly the weekdays on either side are open', () => {
    const days = planRange(timetable(), '2026-12-28', '2027-01-05');
    // 12/28 Mon .. 1/5 Tue; 1/1 is a holiday (元日); 1/2-1/3 weekend.
    expect(openDates(days)).toEqual(['2026-12-28', '2026-12-29', '2026-12-30', '2026-12-31', '2027-01-04', '2027-01-05']);
  });

  it('When a rule ends on 3/31 and another starts on 4/1, then each day uses only the rule valid on it', () => {
    const old = { ...weekdayDaytime, validTo: '2027-03-31', capacityPerSlot: 4 };
    const next = { ...weekdayDaytime, validFrom: '2027-04-01', capacityPerSlot: 9 };
    const t = timetable({ rules: [old, next] });
    expect(planDay(t, '2027-03-31').slots[0].capacity).toBe(4);
    expect(planDay(t, '2027-04-01').slots[0].capacity).toBe(9);
  });

  it('When a month has 31 days ending on a Sunday, then the month total counts each weekday once', () => {
    // January 2027: 21 weekdays, minus 1/1 元日 and 1/11 成人の日 = 19 open days of 16 slots.
    const totals = totalsOf(planRange(timetable(), '2027-01-01', '2027-01-31'));
    expect(totals).toEqual({ openDays: 19, slots: 19 * 16, capacity: 19 * 16 * 6, webCapacity: 19 * 16 * 5 });
  });
});

describe('holidays and substitute holidays', () => {
  it('When a holiday falls on a Sunday, then the Monday after (振替休日) is closed too', () => {
    expect(nationalHoliday('2026-05-06')).toContain('振替休日'); // こどもの日 振替 (5/3 was a Sunday)
    expect(planDay(timetable(), '2026-05-06')).toMatchObject({ open: false, reason: 'holiday' });
    expect(planDay(timetable(), '2026-05-07').open).toBe(true);
  });

  it('When a rule opens on holidays (休日開庁), then it opens on 成人の日 while other rules stay closed', () => {
    const holidayOpening: RuleInput = { ...weekdayDaytime, label: '休日開庁', startMinute: 600, endMinute: 720, openOnHolidays: true };
    const day = planDay(timetable({ rules: [weekdayDaytime, holidayOpening] }), '2027-01-11');
    expect(day.open).toBe(true);
    expect(day.slots.map((slot) => slot.startMinute)).toEqual([600, 630, 660, 690]);
    expect(day.note).toBe('成人の日');
  });
});

describe('nth-weekday closures', () => {
  const maintenance = { label: 'メンテナンス', params: { kind: 'nth_weekday' as const, nth: 3, weekday: 6, offsetDays: 1 } };

  it.each([
    ['2026-11-22', true], // third Saturday 11/21 -> Sunday 11/22
    ['2026-11-15', false],
    ['2027-01-17', true], // third Saturday 1/16
    ['2027-05-16', true], // 5/1 is a Saturday: third Saturday 5/15
    ['2027-05-23', false],
  ])('When the date is %s, then "the Sunday after the third Saturday" applies: %s', (date, expected) => {
    expect(closureApplies(maintenance.params, date)).toBe(expected);
  });

  it('When the first of the month is a Sunday, then the Sunday after the third Saturday is not the third Sunday', () => {
    // March 2026: 3/1 Sunday; third Saturday 3/21 -> 3/22 (the fourth Sunday).
    expect(closureApplies(maintenance.params, '2026-03-22')).toBe(true);
    expect(closureApplies(maintenance.params, '2026-03-15')).toBe(false);
  });

  it('When a counter closes every 2nd Tuesday, then only that Tuesday of each month is closed', () => {
    const t = timetable({ closures: [{ label: '第2火曜', params: { kind: 'nth_weekday', nth: 2, weekday: 2 } }] });
    const closed = planRange(t, '2026-12-01', '2027-02-28')
      .filter((day) => day.reason === 'closure')
      .map((day) => day.date);
    expect(closed).toEqual(['2026-12-08', '2027-01-12', '2027-02-09']);
  });

  it('When the closure is the last Friday, then the last Friday of each month matches', () => {
    const params = { kind: 'nth_weekday' as const, nth: -1, weekday: 5 };
    expect(closureApplies(params, '2027-01-29')).toBe(true);
    expect(closureApplies(params, '2027-01-22')).toBe(false);
  });

  it('When a yearly range wraps over New Year, then 12/29-1/3 is closed and 12/28, 1/4 are not', () => {
    const params = { kind: 'yearly_range' as const, from: '12-29', to: '01-03' };
    expect(['2026-12-28', '2026-12-29', '2026-12-31', '2027-01-01', '2027-01-03', '2027-01-04'].map((date) => closureApplies(params, date))).toEqual([
      false,
      true,
      true,
      true,
      true,
      false,
    ]);
  });
});

describe('date overrides beat rules, closures and holidays', () => {
  const yearEnd = { label: '年末年始', params: { kind: 'yearly_range' as const, from: '12-29', to: '01-03' } };

  it('When an extra opening is set on a closed Saturday, then that day opens with the override hours only', () => {
    const t = timetable({
      overrides: [{ date: '2027-01-09', kind: 'open', label: '臨時開庁', startMinute: 540, endMinute: 720, slotMinutes: 60, capacityPerSlot: 5, reservedCapacity: 0 }],
    });
    const day = planDay(t, '2027-01-09');
    expect(day).toMatchObject({ open: true, reason: 'override_open' });
    expect(day.slots.map((slot) => [slot.startMinute, slot.capacity])).toEqual([
      [540, 5],
      [600, 5],
      [660, 5],
    ]);
  });

  it('When changed hours are set for one weekday, then they replace the rule for that day only', () => {
    const t = timetable({
      overrides: [{ date: '2027-01-13', kind: 'open', label: '短縮', startMinute: 780, endMinute: 900, slotMinutes: 30, peoplePerWindow: 2, reservedCapacity: 0 }],
    });
    expect(planDay(t, '2027-01-13').slots.map((slot) => [slot.startMinute, slot.capacity])).toEqual([
      [780, 6],
      [810, 6],
      [840, 6],
      [870, 6],
    ]);
    expect(planDay(t, '2027-01-14').slots).toHaveLength(16);
  });

  it('When an opening override falls inside a closure or on a holiday, then it still opens; a closed override closes a normal day', () => {
    const t = timetable({
      closures: [yearEnd],
      overrides: [
        { date: '2026-12-29', kind: 'open', label: '年末臨時', startMinute: 540, endMinute: 600, slotMinutes: 30, capacityPerSlot: 2, reservedCapacity: 0 },
        { date: '2027-01-11', kind: 'open', label: '祝日開庁', startMinute: 540, endMinute: 600, slotMinutes: 30, capacityPerSlot: 2, reservedCapacity: 0 },
        { date: '2027-01-14', kind: 'closed', label: '停電' },
      ],
    });
    expect(planDay(t, '2026-12-29').open).toBe(true);
    expect(planDay(t, '2026-12-30')).toMatchObject({ open: false, reason: 'closure', note: '年末年始' });
    expect(planDay(t, '2027-01-11').open).toBe(true);
    expect(planDay(t, '2027-01-14')).toMatchObject({ open: false, reason: 'override_closed', note: '停電' });
  });
});

describe('slots and capacity of a rule', () => {
  it('When a rule has a lunch break and capacity per window, then no slot touches the break and capacity is windows x people', () => {
    const rule: RuleInput = { ...weekdayDaytime, breakStartMinute: 720, breakEndMinute: 780, peoplePerWindow: 2, capacityPerSlot: null };
    const day = planDay(timetable({ rules: [rule], windows: 4 }), '2027-01-12');
    expect(day.slots).toHaveLength(14);
    expect(day.slots.some((slot) => slot.startMinute < 780 && slot.endMinute > 720)).toBe(false);
    expect(day.slots.every((slot) => slot.capacity === 8)).toBe(true);
    expect(day.slots.reduce((sum, slot) => sum + slot.capacity, 0) / 4).toBe(28); // 28 people per window per day
  });

  it('When the slot length is 20 or 45 minutes, then slots fill the hours without running past the end', () => {
    expect(planDay(timetable({ rules: [{ ...weekdayDaytime, slotMinutes: 20 }] }), '2027-01-12').slots).toHaveLength(24);
    const odd = planDay(timetable({ rules: [{ ...weekdayDaytime, slotMinutes: 45 }] }), '2027-01-12').slots;
    expect(odd).toHaveLength(10);
    expect(odd.at(-1)!.endMinute).toBeLessThanOrEqual(1020);
  });

  it('When a daytime and an evening rule apply on one day, then both sets of slots are offered in order', () => {
    const evening: RuleInput = { ...weekdayDaytime, label: '平日夜間', daysOfWeek: [1, 3], startMinute: 1020, endMinute: 1140, capacityPerSlot: 3 };
    const monday = planDay(timetable({ rules: [evening, weekdayDaytime] }), '2027-01-18');
    expect(monday.slots).toHaveLength(20);
    expect(monday.slots.at(-1)).toMatchObject({ startMinute: 1110, capacity: 3, label: '平日夜間' });
    expect(planDay(timetable({ rules: [evening, weekdayDaytime] }), '2027-01-19').slots).toHaveLength(16);
  });
});
