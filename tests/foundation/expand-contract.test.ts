// The latest migration keeps the previous release working (issue 17.3): it only expands, or
// each narrowing statement says why the previous release still works (tests/helpers/expand-contract.ts).
// Read from its SQL, and on real databases: the schema before it against the schema after it.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyMigrations } from '../../src/db/migrator.js';
import { createEmptyDatabase, createTestDatabase } from '../helpers/db.js';
import { contractingStatements, justifiedRules, schemaBreaks } from '../helpers/expand-contract.js';

const MIGRATIONS = 'prisma/migrations';

async function latestMigration(): Promise<{ name: string; previous: string; sql: string }> {
  const names = (await readdir(MIGRATIONS, { withFileTypes: true }))
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
  const [previous, name] = names.slice(-2);
  return { name, previous, sql: await readFile(path.join(MIGRATIONS, name, 'migration.sql'), 'utf8') };
}

/** A new database with the migrations up to `upTo` applied (the previous release's schema). */
async function databaseUpTo(upTo: string): Promise<string> {
  const url = await createEmptyDatabase();
  await applyMigrations(url, upTo);
  return url;
}

describe('expand/contract', () => {
  it('When the latest migration is read, then it takes nothing away the previous release uses', async () => {
    const { name, sql } = await latestMigration();
    expect(contractingStatements(sql), name).toEqual([]);
  });

  it('When the schema before the latest migration is compared with the schema after it on real databases, then every table, column, enum value and rule the previous release meets is still there as it was; a contracting change is caught', async () => {
    const { previous, sql } = await latestMigration();
    const before = await databaseUpTo(previous);
    const after = await createTestDatabase(2); // the template: every migration applied
    expect(await schemaBreaks(before, after.url, justifiedRules(sql))).toEqual([]);

    await after.pool.query(`ALTER TABLE bookings DROP COLUMN email;
      ALTER TABLE slots ALTER COLUMN capacity TYPE bigint;
      ALTER TABLE card_holders ADD COLUMN site text NOT NULL;
      ALTER TABLE counters ALTER COLUMN address DROP NOT NULL;
      ALTER TABLE counters ADD CONSTRAINT counters_named CHECK (name <> '');
      CREATE UNIQUE INDEX counters_name_key ON counters (name)`);
    expect(await schemaBreaks(before, after.url)).toEqual([
      'bookings.email: gone',
      'card_holders.site: new, required, no default',
      'counters.address: may now be empty',
      expect.stringMatching(/^counters: new rule counters_name_key /),
      expect.stringMatching(/^counters: new rule counters_named /),
      'slots.capacity: int4 became int8',
    ]);
  }, 120_000);

  it('When a migration drops, renames, retypes, narrows or adds a rule to an existing table without saying why, then each is reported; said why, it passes', () => {
    const contracting = `
      ALTER TABLE "bookings" DROP COLUMN "email";
      ALTER TABLE "slots" RENAME COLUMN "booked" TO "taken";
      ALTER TABLE "slots" ALTER COLUMN "capacity" TYPE BIGINT;
      ALTER TABLE "bookings" ALTER COLUMN "channel" SET NOT NULL;
      ALTER TABLE "bookings" ALTER COLUMN "card_holder_id" DROP NOT NULL;
      ALTER TABLE "bookings" ADD COLUMN "site" TEXT NOT NULL;
      ALTER TABLE "bookings" ADD CONSTRAINT "bookings_site" CHECK (site <> '');
      CREATE UNIQUE INDEX "bookings_email_key" ON "bookings"("email");
      DROP TABLE "sessions";`;
    expect(contractingStatements(contracting)).toHaveLength(9);
    const expanding = `
      CREATE TABLE "notes" ("id" SERIAL NOT NULL, "text" TEXT NOT NULL, CONSTRAINT "notes_pkey" PRIMARY KEY ("id"));
      ALTER TABLE "notes" ADD CONSTRAINT "notes_text" CHECK (text <> '');
      CREATE UNIQUE INDEX "notes_text_key" ON "notes"("text");
      ALTER TABLE "bookings" ADD COLUMN "note_id" INTEGER;
      ALTER TABLE "bookings" ADD COLUMN "site" TEXT NOT NULL DEFAULT 'center';
      CREATE INDEX "bookings_site" ON "bookings"("site");
      -- expand/contract: the previous release never writes site, and the default passes the check
      ALTER TABLE "bookings" ADD CONSTRAINT "bookings_site" CHECK (site <> '');`;
    expect(contractingStatements(expanding)).toEqual([]);
  });
});
