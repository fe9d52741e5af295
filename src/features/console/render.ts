// One way to show a console page: the staff layout with the date and time formatters.
import type { Response } from 'express';
import { formatDateJa, formatMinutes, jstDateOf, jstMinutesOf, todayInJapan } from '../../lib/jst.js';

export function page(res: Response, view: string, titleKey: string, locals: Record<string, unknown> = {}, status = 200) {
  res
    .status(status)
    .render(`console/${view}`, { title: res.locals.t(titleKey), layout: 'layouts/staff', formatDateJa, formatMinutes, jstMinutesOf, jstDateOf, today: todayInJapan(), ...locals });
}
