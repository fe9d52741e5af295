// Live floor updates for every open call display, waiting page and visitor's phone, in every app
// process: each process LISTENs on the floor channel (one connection, opened at the first
// follower), and when a counter changes it reads that counter's public view once and sends the
// same text to all its followers (server-sent events). While not listening (a database restart),
// and every half minute anyway (waits shrink as time passes), it reads the followed counters.
import type { Response } from 'express';
import type { Database } from '../../db/client.js';
import { listenForNotifications } from '../../db/notifications.js';
import { FLOOR_CHANNEL } from './tickets.js';
import { floorNow, publicView } from './queue.js';

/** Changes within this many milliseconds are read once. */
const COALESCE_MS = 50;
const REFRESH_MS = 30_000;
const POLL_WHILE_LOST_MS = 2_000;
/** A comment line keeps proxies from closing a quiet stream. */
const HEARTBEAT_MS = 20_000;
/** Followers one process holds; more get a 503 and their browser tries again (perhaps on another process). */
const MAX_FOLLOWERS = 5_000;
/** A follower whose unsent data grows past this is too slow to keep: it is closed and reconnects. */
const MAX_BUFFERED = 256 * 1024;

export class FloorLive {
  private readonly followers = new Map<number, Set<Response>>();
  private readonly latest = new Map<number, string>();
  private readonly pending = new Set<number>();
  private listening = false;
  private started = false;
  private count = 0;

  constructor(
    private readonly db: Database,
    private readonly draining: () => boolean = () => false,
  ) {}

  /** Streams the counter's public view to `res` until the browser leaves; false when this process has no room. */
  async follow(counterId: number, res: Response): Promise<boolean> {
    if (this.count >= MAX_FOLLOWERS || this.draining()) return false;
    this.start();
    res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store', 'X-Accel-Buffering': 'no' });
    res.write('retry: 3000\n\n');
    const set = this.followers.get(counterId) ?? new Set();
    this.followers.set(counterId, set);
    set.add(res);
    this.count += 1;
    res.on('close', () => {
      if (set.delete(res)) this.count -= 1;
      if (set.size === 0) {
        this.followers.delete(counterId);
        this.latest.delete(counterId);
      }
    });
    const known = this.latest.get(counterId);
    if (known) this.send(res, known);
    else await this.refresh(counterId);
    return true;
  }

  /** Followers of all counters in this process. */
  get size(): number {
    return this.count;
  }

  private start() {
    if (this.started) return;
    this.started = true;
    listenForNotifications(this.db, FLOOR_CHANNEL, {
      notified: (payload) => this.changed(Number(payload)),
      listening: () => {
        this.listening = true;
        this.refreshAll();
      },
      lost: () => (this.listening = false),
    });
    setInterval(() => this.refreshAll(), REFRESH_MS).unref();
    setInterval(() => !this.listening && this.refreshAll(), POLL_WHILE_LOST_MS).unref();
    setInterval(() => this.beat(), HEARTBEAT_MS).unref();
    setInterval(() => this.draining() && this.closeAll(), 500).unref();
  }

  private changed(counterId: number) {
    if (!this.followers.has(counterId) || this.pending.has(counterId)) return;
    this.pending.add(counterId);
    setTimeout(() => {
      this.pending.delete(counterId);
      void this.refresh(counterId);
    }, COALESCE_MS);
  }

  private refreshAll() {
    for (const counterId of this.followers.keys()) this.changed(counterId);
  }

  private async refresh(counterId: number) {
    const floor = await floorNow(this.db, counterId).catch(() => null);
    if (!floor) return; // the database is away: followers keep what they have and hear again later
    const text = `data: ${JSON.stringify(publicView(floor))}\n\n`;
    if (!this.followers.has(counterId) || text === this.latest.get(counterId)) return;
    this.latest.set(counterId, text);
    for (const res of this.followers.get(counterId) ?? []) this.send(res, text);
  }

  private send(res: Response, text: string) {
    if (res.writableLength > MAX_BUFFERED) res.destroy();
    else res.write(text);
  }

  private beat() {
    for (const set of this.followers.values()) for (const res of set) this.send(res, ': beat\n\n');
  }

  /** Ends every stream (the process is shutting down: browsers reconnect to another one). */
  closeAll() {
    for (const set of this.followers.values()) for (const res of set) res.end();
  }
}
