// The latest migration keeps the previous release working (issue 17.3): it only expands, or
// each narrowing statement says why the previous release still works (tests/helpers/expand-contract.ts).
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { contractingStatements } from '../helpers/expand-contract.js';

const MIGRATIONS = 'prisma/migrations';

async function latestMigration(): Promise<{ name: string; sql: string }> {
  const names = (await readdir(MIGRATIONS, { withFileTypes: true }))
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
  const name = names[names.length - 1];
  return { name, sql: await readFile(path.join(MIGRATIONS, name, 'migration.sql'), 'utf8') };
}

describe('expand/contract', () => {
  it('When the latest migration is read, then it takes nothing away the previous release uses', async () => {
    const { name, sql } = await latestMigration();
    expect(contractingStatements(sql), name).toEqual([]);
  });

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
