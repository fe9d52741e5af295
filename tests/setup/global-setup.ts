// Starts one PostgreSQL for the whole run (embedded, or TEST_DATABASE_URL) and prepares a
// template database with every migration applied. Each test file clones it (tests/helpers/db.ts).
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../../src/db/embedded.js';
import { applyMigrations } from '../../src/db/migrator.js';

export const TEMPLATE_DATABASE = 'booking_test_template';

declare module 'vitest' {
  export interface ProvidedContext {
    databaseServerUrl: string;
    templateDatabase: string;
  }
}

// Both vitest projects run this file, each with its own copy of the module: share through globalThis.
interface SharedServer {
  prepared: Promise<string>;
  users: number;
  embedded?: EmbeddedDatabase;
  dataRoot?: string;
}
const shared = globalThis as { __bookingTestServer?: SharedServer };

async function prepareServer(server: SharedServer): Promise<string> {
  let serverUrl = process.env.TEST_DATABASE_URL;
  if (!serverUrl) {
    server.dataRoot = await mkdtemp(path.join(os.tmpdir(), 'booking-test-pg-'));
    await chmod(server.dataRoot, 0o755); // as root, PostgreSQL runs as another user that must enter it
    server.embedded = await startEmbeddedPostgres({ dataDir: path.join(server.dataRoot, 'data'), persistent: false });
    serverUrl = server.embedded.url;
  }
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${TEMPLATE_DATABASE} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${TEMPLATE_DATABASE}`);
  } finally {
    await admin.end();
  }
  const templateUrl = new URL(serverUrl);
  templateUrl.pathname = `/${TEMPLATE_DATABASE}`;
  await applyMigrations(templateUrl.toString());
  return serverUrl;
}

export default async function setup(project: TestProject) {
  // Both projects share one server; the first to arrive prepares it.
  if (!shared.__bookingTestServer) {
    const created = { users: 0 } as SharedServer;
    created.prepared = prepareServer(created);
    shared.__bookingTestServer = created;
  }
  const server = shared.__bookingTestServer;
  server.users += 1;
  project.provide('databaseServerUrl', await server.prepared);
  project.provide('templateDatabase', TEMPLATE_DATABASE);
  return async () => {
    server.users -= 1;
    if (server.users > 0) return;
    shared.__bookingTestServer = undefined;
    await server.embedded?.stop();
    if (server.dataRoot) await rm(server.dataRoot, { recursive: true, force: true });
  };
}
