// Inquiries per category per day of a month and per month of the year up to it (Japan time), as
// tables whose every cell is a count of rows, for the counts page and its chart.
import type { Queryable } from '../../db/client.js';
import { addDays, jstInstant, shiftMonth } from '../../lib/jst.js';
import type { StaffPrincipal } from '../../policies/index.js';
import { countsByCategory, type CategoryCount, type InquiryCategory } from './inquiries.js';

export interface CountRow {
  period: string;
  /** One per category, in the categories' order. */
  counts: number[];
  total: number;
}

export interface MonthTable {
  days: CountRow[];
  months: CountRow[];
  totals: CountRow;
}

const firstOfMonth = (month: string) => `${month}-01`;

function rowsOf(periods: string[], categories: InquiryCategory[], counts: CategoryCount[]): CountRow[] {
  return periods.map((period) => {
    const cells = categories.map((category) => counts.find((count) => count.period === period && count.categoryCode === category.code)?.count ?? 0);
    return { period, counts: cells, total: cells.reduce((sum, value) => sum + value, 0) };
  });
}

export async function monthTable(reader: Queryable, user: StaffPrincipal, categories: InquiryCategory[], month: string): Promise<MonthTable> {
  const start = firstOfMonth(month);
  const next = firstOfMonth(shiftMonth(month, 1));
  const days: string[] = [];
  for (let day = start; day < next; day = addDays(day, 1)) days.push(day);
  const yearStart = shiftMonth(month, -11);
  const months = Array.from({ length: 12 }, (_, index) => shiftMonth(yearStart, index));
  const [daily, monthly] = await Promise.all([
    countsByCategory(reader, user, 'day', jstInstant(start), jstInstant(next)),
    countsByCategory(reader, user, 'month', jstInstant(firstOfMonth(yearStart)), jstInstant(next)),
  ]);
  const dayRows = rowsOf(days, categories, daily);
  const counts = categories.map((_, index) => dayRows.reduce((sum, row) => sum + row.counts[index], 0));
  return { days: dayRows, months: rowsOf(months, categories, monthly), totals: { period: month, counts, total: counts.reduce((sum, value) => sum + value, 0) } };
}
