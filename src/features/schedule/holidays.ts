import holidayJp from '@holiday-jp/holiday_jp';
import type { IsoDate } from '../../lib/jst.js';

/** Japanese national and substitute holidays (maintained data set, keyed by JST date). */
export function nationalHoliday(date: IsoDate): string | undefined {
  return (holidayJp.holidays as Record<string, { name: string }>)[date]?.name;
}
