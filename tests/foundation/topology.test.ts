// docker-compose.yml and its configuration files describe the production topology (issue 17.6,
// decision 0018). No Docker engine runs here, so this reads them and checks that the pieces are
// wired as the drills run them: two app processes behind HAProxy's /readyz check, HAProxy sending
// database connections to Patroni's /primary, Patroni in synchronous mode, backups and mail.
import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

interface Service {
  build?: string;
  image?: string;
  command?: string[];
  environment?: Record<string, string>;
  healthcheck?: { test: string[] };
}

const compose = parse(await readFile('docker-compose.yml', 'utf8'), { merge: true }) as { services: Record<string, Service> };
const haproxy = await readFile('docker/haproxy/haproxy.cfg', 'utf8');
const patroni = parse(await readFile('docker/postgres/patroni.yml', 'utf8')) as {
  bootstrap: { dcs: { synchronous_mode: boolean; slots: Record<string, { type: string }> }; post_bootstrap: string };
};
/** The lines of one HAProxy section (from its header to the next unindented line). */
const section = (header: string) => {
  const lines = haproxy.split('\n');
  const start = lines.indexOf(header);
  expect(start, header).toBeGreaterThanOrEqual(0);
  const end = lines.findIndex((line, i) => i > start && /^\S/.test(line));
  return lines.slice(start + 1, end === -1 ? undefined : end).map((line) => line.trim());
};

describe('the production topology (docker-compose.yml)', () => {
  it('When it is read, then two app processes of this image reach the database and mail only through HAProxy and the relay', () => {
    const apps = ['app1', 'app2'].map((name) => compose.services[name]);
    for (const app of apps) {
      expect(app.build).toBe('.');
      expect(new URL(app.environment!.DATABASE_URL.replace(/\$\{[^}]+\}/, 'x')).host).toBe('haproxy:5000');
      expect(app.environment!.SMTP_URL).toBe('smtp://mail:25');
      expect(app.healthcheck!.test.join(' ')).toContain('/readyz');
    }
    expect(Object.keys(compose.services).sort()).toEqual(['app1', 'app2', 'backup', 'etcd1', 'etcd2', 'etcd3', 'haproxy', 'mail', 'pg1', 'pg2']);
  });

  it('When HAProxy is configured, then web requests go to the app processes that are ready and database connections to the Patroni primary', () => {
    const app = section('backend app');
    expect(app).toContain('option httpchk GET /readyz');
    expect(app.filter((line) => line.startsWith('server '))).toEqual(['server app1 app1:3000 check', 'server app2 app2:3000 check']);
    const primary = section('listen primary');
    expect(primary).toContain('option httpchk OPTIONS /primary');
    expect(primary.join('\n')).toContain('on-marked-down shutdown-sessions');
    expect(primary.filter((line) => line.startsWith('server '))).toEqual(['server pg1 pg1:5432 maxconn 200 check port 8008', 'server pg2 pg2:5432 maxconn 200 check port 8008']);
    const check = spawnSync('haproxy', ['-c', '-f', 'docker/haproxy/haproxy.cfg'], { encoding: 'utf8' });
    if (!check.error) expect(check.status, check.stderr).toBe(0); // Debian's haproxy, where installed
  });

  it('When Patroni bootstraps, then it runs in synchronous mode with the backup slot kept on every node, and the app gets its own role', async () => {
    expect(patroni.bootstrap.dcs.synchronous_mode).toBe(true);
    expect(patroni.bootstrap.dcs.slots.backup.type).toBe('physical');
    const postBootstrap = await readFile(`docker/postgres/${patroni.bootstrap.post_bootstrap.split('/').pop()}`, 'utf8');
    expect(postBootstrap).toContain('CREATE DATABASE mynumber_booking OWNER booking');
    expect(postBootstrap).toContain('GRANT SET ON PARAMETER session_replication_role TO booking;'); // fast J-LIS imports (decision 0030)
    const backup = await readFile('docker/postgres/backup.sh', 'utf8');
    expect(backup).toMatch(/pg_receivewal .*--slot=backup/);
    expect(backup).toContain('pg_basebackup');
    expect(compose.services.backup.command).toEqual(['/usr/local/bin/backup.sh']);
  });

  it('When the secrets are filled in from .env.production.example, then every variable the file requires is there', async () => {
    const required = new Set([...(await readFile('docker-compose.yml', 'utf8')).matchAll(/\$\{(\w+):\?\}/g)].map((match) => match[1]));
    const example = await readFile('.env.production.example', 'utf8');
    for (const name of required) expect(example, name).toMatch(new RegExp(`^${name}=`, 'm'));
  });
});
