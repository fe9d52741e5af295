// Applies and creates Prisma migrations through the WebAssembly schema engine, so nothing is
// downloaded at install or run time (see ../shared/notes/offline-toolchain.md).
import { readFile, readdir, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import pg, { type PoolConfig } from 'pg';
import { PrismaPg } from '@prisma/adapter-pg';
import { bindMigrationAwareSqlAdapterFactory, ColumnTypeEnum } from '@prisma/driver-adapter-utils';
import type { MigrationList, SchemaEngine as SchemaEngineType } from '@prisma/schema-engine-wasm';
import { pgPoolConfig } from './pool-config.js';

import { projectRoot } from './paths.js';
export { projectRoot };
export const schemaPath = path.join(projectRoot, 'prisma/schema.prisma');
export const migrationsDir = path.join(projectRoot, 'prisma/migrations');

const noFilters = { externalTables: [], externalEnums: [] };

type EngineModule = typeof import('@prisma/schema-engine-wasm');
let lastPanicMessage = '';
// Kept on globalThis: the wasm bindings module is a process-wide singleton, so a second copy
// of this file (as test runners load one per project) must not instantiate it again.
const engineHolder = globalThis as { __bookingSchemaEngine?: Promise<EngineModule> };

/** Loads the wasm by hand: Node 20 cannot import a .wasm file as an ES module. */
function loadEngineModule(): Promise<EngineModule> {
  engineHolder.__bookingSchemaEngine ??= (async () => {
    // The engine reports a Rust panic's message here before it throws.
    (globalThis as Record<string, unknown>).PRISMA_WASM_PANIC_REGISTRY ??= {
      set_message(message: string) {
        lastPanicMessage = message;
      },
    };
    const packageDir = path.dirname(createRequire(import.meta.url).resolve('@prisma/schema-engine-wasm'));
    const bindings = await import('@prisma/schema-engine-wasm/schema_engine_bg');
    const wasmBytes = await readFile(path.join(packageDir, 'schema_engine_bg.wasm'));
    const { instance } = await WebAssembly.instantiate(wasmBytes, {
      './schema_engine_bg.js': bindings as unknown as WebAssembly.ModuleImports,
    });
    const exports = instance.exports as Record<string, unknown> & { __wbindgen_start: () => void };
    (bindings as unknown as { __wbg_set_wasm: (w: unknown) => void }).__wbg_set_wasm(exports);
    exports.__wbindgen_start();
    return bindings as unknown as EngineModule;
  })();
  return engineHolder.__bookingSchemaEngine;
}

type PgAdapter = Awaited<ReturnType<PrismaPg['connect']>>;
type QueryResultLike = { fields?: { dataTypeID: number }[]; rows?: unknown[] };

const PG_CHAR_OID = 18; // the one-byte "char" of pg_catalog (relkind, contype, ...)
const PG_TEXT_OID = 25;
const charColumnsOfRows = new WeakMap<object, number[]>();

/**
 * The schema engine reads catalogue columns of type "char" (contype, relkind, ...), which the
 * pg adapter refuses to map. pg already returns them as strings: the pool reports them as text
 * and remembers which columns they were, and the adapter then labels those columns Character.
 */
function migrationPool(config: PoolConfig): pg.Pool {
  const pool = new pg.Pool(config);
  const query = pool.query.bind(pool) as (...args: unknown[]) => Promise<QueryResultLike | QueryResultLike[]>;
  (pool as unknown as { query: unknown }).query = async (...args: unknown[]) => {
    const result = await query(...args);
    for (const part of Array.isArray(result) ? result : [result]) {
      const charColumns: number[] = [];
      part.fields?.forEach((field, index) => {
        if (field.dataTypeID !== PG_CHAR_OID) return;
        field.dataTypeID = PG_TEXT_OID;
        charColumns.push(index);
      });
      if (charColumns.length > 0 && part.rows) charColumnsOfRows.set(part.rows, charColumns);
    }
    return result;
  };
  return pool;
}

/**
 * Adapts a pool for the engine. The pg adapter splits scripts on every ";", which breaks
 * function bodies ($$ ... $$); we send each script whole instead, and PostgreSQL runs a
 * multi-statement query in one implicit transaction, so a migration applies completely or not at all.
 */
async function migrationAdapter(config: PoolConfig, openPools: Set<pg.Pool>, afterClose: () => Promise<void> = async () => {}): Promise<PgAdapter> {
  const pool = migrationPool(config);
  openPools.add(pool);
  const adapter = await new PrismaPg(pool).connect();
  const queryRaw = adapter.queryRaw.bind(adapter);
  adapter.queryRaw = async (query) => {
    const result = await queryRaw(query);
    for (const index of charColumnsOfRows.get(result.rows) ?? []) result.columnTypes[index] = ColumnTypeEnum.Character;
    return result;
  };
  adapter.executeScript = async (script: string) => {
    try {
      await pool.query(script);
    } catch (error) {
      (adapter as unknown as { onError(error: unknown): never }).onError(error);
    }
  };
  adapter.dispose = async () => {
    if (openPools.delete(pool)) await pool.end();
    await afterClose();
  };
  return adapter;
}

async function runAdminStatement(config: PoolConfig, sql: string): Promise<void> {
  const client = new pg.Client(config);
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** The engine's view of the database; the shadow database is dropped after its pool closes. */
class MigrationAdapterFactory extends PrismaPg {
  /** The engine does not always dispose what it connected; withEngine closes what is left. */
  readonly openPools = new Set<pg.Pool>();

  constructor(private readonly poolConfig: PoolConfig) {
    super(poolConfig);
  }

  override connect() {
    return migrationAdapter(this.poolConfig, this.openPools);
  }

  async closeAll(): Promise<void> {
    const pools = [...this.openPools];
    this.openPools.clear();
    await Promise.all(pools.map((pool) => pool.end()));
  }

  override async connectToShadowDb() {
    const shadowName = pg.escapeIdentifier(`prisma_migrate_shadow_db_${randomUUID()}`);
    await runAdminStatement(this.poolConfig, `CREATE DATABASE ${shadowName}`);
    const shadowConfig = { ...this.poolConfig, database: shadowName.slice(1, -1) };
    return migrationAdapter(shadowConfig, this.openPools, () => runAdminStatement(this.poolConfig, `DROP DATABASE IF EXISTS ${shadowName} WITH (FORCE)`));
  }
}

async function withEngine<T>(databaseUrl: string, work: (engine: SchemaEngineType) => Promise<T>): Promise<T> {
  const { SchemaEngine } = await loadEngineModule();
  const schema = await readFile(schemaPath, 'utf8');
  const factory = new MigrationAdapterFactory(pgPoolConfig(databaseUrl));
  const engine = await SchemaEngine.new({ datamodels: [[schemaPath, schema]] }, () => {}, bindMigrationAwareSqlAdapterFactory(factory));
  try {
    return await work(engine);
  } catch (error) {
    if (error instanceof WebAssembly.RuntimeError && lastPanicMessage) throw new Error(`schema engine panicked: ${lastPanicMessage}`, { cause: error });
    throw error;
  } finally {
    engine.free();
    await factory.closeAll();
  }
}

/** The committed migrations, oldest first; `upTo`: only those up to and including that name. */
async function readMigrationList(upTo?: string): Promise<MigrationList> {
  const names = (await readdir(migrationsDir).catch(() => [] as string[])).sort().filter((name) => upTo === undefined || name <= upTo);
  const migrationDirectories = [];
  for (const name of names) {
    if (!(await stat(path.join(migrationsDir, name))).isDirectory()) continue;
    const sql = await readFile(path.join(migrationsDir, name, 'migration.sql'), 'utf8');
    migrationDirectories.push({
      path: name,
      migrationFile: { path: 'migration.sql', content: { tag: 'ok' as const, value: sql } },
    });
  }
  const lockPath = path.join(migrationsDir, 'migration_lock.toml');
  const lockContent = await readFile(lockPath, 'utf8').catch(() => null);
  return {
    baseDir: migrationsDir,
    lockfile: { path: 'migration_lock.toml', content: lockContent },
    shadowDbInitScript: '',
    migrationDirectories,
  };
}

/**
 * Whether every migration folder is recorded as applied in _prisma_migrations: two small queries, so
 * npm start and command-line tasks skip the schema engine (seconds to start) when nothing is pending.
 */
export async function migrationsUpToDate(databaseUrl: string): Promise<boolean> {
  const names = (await readMigrationList()).migrationDirectories.map((directory) => directory.path);
  const client = new pg.Client(pgPoolConfig(databaseUrl));
  await client.connect();
  try {
    // A brand-new database has no _prisma_migrations table yet (a query naming it would fail).
    const {
      rows: [table],
    } = await client.query<{ exists: boolean }>(`SELECT to_regclass('_prisma_migrations') IS NOT NULL AS exists`);
    if (!table.exists) return false;
    const { rows } = await client.query<{ migration_name: string }>('SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL');
    const applied = new Set(rows.map((row) => row.migration_name));
    return names.every((name) => applied.has(name));
  } finally {
    await client.end();
  }
}

/** Applies pending migrations, starting the schema engine only when the quick check finds some. */
export async function applyPendingMigrations(databaseUrl: string): Promise<string[]> {
  return (await migrationsUpToDate(databaseUrl)) ? [] : applyMigrations(databaseUrl);
}

/**
 * Applies pending migrations; returns the names of those it applied (empty when up to date).
 * `upTo` stops after that migration (the schema a previous release ran on).
 */
export async function applyMigrations(databaseUrl: string, upTo?: string): Promise<string[]> {
  const migrationsList = await readMigrationList(upTo);
  return withEngine(databaseUrl, async (engine) => {
    const result = await engine.applyMigrations({ migrationsList, filters: noFilters });
    return result.appliedMigrationNames;
  });
}

/**
 * SQL that turns the database described by the committed migrations into schema.prisma.
 * Empty when there is no drift. Uses a temporary shadow database on the same server.
 */
export async function diffMigrationsToSchema(databaseUrl: string, schema?: string): Promise<string> {
  const migrationsList = await readMigrationList();
  schema ??= await readFile(schemaPath, 'utf8');
  return withEngine(databaseUrl, async (engine) => {
    const result = await engine.diff({
      from: migrationsList.migrationDirectories.length === 0 ? { tag: 'empty' } : { tag: 'migrations', ...migrationsList },
      to: { tag: 'schemaDatamodel', files: [{ path: schemaPath, content: schema! }] },
      script: true,
      exitCode: null,
      filters: noFilters,
    });
    return normaliseScript(result.stdout ?? '');
  });
}

function normaliseScript(script: string): string {
  const meaningful = script.split('\n').filter((line) => line.trim() !== '' && !line.startsWith('-- This is an empty migration'));
  return meaningful.length === 0 ? '' : script.trim() + '\n';
}
