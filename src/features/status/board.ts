// The public status page's content, kept in the process so the page is still served when the
// database is down: read at most every REFRESH_MS, and when the database does not answer within
// CHECK_TIMEOUT_MS, the last notices read are shown with the state "cannot book".
import type { Queryable } from '../../db/client.js';
import { now as clockNow } from '../../lib/clock.js';
import { withinMs } from '../../lib/timeout.js';
import { HISTORY_DAYS, noticesSince, type StatusNotice } from './notices.js';

const REFRESH_MS = 15_000;
/** While the database does not answer, it is asked again at most this often (the page is served meanwhile). */
const RETRY_MS = 5_000;
const CHECK_TIMEOUT_MS = 2_000;

export interface StatusView {
  /** Whether citizens can book right now (the database answers). */
  bookingAvailable: boolean;
  /** When the database last answered (null: not since the process started). */
  checkedAt: Date | null;
  current: StatusNotice[];
  upcoming: StatusNotice[];
  past: StatusNotice[];
}

/** Sorts notices into those in force at `now`, those to come and those ended. */
export function sortNotices(notices: StatusNotice[], now: Date): Pick<StatusView, 'current' | 'upcoming' | 'past'> {
  const at = now.getTime();
  const ended = (notice: StatusNotice) => notice.endsAt !== null && notice.endsAt.getTime() <= at;
  return {
    current: notices.filter((notice) => notice.startsAt.getTime() <= at && !ended(notice)),
    upcoming: notices.filter((notice) => notice.startsAt.getTime() > at).reverse(),
    past: notices.filter(ended),
  };
}

export class StatusBoard {
  private notices: StatusNotice[] = [];
  private checkedAt: Date | null = null;
  private answered = false;
  private askedAt = 0;

  constructor(private readonly reader: Queryable) {}

  /** What the page shows now, asking the database again once its last answer is old enough. */
  async view(now = clockNow()): Promise<StatusView> {
    if (Date.now() - this.askedAt >= (this.answered ? REFRESH_MS : RETRY_MS)) await this.ask(now);
    return { bookingAvailable: this.answered, checkedAt: this.checkedAt, ...sortNotices(this.notices, now) };
  }

  private async ask(now: Date): Promise<void> {
    this.askedAt = Date.now();
    try {
      this.notices = await withinMs(noticesSince(this.reader, new Date(now.getTime() - HISTORY_DAYS * 86_400_000)), CHECK_TIMEOUT_MS, 'status notices');
      this.checkedAt = now;
      this.answered = true;
    } catch {
      this.answered = false;
    }
  }

  /** Forgets the last answer: the next view asks the database (after staff change a notice). */
  expire(): void {
    this.askedAt = 0;
  }
}
