import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

describe('the test command itself', () => {
  it('When a test fails, then the run exits non-zero (so CI cannot land a failure)', () => {
    const run = spawnSync(process.execPath, ['node_modules/vitest/vitest.mjs', 'run', '--config', 'tests/fixtures/vitest.fixture.config.ts'], {
      encoding: 'utf8',
      env: { ...process.env, CI: 'true' },
      timeout: 120_000,
    });
    expect(run.stdout + run.stderr).toMatch(/1 failed/);
    expect(run.status).not.toBe(0);
  }, 150_000);
});
