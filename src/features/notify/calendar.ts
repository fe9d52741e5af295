import { createEvent } from 'ics';

export interface CalendarVisit {
  uid: string;
  title: string;
  location: string;
  description: string;
  startsAt: Date;
  endsAt: Date;
  /** Grows with every change of the visit, so calendars replace the event (same uid) instead of keeping the old one. */
  sequence?: number;
}

/** An .ics file (UTC times, so every calendar shows the right Japan time). */
export function visitCalendar(visit: CalendarVisit): string {
  const { error, value } = createEvent({
    uid: visit.uid,
    productId: 'mynumber-card-booking',
    title: visit.title,
    location: visit.location,
    description: visit.description,
    start: visit.startsAt.getTime(),
    startInputType: 'utc',
    startOutputType: 'utc',
    end: visit.endsAt.getTime(),
    endInputType: 'utc',
    endOutputType: 'utc',
    ...(visit.sequence === undefined ? {} : { sequence: visit.sequence }),
  });
  if (error || !value) throw error ?? new Error('calendar could not be created');
  return value;
}
