// npm run db:migration -- NAME — writes prisma/migrations/<timestamp>_<NAME>/migration.sql
// with the SQL that brings the committed migrations up to prisma/schema.prisma.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { diffMigrationsToSchema, migrationsDir } from '../migrator.js';
import { runWithDatabase } from './run.js';

const name = (process.argv[2] ?? '').trim();
if (!/^[a-z0-9_]+$/.test(name)) {
  console.error('Usage: npm run db:migration -- name_in_snake_case');
  process.exit(1);
}

function timestamp(now = new Date()): string {
  return now.toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

await runWithDatabase(async (databaseUrl) => {
  const sql = await diffMigrationsToSchema(databaseUrl);
  if (sql === '') {
    console.log('schema.prisma matches the migrations: nothing to do.');
    return;
  }
  const dir = path.join(migrationsDir, `${timestamp()}_${name}`);
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'migration.sql'), sql);
  console.log(`Created ${path.relative(process.cwd(), dir)}/migration.sql — review it, then npm run db:migrate`);
});
