import type { PoolConfig } from 'pg';

/**
 * Splits a postgres:// URL into pg's fields. Prisma's adapter derives its shadow database by
 * overriding `database`, which pg ignores when a connectionString is present.
 */
export function pgPoolConfig(databaseUrl: string, extra: PoolConfig = {}): PoolConfig {
  const url = new URL(databaseUrl);
  const params = url.searchParams;
  return {
    // As libpq reads it: ?host= (a directory means a Unix socket) and ?port= override the URL's.
    host: params.get('host') || decodeURIComponent(url.hostname) || 'localhost',
    port: Number(params.get('port') || url.port || 5432),
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    database: decodeURIComponent(url.pathname.replace(/^\//, '')),
    ssl: params.get('sslmode') === 'require' ? { rejectUnauthorized: false } : undefined,
    ...extra,
  };
}
