// LISTEN on a PostgreSQL channel from a connection of its own, for as long as the app's pool is
// open: a lost connection (a restart, a failover) is replaced every two seconds. While it is
// lost, the caller is told, so it can fall back to reading (a NOTIFY sent meanwhile is gone).
import pg from 'pg';
import type { Database } from './client.js';

const RETRY_MS = 2_000;

export interface ListenHandlers {
  /** A NOTIFY on the channel, with its payload. */
  notified(payload: string): void;
  /** Listening (again): what was missed while not listening should be read now. */
  listening?(client: pg.Client): Promise<void> | void;
  /** The connection is lost; a new one is tried in two seconds. */
  lost?(): void;
}

export function listenForNotifications(database: Database, channel: string, handlers: ListenHandlers): void {
  const listen = async () => {
    const client = new pg.Client(database.pool.options);
    let retried = false;
    const retry = () => {
      if (retried) return;
      retried = true;
      handlers.lost?.();
      client.removeAllListeners('end');
      void client.end().catch(() => {});
      // The app's pool closing (shut-down, a test's dropped database) ends the listening too.
      if (!database.pool.ending) setTimeout(listen, RETRY_MS).unref();
    };
    client.on('error', retry);
    client.on('end', retry);
    client.on('notification', (message) => handlers.notified(message.payload ?? ''));
    try {
      await client.connect();
      // The listening connection alone never keeps the process alive.
      (client as unknown as { connection: { stream: { unref?: () => void } } }).connection.stream.unref?.();
      await client.query(`LISTEN ${channel}`);
      await handlers.listening?.(client);
    } catch {
      retry();
    }
  };
  void listen();
}
