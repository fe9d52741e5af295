// How the app reaches PostgreSQL: a DATABASE_URL is read as libpq reads it (?host= and ?port=
// win over the URL's, and a directory as host means a Unix socket), and the embedded server is
// reached over its Unix socket (cheaper per statement than TCP on loopback: bench/README.md).
import { describe, expect, it } from 'vitest';
import { pgPoolConfig } from '../../src/db/pool-config.js';
import { createTestDatabase } from '../helpers/db.js';

describe('connecting to PostgreSQL', () => {
  it('When the URL names a socket directory and a port in its query, then those are used', () => {
    expect(pgPoolConfig('postgresql://app:s%40cret@localhost/booking?host=%2Fvar%2Frun%2Fpostgresql&port=5433')).toMatchObject({
      host: '/var/run/postgresql',
      port: 5433,
      user: 'app',
      password: 's@cret',
      database: 'booking',
    });
    expect(pgPoolConfig('postgresql://app:pw@db.example.jp:6543/booking')).toMatchObject({ host: 'db.example.jp', port: 6543 });
  });

  it.skipIf(process.env.TEST_DATABASE_URL)('When the app talks to the embedded server, then it goes over the Unix socket in the data directory', async () => {
    const db = await createTestDatabase(1);
    const [row] = await db.query<{ address: string | null; socketDir: string }>(
      `SELECT inet_server_addr()::text AS address, current_setting('unix_socket_directories') AS "socketDir"`,
    );
    expect(row.address).toBeNull(); // NULL: not a TCP connection
    expect(new URL(db.url).searchParams.get('host')).toBe(row.socketDir);
  });
});
