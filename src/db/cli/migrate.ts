// npm run db:migrate — applies pending migrations (idempotent).
import { applyMigrations } from '../migrator.js';
import { runWithDatabase } from './run.js';

await runWithDatabase(async (databaseUrl) => {
  const applied = await applyMigrations(databaseUrl);
  console.log(applied.length === 0 ? 'Database is up to date.' : `Applied: ${applied.join(', ')}`);
});
